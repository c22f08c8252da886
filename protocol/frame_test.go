package protocol

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// frameLengths are the boundary lengths of the three length encodings.
var frameLengths = []int{0, 1, 125, 126, 127, 65535, 65536, 1 << 20}

// shortReaders wrap a reader so that it returns few bytes per call.
var shortReaders = map[string]func(io.Reader) io.Reader{
	"full":    func(r io.Reader) io.Reader { return r },
	"onebyte": iotest.OneByteReader,
	"half":    iotest.HalfReader,
	"dataerr": iotest.DataErrReader,
}

// TestFrameCodecShortReads encodes frames of every boundary length, masked
// and not, and decodes them through readers returning few bytes at a time
// (bufio.Reader of the minimum size, so the header and payload straddle
// refills).
func TestFrameCodecShortReads(t *testing.T) {
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	for _, n := range frameLengths {
		for _, masked := range []bool{false, true} {
			payload := make([]byte, n)
			for i := range payload {
				payload[i] = byte(i * 7)
			}
			var wire []byte
			wire = appendFrameHeader(wire, n%2 == 0, bitRsv1, opBinary, n, masked, key)
			if len(wire) != frameHeaderSize(n, masked) {
				t.Fatalf("n=%d: header size %d, frameHeaderSize says %d", n, len(wire), frameHeaderSize(n, masked))
			}
			start := len(wire)
			wire = append(wire, payload...)
			if masked {
				maskBytes(key, 0, wire[start:])
			}
			// Two frames back to back: the second must parse after the first.
			wire = appendFrameHeader(wire, true, 0, opPing, 0, false, key)
			for name, wrap := range shortReaders {
				br := bufio.NewReaderSize(wrap(bytes.NewReader(wire)), 16)
				h, err := readFrameHeader(br)
				if err != nil {
					t.Fatalf("n=%d masked=%v %s: %v", n, masked, name, err)
				}
				if h.length != int64(n) || h.masked != masked || h.op != opBinary || h.fin != (n%2 == 0) || h.rsv != bitRsv1 {
					t.Fatalf("n=%d masked=%v %s: header %+v", n, masked, name, h)
				}
				if masked && h.key != key {
					t.Fatalf("key %x", h.key)
				}
				got := make([]byte, n)
				if _, err := io.ReadFull(br, got); err != nil {
					t.Fatalf("n=%d %s: payload: %v", n, name, err)
				}
				if masked {
					// Unmask in uneven chunks to exercise pos.
					pos := 0
					for off := 0; off < n; {
						end := min(n, off+1+off%13)
						pos = maskBytes(h.key, pos, got[off:end])
						off = end
					}
				}
				if !bytes.Equal(got, payload) {
					t.Fatalf("n=%d masked=%v %s: payload differs", n, masked, name)
				}
				h2, err := readFrameHeader(br)
				if err != nil || h2.op != opPing || !h2.fin || h2.length != 0 {
					t.Fatalf("n=%d %s: second frame %+v %v", n, name, h2, err)
				}
				if _, err := readFrameHeader(br); err != io.EOF {
					t.Fatalf("n=%d %s: want io.EOF at end, got %v", n, name, err)
				}
			}
		}
	}
}

func TestFrameHeaderMinimalLength(t *testing.T) {
	for _, c := range []struct{ n, size int }{{0, 2}, {125, 2}, {126, 4}, {65535, 4}, {65536, 10}} {
		if got := len(appendFrameHeader(nil, true, 0, opText, c.n, false, [4]byte{})); got != c.size {
			t.Errorf("length %d: header %d bytes, want %d", c.n, got, c.size)
		}
	}
}

func TestFrameHeaderTruncated(t *testing.T) {
	full := appendFrameHeader(nil, true, 0, opText, 70000, true, [4]byte{1, 2, 3, 4})
	for i := 1; i < len(full); i++ {
		br := bufio.NewReaderSize(iotest.OneByteReader(bytes.NewReader(full[:i])), 16)
		if _, err := readFrameHeader(br); err != io.ErrUnexpectedEOF {
			t.Errorf("truncated at %d: got %v, want io.ErrUnexpectedEOF", i, err)
		}
	}
}

// RFC 6455 5.2: "the most significant bit MUST be 0".
func TestFrameHeaderLengthTopBit(t *testing.T) {
	wire := []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1}
	_, err := readFrameHeader(bufio.NewReader(bytes.NewReader(wire)))
	if !errors.Is(err, errLengthMSB) {
		t.Fatalf("got %v", err)
	}
}

func TestMaskBytesMatchesNaive(t *testing.T) {
	key := [4]byte{0xde, 0xad, 0xbe, 0xef}
	for n := 0; n < 100; n++ {
		for pos := range 8 {
			// pos 4-7: the same key offsets, on a slice that does not
			// start at an 8-byte boundary.
			b := make([]byte, n+pos)[pos:]
			pos := pos & 3
			for i := range b {
				b[i] = byte(i)
			}
			want := append([]byte(nil), b...)
			for i := range want {
				want[i] ^= key[(pos+i)&3]
			}
			next := maskBytes(key, pos, b)
			if !bytes.Equal(b, want) {
				t.Fatalf("n=%d pos=%d: mismatch", n, pos)
			}
			if next != (pos+n)&3 {
				t.Fatalf("n=%d pos=%d: next %d", n, pos, next)
			}
		}
	}
}

// TestMaskCopyMatchesNaive: maskCopy writes the masked bytes to dst, leaves
// src untouched, writes nothing past len(src), and returns the next offset.
func TestMaskCopyMatchesNaive(t *testing.T) {
	key := [4]byte{0xde, 0xad, 0xbe, 0xef}
	for n := 0; n < 100; n++ {
		for pos := range 8 {
			src := make([]byte, n+pos)[pos/2:][:n]
			for i := range src {
				src[i] = byte(i)
			}
			orig := append([]byte(nil), src...)
			want := append([]byte(nil), src...)
			for i := range want {
				want[i] ^= key[(pos+i)&3]
			}
			dst := bytes.Repeat([]byte{0xaa}, n+8+pos)[pos:]
			pos := pos & 3
			for i := range want {
				want[i] = orig[i] ^ key[(pos+i)&3]
			}
			next := maskCopy(dst, src, key, pos)
			if !bytes.Equal(dst[:n], want) {
				t.Fatalf("n=%d pos=%d: mismatch", n, pos)
			}
			if !bytes.Equal(dst[n:], bytes.Repeat([]byte{0xaa}, 8)) {
				t.Fatalf("n=%d pos=%d: wrote past len(src)", n, pos)
			}
			if !bytes.Equal(src, orig) {
				t.Fatalf("n=%d pos=%d: src modified", n, pos)
			}
			if next != (pos+n)&3 {
				t.Fatalf("n=%d pos=%d: next %d", n, pos, next)
			}
		}
	}
}
