package host

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/socklet/socklet/abi"
	"github.com/socklet/socklet/plugins"
	"github.com/socklet/socklet/protocol"
)

// maxPendingBeforeOpen bounds what a plugin (or a publish to a topic the
// connection joined in socklet_on_open) may queue before the 101 response.
const maxPendingBeforeOpen = 1 << 20

// conn is the host side of one client connection: the plugins.Conn a plugin
// writes to. Between socklet_on_open and the 101 response there is no
// WebSocket yet; writes made then are kept in order and handed to the
// protocol connection by upgrade, before any later write.
type conn struct {
	req         requestInfo
	remote      string
	subprotocol string
	counters    connCounters // tracked by the route's metrics from handshake to release

	ws atomic.Pointer[protocol.Conn]

	mu           sync.Mutex // guards the pre-open state below
	pending      []pendingWrite
	pendingBytes int
	closed       bool // a close was requested before the 101
}

// pendingWrite is one write made before the 101 response.
type pendingWrite struct {
	kind  pendingKind
	typ   protocol.MessageType // kindMessage
	code  int                  // kindClose
	data  []byte               // message or ping payload, close reason
	frame *protocol.PreparedMessage
}

type pendingKind uint8

const (
	kindMessage pendingKind = iota
	kindFrame
	kindPing
	kindClose
)

var _ plugins.Conn = (*conn)(nil)

// Info implements plugins.Conn.
func (c *conn) Info(key abi.Info) string {
	switch key {
	case abi.InfoPath:
		return c.req.path
	case abi.InfoQuery:
		return c.req.query
	case abi.InfoRemoteAddr:
		return c.remote
	case abi.InfoSubprotocol:
		return c.subprotocol
	case abi.InfoOrigin:
		v, _ := c.req.header("Origin")
		return v
	}
	return ""
}

// Header implements plugins.Conn.
func (c *conn) Header(name string) (string, bool) { return c.req.header(name) }

// requestInfo is what a plugin may ask of the request that opened its
// connection, kept for the connection's life in two strings instead of an
// *http.Request (about 1 KiB per connection less).
type requestInfo struct {
	path, query string
	// headers holds each header as "Canonical-Name\x00value\x00", the
	// values of a repeated header joined with ", " (protocol.ReadRequest
	// refuses control characters in values, so NUL separates safely).
	headers string
}

func newRequestInfo(req *http.Request) requestInfo {
	n := 0
	for name, values := range req.Header {
		n += len(name) + 2 + 2*(len(values)-1)
		for _, v := range values {
			n += len(v)
		}
	}
	var b strings.Builder
	b.Grow(n)
	for name, values := range req.Header {
		b.WriteString(name)
		b.WriteByte(0)
		for i, v := range values {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(v)
		}
		b.WriteByte(0)
	}
	return requestInfo{path: req.URL.Path, query: req.URL.RawQuery, headers: b.String()}
}

// header returns the value of the named header (any case) and whether the
// request had it.
func (ri *requestInfo) header(name string) (string, bool) {
	name = http.CanonicalHeaderKey(name)
	rest := ri.headers
	for rest != "" {
		k, after, _ := strings.Cut(rest, "\x00")
		v, after, _ := strings.Cut(after, "\x00")
		if k == name {
			return v, true
		}
		rest = after
	}
	return "", false
}

// Write implements plugins.Conn.
func (c *conn) Write(text bool, p []byte) error {
	typ := protocol.MessageBinary
	if text {
		typ = protocol.MessageText
	}
	if ws := c.ws.Load(); ws != nil {
		return c.count(len(p), mapErr(ws.Write(typ, p)))
	}
	return c.queue(pendingWrite{kind: kindMessage, typ: typ, data: append([]byte(nil), p...)}, len(p))
}

// WriteFrame implements plugins.Conn.
func (c *conn) WriteFrame(f plugins.Frame) error {
	pm, ok := f.(*protocol.PreparedMessage)
	if !ok {
		return errors.New("host: frame not built by this host")
	}
	if ws := c.ws.Load(); ws != nil {
		return c.count(pm.Len(), mapErr(ws.WritePrepared(pm)))
	}
	return c.queue(pendingWrite{kind: kindFrame, frame: pm}, pm.Len())
}

// Ping implements plugins.Conn.
func (c *conn) Ping(p []byte) error {
	if ws := c.ws.Load(); ws != nil {
		return mapErr(ws.Ping(p))
	}
	return c.queue(pendingWrite{kind: kindPing, data: append([]byte(nil), p...)}, len(p))
}

// Close implements plugins.Conn.
func (c *conn) Close(code int, reason string) error {
	if ws := c.ws.Load(); ws != nil {
		return mapErr(ws.Close(protocol.StatusCode(code), reason))
	}
	return c.queue(pendingWrite{kind: kindClose, code: code, data: []byte(reason)}, 0)
}

func (c *conn) count(n int, err error) error {
	if err == nil {
		c.counters.sent(n)
	}
	return err
}

func (c *conn) queue(w pendingWrite, n int) error {
	c.mu.Lock()
	if ws := c.ws.Load(); ws != nil {
		c.mu.Unlock()
		return c.replay(ws, w)
	}
	defer c.mu.Unlock()
	if c.closed {
		return plugins.ErrClosed
	}
	if c.pendingBytes+n > maxPendingBeforeOpen {
		return plugins.ErrQueueFull
	}
	c.pending = append(c.pending, w)
	c.pendingBytes += n
	c.closed = w.kind == kindClose // nothing may follow a close
	return nil
}

// upgraded hands the protocol connection to c: writes queued before the 101
// go first, then c.ws is published so later writes go straight to ws.
func (c *conn) upgraded(ws *protocol.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range c.pending {
		_ = c.replay(ws, w)
	}
	c.pending, c.pendingBytes = nil, 0
	c.ws.Store(ws)
}

func (c *conn) replay(ws *protocol.Conn, w pendingWrite) error {
	switch w.kind {
	case kindFrame:
		return c.count(w.frame.Len(), mapErr(ws.WritePrepared(w.frame)))
	case kindPing:
		return mapErr(ws.Ping(w.data))
	case kindClose:
		return mapErr(ws.Close(protocol.StatusCode(w.code), string(w.data)))
	}
	return c.count(len(w.data), mapErr(ws.Write(w.typ, w.data)))
}

// mapErr turns the protocol's queue errors into the ones plugins.Conn
// promises; any other error passes through.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, protocol.ErrQueueFull):
		return plugins.ErrQueueFull
	case errors.Is(err, protocol.ErrClosed):
		return plugins.ErrClosed
	}
	return err
}

// framer builds publish frames once with protocol.NewPreparedMessage.
type framer struct{}

func (framer) Prepare(text bool, p []byte) (plugins.Frame, error) {
	typ := protocol.MessageBinary
	if text {
		typ = protocol.MessageText
	}
	return protocol.NewPreparedMessage(typ, p)
}
