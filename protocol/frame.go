package protocol

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"unsafe"
)

// opcode is a frame opcode (RFC 6455 section 5.2).
type opcode byte

const (
	opContinuation opcode = 0x0
	opText         opcode = 0x1
	opBinary       opcode = 0x2
	opClose        opcode = 0x8
	opPing         opcode = 0x9
	opPong         opcode = 0xA
)

// isControl reports whether op is a control opcode (high bit set).
func (op opcode) isControl() bool { return op&0x8 != 0 }

// maxControlPayload is the largest control frame payload (RFC 6455 5.5).
const maxControlPayload = 125

// Header bits.
const (
	bitFin  = 0x80
	bitRsv1 = 0x40
	bitRsv2 = 0x20
	bitRsv3 = 0x10
	bitMask = 0x80
)

// frameHeader is a decoded frame header. It holds the wire values only;
// semantic checks (opcode validity, control frame rules, masking per role,
// limits) are done by the reader so that each gets its own close code.
type frameHeader struct {
	fin    bool
	rsv    byte // the three reserved bits, as in the first byte (0x70 mask)
	op     opcode
	masked bool
	key    [4]byte
	length int64
}

// errLengthMSB: RFC 6455 5.2, "the most significant bit MUST be 0".
var errLengthMSB = errors.New("protocol: 64-bit payload length has its top bit set")

// readFrameHeader reads one frame header from br, consuming exactly its
// bytes. At a clean end of stream before the first byte it returns io.EOF;
// inside a header, io.ErrUnexpectedEOF. It works with any underlying reader,
// however short its reads. It does not allocate.
func readFrameHeader(br *bufio.Reader) (frameHeader, error) {
	var h frameHeader
	b, err := br.Peek(2)
	if err != nil {
		if len(b) > 0 && err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return h, err
	}
	n := headerLen(b[1])
	if n > 2 {
		b, err = br.Peek(n)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return h, err
		}
	}
	h.fin = b[0]&bitFin != 0
	h.rsv = b[0] & (bitRsv1 | bitRsv2 | bitRsv3)
	h.op = opcode(b[0] & 0x0f)
	h.masked = b[1]&bitMask != 0
	u := payloadLen(b)
	if u>>63 != 0 {
		br.Discard(n)
		return h, errLengthMSB
	}
	h.length = int64(u)
	if h.masked {
		copy(h.key[:], b[n-4:n]) // the key ends the header
	}
	_, _ = br.Discard(n)
	return h, nil
}

// headerLen is the size of a frame header whose second byte is b1: the
// two fixed bytes, the extended length, the mask key.
func headerLen(b1 byte) int {
	n := 2
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&bitMask != 0 {
		n += 4
	}
	return n
}

// payloadLen is the payload length in the frame header that starts b,
// which holds the whole header (headerLen bytes). It is not checked: a
// 64-bit length may have its top bit set.
func payloadLen(b []byte) uint64 {
	switch len7 := b[1] & 0x7f; len7 {
	case 126:
		return uint64(binary.BigEndian.Uint16(b[2:]))
	case 127:
		return binary.BigEndian.Uint64(b[2:])
	default:
		return uint64(len7)
	}
}

// appendFrameHeader appends the header of a frame to dst, with the shortest
// length encoding. When masked is true the key is written after the length.
func appendFrameHeader(dst []byte, fin bool, rsv byte, op opcode, length int, masked bool, key [4]byte) []byte {
	b0 := byte(op) | rsv
	if fin {
		b0 |= bitFin
	}
	var b1 byte
	if masked {
		b1 = bitMask
	}
	switch {
	case length <= 125:
		dst = append(dst, b0, b1|byte(length))
	case length <= 0xffff:
		dst = append(dst, b0, b1|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(length))
	default:
		dst = append(dst, b0, b1|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(length))
	}
	if masked {
		dst = append(dst, key[:]...)
	}
	return dst
}

// frameHeaderSize is the size of the header appendFrameHeader writes.
func frameHeaderSize(length int, masked bool) int {
	n := 2
	switch {
	case length > 0xffff:
		n += 8
	case length > 125:
		n += 2
	}
	if masked {
		n += 4
	}
	return n
}

