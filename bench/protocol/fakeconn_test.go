package protocolbench

import (
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// frameReader yields frame count times, then io.EOF: the input of a server
// that receives exactly count identical frames.
type frameReader struct {
	frame []byte
	off   int
	count int
}

func (r *frameReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && r.count > 0 {
		c := copy(p[n:], r.frame[r.off:])
		n += c
		r.off += c
		if r.off == len(r.frame) {
			r.off = 0
			r.count--
		}
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// fakeConn is a net.Conn reading from r and discarding writes. When
// respond is set, the first Write (a client's opening handshake) makes the
// 101 response the next thing read, then r.
type fakeConn struct {
	mu      sync.Mutex
	r       io.Reader
	respond bool
	written int64
}

func (c *fakeConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	r := c.r
	c.mu.Unlock()
	if r == nil {
		return 0, io.EOF
	}
	return r.Read(p)
}

func (c *fakeConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.respond {
		c.respond = false
		resp, err := handshakeResponse(p)
		if err != nil {
			return 0, err
		}
		c.r = io.MultiReader(strings.NewReader(resp), c.r)
	}
	c.written += int64(len(p))
	return len(p), nil
}

func (c *fakeConn) Close() error                     { return nil }
func (c *fakeConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (c *fakeConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2} }
func (c *fakeConn) SetDeadline(time.Time) error      { return nil }
func (c *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }

// handshakeResponse answers a client's opening handshake request.
func handshakeResponse(req []byte) (string, error) {
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(req)))
	if err != nil {
		return "", fmt.Errorf("fake server: %w", err)
	}
	h := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		base64.StdEncoding.EncodeToString(h[:]) + "\r\n\r\n", nil
}

// upgradeRequest is a client's opening handshake; deflate offers
// permessage-deflate without context takeover in either direction, so
// that every message is compressed on its own (the only mode all three
// libraries share).
func upgradeRequest(deflate bool) *http.Request {
	r, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/bench", nil)
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Sec-WebSocket-Version", "13")
	r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	if deflate {
		r.Header.Set("Sec-WebSocket-Extensions", "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
	}
	return r
}

// hijackWriter is the http.ResponseWriter gorilla's Upgrade needs: it
// hijacks to nc.
type hijackWriter struct {
	nc  net.Conn
	hdr http.Header
}

func (w *hijackWriter) Header() http.Header {
	if w.hdr == nil {
		w.hdr = http.Header{}
	}
	return w.hdr
}
func (w *hijackWriter) Write(p []byte) (int, error) { return w.nc.Write(p) }
func (w *hijackWriter) WriteHeader(int)             {}
func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.nc, bufio.NewReadWriter(bufio.NewReaderSize(w.nc, 4096), bufio.NewWriterSize(w.nc, 4096)), nil
}

var maskKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// clientFrame is one masked, unfragmented client frame (rsv1 set for a
// compressed message).
func clientFrame(op byte, rsv1 bool, payload []byte) []byte {
	b0 := 0x80 | op
	if rsv1 {
		b0 |= 0x40
	}
	f := []byte{b0}
	n := len(payload)
	switch {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 1<<16:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	default:
		f = append(f, 0x80|127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	f = append(f, maskKey[:]...)
	for i, c := range payload {
		f = append(f, c^maskKey[i&3])
	}
	return f
}

// deflateMessage compresses p as one permessage-deflate message without
// context takeover: a sync-flushed raw DEFLATE stream minus its final
// 00 00 ff ff.
func deflateMessage(p []byte) []byte {
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestSpeed)
	_, _ = fw.Write(p)
	_ = fw.Flush()
	return bytes.TrimSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff})
}

// jsonMessage is about 1 KiB of chat-like JSON, the kind of message
// permessage-deflate is meant for.
func jsonMessage() []byte {
	var b strings.Builder
	b.WriteString(`{"type":"history","room":"general","messages":[`)
	for i := 0; b.Len() < 1000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"user":"user-%d","ts":%d,"text":"message number %d in the room"}`, 1000+i, i%7, 1763900000+i*13, i)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// textPayload is n bytes of ASCII text; mixedPayload n bytes of valid
// UTF-8 mixing 1- to 4-byte sequences.
func textPayload(n int) []byte {
	return []byte(strings.Repeat("the quick brown fox jumps over the lazy dog. ", n/45+1)[:n])
}

func mixedPayload(n int) []byte {
	src := []rune("κόσμε € 𝄞 abc ")
	b := make([]byte, 0, n)
	for i := 0; ; i++ {
		r := src[i%len(src)]
		if len(b)+utf8.RuneLen(r) > n {
			break
		}
		b = utf8.AppendRune(b, r)
	}
	for len(b) < n {
		b = append(b, 'x')
	}
	return b
}
