package protocol

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzConn is a net.Conn reading from fixed bytes and recording writes.
type fuzzConn struct {
	r      io.Reader
	mu     sync.Mutex
	out    bytes.Buffer
	closed bool
}

func (c *fuzzConn) Read(p []byte) (int, error) { return c.r.Read(p) }
func (c *fuzzConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	return c.out.Write(p)
}
func (c *fuzzConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return nil
}
func (c *fuzzConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (c *fuzzConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (c *fuzzConn) SetDeadline(t time.Time) error      { return nil }
func (c *fuzzConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *fuzzConn) SetWriteDeadline(t time.Time) error { return nil }

// FuzzFrameParser feeds arbitrary bytes to the frame header decoder and to
// the whole read path of a server Conn (plain, with permessage-deflate, and
// with ReleaseReadBuffer).
// It checks: no panic or hang; a decoded header re-encodes to the bytes it
// consumed when the length was minimally encoded; every returned message is
// within the limit and valid UTF-8 when text; a failure carries one of the
// close codes 1002, 1007, 1009; a peer close carries a valid code.
func FuzzFrameParser(f *testing.F) {
	key := [4]byte{1, 2, 3, 4}
	seed := func(parts ...[]byte) { f.Add(bytes.Join(parts, nil)) }
	masked := func(b0 byte, p string) []byte {
		h := appendFrameHeader(nil, b0&0x80 != 0, b0&0x70, opcode(b0&0x0f), len(p), true, key)
		s := len(h)
		h = append(h, p...)
		maskBytes(key, 0, h[s:])
		return h
	}
	seed(masked(0x81, "hello"))
	seed(masked(0x01, "hel"), masked(0x89, "ping"), masked(0x80, "lo"))
	seed(masked(0x82, strings.Repeat("x", 300)))
	seed(masked(0x88, "\x03\xe8bye"))
	seed(masked(0xc1, "\xf2\x48\xcd\xc9\xc9\x07\x00"))
	seed([]byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1})
	seed(masked(0x81, "\xed\xa0\x80"))
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(data), 16)
		if h, err := readFrameHeader(br); err == nil {
			consumed := len(data) - br.Buffered()
			if int(h.length) == int(int64(int(h.length))) && consumed == frameHeaderSize(int(h.length), h.masked) {
				enc := appendFrameHeader(nil, h.fin, h.rsv, h.op, int(h.length), h.masked, h.key)
				if !bytes.Equal(enc, data[:consumed]) {
					t.Fatalf("re-encoded header %x, wire %x", enc, data[:consumed])
				}
			}
		}
		for mode := range 3 { // plain, permessage-deflate, ReleaseReadBuffer
			nc := &fuzzConn{r: bytes.NewReader(data)}
			c := newConn(nc, nil, connConfig{server: true, deflate: mode == 1,
				params: deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15},
				opts:   Options{MaxMessageSize: 1 << 16, CloseTimeout: time.Millisecond, ReleaseReadBuffer: mode == 2}})
			for range 1000 {
				typ, p, err := c.ReadMessage()
				if err != nil {
					if errors.Is(err, ErrFailed) {
						switch CloseStatus(err) {
						case StatusProtocolError, StatusInvalidFramePayloadData, StatusMessageTooBig:
						default:
							t.Fatalf("failure with code %d: %v", CloseStatus(err), err)
						}
					} else if code := CloseStatus(err); code != StatusAbnormalClosure && code != StatusNoStatusRcvd && !validWireCloseCode(code) {
						t.Fatalf("close with code %d: %v", code, err)
					}
					break
				}
				if len(p) > 1<<16 {
					t.Fatalf("message of %d bytes over the limit", len(p))
				}
				if typ == MessageText && !utf8.Valid(p) {
					t.Fatalf("invalid UTF-8 text returned")
				}
			}
			c.CloseNow()
		}
	})
}

// FuzzHandshake feeds arbitrary request heads to ReadRequest and Negotiate.
// Every refusal is a *HandshakeError with a 4xx status and a one-line
// reason that WriteReject turns into a parseable response; every success
// carries a 16-byte key and a subprotocol both sides listed.
func FuzzHandshake(f *testing.F) {
	f.Add([]byte(goodRequest))
	f.Add([]byte(strings.Replace(goodRequest, "Version: 13", "Version: 8", 1)))
	f.Add([]byte(strings.Replace(goodRequest, "chat, superchat", "superchat", 1) + "extra"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x\r\n\r\n"))
	f.Add([]byte("POST / HTTP/1.0\r\n\r\n"))
	f.Add([]byte("GET\r\n\r\n"))
	u := &Upgrader{
		Subprotocols: []string{"superchat", "chat"},
		CheckOrigin:  func(r *http.Request) bool { return r.Header.Get("Origin") != "http://evil" },
		Options:      Options{Compression: CompressionOptions{Enabled: true}},
	}
	checkRefusal := func(t *testing.T, err error) {
		var he *HandshakeError
		if !errors.As(err, &he) {
			return
		}
		if he.Status < 400 || he.Status > 499 || he.Reason == "" || strings.ContainsAny(he.Reason, "\r\n") {
			t.Fatalf("refusal %d %q", he.Status, he.Reason)
		}
		var b bytes.Buffer
		if err := WriteReject(&b, he); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(&b), nil)
		if err != nil || resp.StatusCode != he.Status {
			t.Fatalf("WriteReject output unreadable: %v", err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadRequest(bufio.NewReaderSize(bytes.NewReader(data), 4096))
		if err != nil {
			var he *HandshakeError
			if !errors.As(err, &he) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("unexpected error type %T %v", err, err)
			}
			checkRefusal(t, err)
			return
		}
		hs, err := u.Negotiate(r)
		if err != nil {
			var he *HandshakeError
			if !errors.As(err, &he) {
				t.Fatalf("Negotiate error %T", err)
			}
			checkRefusal(t, err)
			return
		}
		if k, err := base64.StdEncoding.DecodeString(hs.Key); err != nil || len(k) != 16 {
			t.Fatalf("accepted key %q", hs.Key)
		}
		if hs.Subprotocol != "" && (!slices.Contains(u.Subprotocols, hs.Subprotocol) || !slices.Contains(headerTokens(r.Header, "Sec-Websocket-Protocol"), hs.Subprotocol)) {
			t.Fatalf("subprotocol %q not offered by both", hs.Subprotocol)
		}
		if strings.ContainsAny(hs.Extensions, "\r\n") {
			t.Fatalf("extension response %q", hs.Extensions)
		}
	})
}

// FuzzUTF8 compares the incremental validator with unicode/utf8 for any
// input split at any point, and checks that it fails exactly at the first
// byte that makes the prefix unextendable.
func FuzzUTF8(f *testing.F) {
	for i, s := range utf8Cases {
		f.Add([]byte(s), uint16(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		want := utf8.Valid(data)
		if validUTF8(data) != want {
			t.Fatalf("validUTF8(%q) = %v", data, !want)
		}
		k := int(split) % (len(data) + 1)
		var st utf8State
		if got := st.feed(data[:k]) && st.feed(data[k:]) && st.complete(); got != want {
			t.Fatalf("split %d of %q: %v", k, data, got)
		}
		if len(data) > 64 {
			return
		}
		st = 0
		for i := range data {
			ok := st.feed(data[i : i+1])
			if ok != validPrefix(data[:i+1]) {
				t.Fatalf("prefix %q: validator %v", data[:i+1], ok)
			}
			if !ok {
				break
			}
		}
	})
}
