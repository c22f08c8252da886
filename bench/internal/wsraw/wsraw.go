// Package wsraw is the minimal WebSocket client side used by the load tools:
// a hand-written opening handshake and masked frame encoding/decoding over a
// raw net.Conn, with no goroutine, queue or allocation per message, so that
// the client spends as little CPU as possible next to the server it measures.
//
// It is not a general WebSocket client: it assumes the server behaves
// (no extensions, no fragmented replies) and fails on anything else.
package wsraw

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"
)

// ErrUnexpected is returned for server input the load tools do not handle
// (fragmented or compressed frames, a close frame, a bad handshake).
var ErrUnexpected = errors.New("wsraw: unexpected server input")

// CheckLoopback returns an error unless rawURL is a ws:// URL whose host is a
// loopback IP address or "localhost": the load tools never leave the machine.
func CheckLoopback(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("wsraw: url: %w", err)
	}
	if u.Scheme != "ws" && u.Scheme != "http" {
		return nil, fmt.Errorf("wsraw: scheme %q: only ws:// is supported", u.Scheme)
	}
	host := u.Hostname()
	if host == "localhost" {
		return u, nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("wsraw: host %q is not a loopback address: refusing to load it", host)
	}
	return u, nil
}

// Handshake performs the opening handshake on nc for u and returns the reader
// holding any bytes past the 101 response. d bounds the handshake.
func Handshake(nc net.Conn, u *url.URL, d time.Duration) (*bufio.Reader, error) {
	var key [16]byte
	_, _ = rand.Read(key[:])
	path := u.RequestURI()
	req := "GET " + path + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " +
		base64.StdEncoding.EncodeToString(key[:]) + "\r\n\r\n"
	_ = nc.SetDeadline(time.Now().Add(d))
	defer func() { _ = nc.SetDeadline(time.Time{}) }()
	if _, err := io.WriteString(nc, req); err != nil {
		return nil, fmt.Errorf("wsraw: handshake: %w", err)
	}
	br := bufio.NewReaderSize(nc, 64<<10)
	status, err := br.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("wsraw: handshake: %w", err)
	}
	if !strings.HasPrefix(status, "HTTP/1.1 101") {
		return nil, fmt.Errorf("%w: status %q", ErrUnexpected, strings.TrimSpace(status))
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("wsraw: handshake: %w", err)
		}
		if line == "\r\n" {
			return br, nil
		}
	}
}

// AppendFrame appends a masked, unfragmented frame of opcode op (1 text,
// 2 binary) carrying p, masked with key, to dst.
func AppendFrame(dst []byte, op byte, key [4]byte, p []byte) []byte {
	dst = append(dst, 0x80|op)
	n := len(p)
	switch {
	case n < 126:
		dst = append(dst, 0x80|byte(n))
	case n < 1<<16:
		dst = append(dst, 0x80|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x80|127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	dst = append(dst, key[:]...)
	start := len(dst)
	dst = append(dst, p...)
	Mask(dst[start:], key, 0)
	return dst
}

// Mask XORs p with key, starting at key position pos (0..3).
func Mask(p []byte, key [4]byte, pos int) {
	for i := range p {
		p[i] ^= key[(pos+i)&3]
	}
}

// ReadFrame reads one unmasked server frame from br into buf (grown as
// needed) and returns its opcode and payload (aliasing buf). Ping frames are
// returned like others; the caller decides. Fragmented or compressed frames
// and close frames return ErrUnexpected.
func ReadFrame(br *bufio.Reader, buf []byte) (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return 0, buf, err
	}
	if h[0]&0x80 == 0 || h[0]&0x70 != 0 || h[1]&0x80 != 0 {
		return 0, buf, fmt.Errorf("%w: frame header %#x %#x", ErrUnexpected, h[0], h[1])
	}
	op = h[0] & 0x0f
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var e [2]byte
		if _, err := io.ReadFull(br, e[:]); err != nil {
			return 0, buf, err
		}
		n = int(e[0])<<8 | int(e[1])
	case 127:
		var e [8]byte
		if _, err := io.ReadFull(br, e[:]); err != nil {
			return 0, buf, err
		}
		n = 0
		for _, b := range e {
			n = n<<8 | int(b)
		}
	}
	if op == 8 {
		return op, buf, fmt.Errorf("%w: close frame", ErrUnexpected)
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(br, buf); err != nil {
		return 0, buf, err
	}
	return op, buf, nil
}
