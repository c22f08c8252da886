package protocol

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// rawPeer speaks WebSocket over a raw socket with its own minimal frame
// code (independent of the package's codec), to drive our server or client
// with exact bytes, including invalid ones.
type rawPeer struct {
	t      testing.TB
	nc     net.Conn
	br     *bufio.Reader
	client bool // masks its frames
	bg     bool // runs on a goroutine other than the test's
	resp   *http.Response
}

// fatalf fails the test; on a background goroutine it reports and ends
// that goroutine only (t.Fatal belongs to the test goroutine).
func (r *rawPeer) fatalf(format string, args ...any) {
	r.t.Helper()
	if r.bg {
		r.t.Errorf(format, args...)
		runtime.Goexit()
	}
	r.t.Fatalf(format, args...)
}

const rawKey = "dGhlIHNhbXBsZSBub25jZQ=="

// rawConnect performs a client handshake by hand; extra holds additional
// header lines ("Name: value\r\n").
func rawConnect(t testing.TB, url, extra string) *rawPeer {
	t.Helper()
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "ws://"), "/")
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + rawKey + "\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 101 {
		t.Fatalf("handshake status %d", resp.StatusCode)
	}
	if resp.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("accept %q", resp.Header.Get("Sec-WebSocket-Accept"))
	}
	return &rawPeer{t: t, nc: nc, br: br, client: true, resp: resp}
}

// frame builds one frame. b0 holds FIN/RSV/opcode exactly as on the wire.
func (r *rawPeer) frame(b0 byte, payload []byte) []byte {
	var b []byte
	b = append(b, b0)
	var m byte
	if r.client {
		m = 0x80
	}
	n := len(payload)
	switch {
	case n < 126:
		b = append(b, m|byte(n))
	case n < 65536:
		b = append(b, m|126, byte(n>>8), byte(n))
	default:
		b = append(b, m|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	if r.client {
		key := []byte{0x37, 0xfa, 0x21, 0x3d}
		b = append(b, key...)
		for i, c := range payload {
			b = append(b, c^key[i%4])
		}
		return b
	}
	return append(b, payload...)
}

func (r *rawPeer) write(b []byte) {
	r.t.Helper()
	if _, err := r.nc.Write(b); err != nil {
		r.fatalf("write: %v", err)
	}
}

// send writes one frame: fin, rsv bits (0x70 mask), opcode.
func (r *rawPeer) send(fin bool, rsv byte, op byte, payload []byte) {
	r.t.Helper()
	b0 := rsv | op
	if fin {
		b0 |= 0x80
	}
	r.write(r.frame(b0, payload))
}

type rawFrame struct {
	fin     bool
	rsv     byte
	op      byte
	masked  bool
	payload []byte
}

// read reads one frame (unmasking it) with a 5s bound.
func (r *rawPeer) read() (rawFrame, error) {
	_ = r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var f rawFrame
	var h [2]byte
	if _, err := io.ReadFull(r.br, h[:]); err != nil {
		return f, err
	}
	f.fin, f.rsv, f.op, f.masked = h[0]&0x80 != 0, h[0]&0x70, h[0]&0x0f, h[1]&0x80 != 0
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var e [2]byte
		if _, err := io.ReadFull(r.br, e[:]); err != nil {
			return f, err
		}
		n = uint64(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		if _, err := io.ReadFull(r.br, e[:]); err != nil {
			return f, err
		}
		n = binary.BigEndian.Uint64(e[:])
	}
	var key [4]byte
	if f.masked {
		if _, err := io.ReadFull(r.br, key[:]); err != nil {
			return f, err
		}
	}
	if n > 64<<20 {
		return f, errors.New("frame too large for the test peer")
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(r.br, f.payload); err != nil {
		return f, err
	}
	if f.masked {
		for i := range f.payload {
			f.payload[i] ^= key[i%4]
		}
	}
	return f, nil
}

// expect reads one frame and checks its opcode and payload.
func (r *rawPeer) expect(op byte, payload []byte) rawFrame {
	r.t.Helper()
	f, err := r.read()
	if err != nil {
		r.fatalf("want frame op %d: %v", op, err)
	}
	if f.op != op || !f.fin || f.rsv != 0 || !bytes.Equal(f.payload, payload) {
		r.fatalf("want op %d payload %.40q, got op %d fin %v rsv %x payload %.40q", op, payload, f.op, f.fin, f.rsv, f.payload)
	}
	if f.masked == r.client {
		r.fatalf("frame masking wrong for the role: masked=%v", f.masked)
	}
	return f
}

// expectClose reads frames up to a close frame (skipping nothing) and
// checks its code; code StatusNoStatusRcvd means an empty payload.
func (r *rawPeer) expectClose(code StatusCode) {
	r.t.Helper()
	f, err := r.read()
	if err != nil {
		r.fatalf("want close %d: %v", code, err)
	}
	if f.op != 8 {
		r.fatalf("want close %d, got op %d payload %.40q", code, f.op, f.payload)
	}
	got := StatusNoStatusRcvd
	if len(f.payload) >= 2 {
		got = StatusCode(binary.BigEndian.Uint16(f.payload))
	}
	if got != code {
		r.fatalf("close code %d (%q), want %d", got, f.payload, code)
	}
}

// expectTCPClosed checks that the peer closes TCP: the next read is EOF (or
// a reset), with no further bytes.
func (r *rawPeer) expectTCPClosed() {
	r.t.Helper()
	_ = r.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b [1]byte
	n, err := r.br.Read(b[:])
	if n != 0 || err == nil {
		r.fatalf("want TCP closed, read %d bytes (%v)", n, err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		r.fatalf("TCP not closed by the peer within 10s")
	}
}

// closeNormally runs a client-initiated closing handshake with 1000.
func (r *rawPeer) closeNormally() {
	r.t.Helper()
	r.send(true, 0, 8, []byte{0x03, 0xe8})
	r.expectClose(StatusNormalClosure)
	r.expectTCPClosed()
}

// rawServer accepts one TCP connection, answers the handshake of our Dial
// by hand (acceptHeader overrides Sec-WebSocket-Accept when set, extra adds
// header lines) and runs script with a server-role rawPeer.
func rawServer(t *testing.T, extra string, script func(p *rawPeer)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	go func() {
		defer close(done)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(nc)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		if !strings.Contains(extra, "Sec-WebSocket-Accept") {
			resp += "Sec-WebSocket-Accept: " + acceptKey(req.Header.Get("Sec-WebSocket-Key")) + "\r\n"
		}
		resp += extra + "\r\n"
		if _, err := io.WriteString(nc, resp); err != nil {
			return
		}
		script(&rawPeer{t: t, nc: nc, br: br, bg: true})
	}()
	return "ws://" + ln.Addr().String() + "/"
}

// rawConnectRaw opens TCP and writes raw bytes as the request.
func rawConnectRaw(t testing.TB, url, raw string) *rawPeer {
	t.Helper()
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "ws://"), "/")
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(nc, raw); err != nil {
		t.Fatal(err)
	}
	return &rawPeer{t: t, nc: nc, br: bufio.NewReader(nc), client: true}
}

// rawServerSilent accepts connections and never answers.
func rawServerSilent(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		defer close(done)
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, nc)
		}
	}()
	return "ws://" + ln.Addr().String() + "/"
}
