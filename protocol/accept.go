package protocol

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Upgrader accepts WebSocket connections on the server side. Its fields are
// read-only once in use; an Upgrader is safe for concurrent use.
type Upgrader struct {
	// Options configure every accepted Conn.
	Options
	// Subprotocols lists the supported subprotocols in preference order.
	Subprotocols []string
	// CheckOrigin decides whether to accept the request's origin; nil
	// accepts every origin. Returning false refuses the handshake with 403.
	CheckOrigin func(r *http.Request) bool
	// HandshakeTimeout bounds writing the 101 response (and, in Accept, the
	// whole upgrade). Default DefaultHandshakeTimeout. Reading the request
	// is bounded by the caller (a read deadline for ReadRequest; net/http's
	// own timeouts for Accept).
	HandshakeTimeout time.Duration
}

func (u *Upgrader) handshakeTimeout() time.Duration {
	if u.HandshakeTimeout > 0 {
		return u.HandshakeTimeout
	}
	return DefaultHandshakeTimeout
}

// Upgrade writes the 101 Switching Protocols response for hs (plus
// extraHeader, which must not contain CR or LF) on nc and returns the Conn.
// br holds the bytes already read past the request head (they are the first
// frames); it may be nil. The Conn takes ownership of nc and of br (it
// reuses br as its read buffer when br is at least ReadBufferSize bytes).
// On error nc is closed.
func (u *Upgrader) Upgrade(nc net.Conn, br *bufio.Reader, hs Handshake, extraHeader http.Header) (*Conn, error) {
	if hs.Key == "" {
		nc.Close()
		return nil, errors.New("protocol: Upgrade without a negotiated handshake")
	}
	b := make([]byte, 0, 256)
	b = append(b, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	b = append(b, acceptKey(hs.Key)...)
	b = append(b, "\r\n"...)
	if hs.Subprotocol != "" {
		b = append(b, "Sec-WebSocket-Protocol: "...)
		b = append(b, hs.Subprotocol...)
		b = append(b, "\r\n"...)
	}
	if hs.Extensions != "" {
		b = append(b, "Sec-WebSocket-Extensions: "...)
		b = append(b, hs.Extensions...)
		b = append(b, "\r\n"...)
	}
	b, err := appendHeader(b, extraHeader)
	if err != nil {
		nc.Close()
		return nil, err
	}
	b = append(b, "\r\n"...)
	if err := nc.SetWriteDeadline(time.Now().Add(u.handshakeTimeout())); err != nil {
		nc.Close()
		return nil, fmt.Errorf("protocol: upgrade: %w", err)
	}
	if _, err := nc.Write(b); err != nil {
		nc.Close()
		return nil, fmt.Errorf("protocol: writing 101 response: %w", err)
	}
	// Clear handshake deadlines; the Conn manages its own.
	if err := nc.SetDeadline(time.Time{}); err != nil {
		nc.Close()
		return nil, fmt.Errorf("protocol: upgrade: %w", err)
	}
	opts := u.Options
	return newConn(nc, br, connConfig{
		server:      true,
		opts:        opts,
		subprotocol: hs.Subprotocol,
		extensions:  hs.Extensions,
		deflate:     hs.deflate,
		params:      hs.deflateParams,
	}), nil
}

// Accept upgrades a net/http request: Negotiate, hijack the connection,
// Upgrade. On a refused handshake it has answered the request (status,
// headers, one-line reason) and returns the *HandshakeError. The Conn is
// independent of the http.Server afterwards (its timeouts no longer apply).
func (u *Upgrader) Accept(w http.ResponseWriter, r *http.Request, extraHeader http.Header) (*Conn, error) {
	hs, err := u.Negotiate(r)
	if err != nil {
		var he *HandshakeError
		if errors.As(err, &he) {
			for k, vs := range he.Header {
				w.Header()[k] = vs
			}
			w.Header().Set("Connection", "close")
			http.Error(w, he.Reason, he.Status)
		}
		return nil, err
	}
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "connection cannot be upgraded", http.StatusInternalServerError)
		return nil, fmt.Errorf("protocol: hijack: %w", err)
	}
	var br *bufio.Reader
	if brw != nil {
		br = brw.Reader
	}
	return u.Upgrade(nc, br, hs, extraHeader)
}