// maskBytes XORs b in place with key, starting at key offset pos (the
// number of payload bytes already masked, modulo 4), and returns the offset
// for the next call. Masking and unmasking are the same operation. It works
// on 8-byte words and does not allocate.
func maskBytes(key [4]byte, pos int, b []byte) int {
	k := binary.LittleEndian.Uint32(key[:])
	k = bits.RotateLeft32(k, -8*(pos&3))
	n := len(b)
	if len(b) >= 8 {
		// Bytes up to an 8-byte boundary one by one: word accesses that
		// straddle cache lines run at half speed, and a payload read in
		// chunks starts anywhere.
		if head := int(-uintptr(unsafe.Pointer(&b[0])) & 7); head > 0 {
			for i := range head {
				b[i] ^= byte(k >> (8 * (i & 3)))
			}
			b = b[head:]
			k = bits.RotateLeft32(k, -8*(head&3))
		}
		k64 := uint64(k) | uint64(k)<<32
		// Through array pointers the compiler proves every index in
		// bounds: eight plain 64-bit loads and stores per iteration.
		for len(b) >= 64 {
			w := (*[64]byte)(b)
			binary.LittleEndian.PutUint64(w[0:], binary.LittleEndian.Uint64(w[0:])^k64)
			binary.LittleEndian.PutUint64(w[8:], binary.LittleEndian.Uint64(w[8:])^k64)
			binary.LittleEndian.PutUint64(w[16:], binary.LittleEndian.Uint64(w[16:])^k64)
			binary.LittleEndian.PutUint64(w[24:], binary.LittleEndian.Uint64(w[24:])^k64)
			binary.LittleEndian.PutUint64(w[32:], binary.LittleEndian.Uint64(w[32:])^k64)
			binary.LittleEndian.PutUint64(w[40:], binary.LittleEndian.Uint64(w[40:])^k64)
			binary.LittleEndian.PutUint64(w[48:], binary.LittleEndian.Uint64(w[48:])^k64)
			binary.LittleEndian.PutUint64(w[56:], binary.LittleEndian.Uint64(w[56:])^k64)
			b = b[64:]
		}
		for len(b) >= 8 {
			w := (*[8]byte)(b)
			binary.LittleEndian.PutUint64(w[:], binary.LittleEndian.Uint64(w[:])^k64)
			b = b[8:]
		}
	}
	for i := range b {
		b[i] ^= byte(k >> (8 * (i & 3)))
	}
	return (pos + n) & 3
}

// maskCopy writes src XOR key to dst[:len(src)], starting at key offset
// pos, and returns the offset for the next call: maskBytes fused with the
// copy, so the client role masks a payload into the queue in one pass
// without touching the caller's buffer. dst must be at least as long as
// src and must not overlap it unless they are the same slice.
func maskCopy(dst, src []byte, key [4]byte, pos int) int {
	dst = dst[:len(src)]
	k := binary.LittleEndian.Uint32(key[:])
	k = bits.RotateLeft32(k, -8*(pos&3))
	n := len(src)
	if len(src) >= 8 {
		if head := int(-uintptr(unsafe.Pointer(&dst[0])) & 7); head > 0 {
			for i := range head {
				dst[i] = src[i] ^ byte(k>>(8*(i&3)))
			}
			dst, src = dst[head:], src[head:]
			k = bits.RotateLeft32(k, -8*(head&3))
		}
		k64 := uint64(k) | uint64(k)<<32
		for len(src) >= 32 && len(dst) >= 32 {
			d, s := (*[32]byte)(dst), (*[32]byte)(src)
			binary.LittleEndian.PutUint64(d[0:], binary.LittleEndian.Uint64(s[0:])^k64)
			binary.LittleEndian.PutUint64(d[8:], binary.LittleEndian.Uint64(s[8:])^k64)
			binary.LittleEndian.PutUint64(d[16:], binary.LittleEndian.Uint64(s[16:])^k64)
			binary.LittleEndian.PutUint64(d[24:], binary.LittleEndian.Uint64(s[24:])^k64)
			dst, src = dst[32:], src[32:]
		}
		for len(src) >= 8 && len(dst) >= 8 {
			binary.LittleEndian.PutUint64((*[8]byte)(dst)[:], binary.LittleEndian.Uint64((*[8]byte)(src)[:])^k64)
			dst, src = dst[8:], src[8:]
		}
	}
	for i := range src {
		dst[i] = src[i] ^ byte(k>>(8*(i&3)))
	}
	return (pos + n) & 3
}
