package host

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/socklet/socklet/plugins"
	"github.com/socklet/socklet/protocol"
)

// readBufferSize is the size of the buffer the handshake is read with; it
// becomes the connection's read buffer.
const readBufferSize = 4 << 10

// serverConn is one TCP connection from accept to close.
type serverConn struct {
	s  *Server
	nc net.Conn
	ip string

	mu          sync.Mutex
	route       *route         // set when admitted: the plugin has or will have seen on_open
	ws          *protocol.Conn // set after the 101
	leaving     bool           // the server asked this connection to go away
	leaveCode   protocol.StatusCode
	leaveReason string

	h        plugins.Handle // the plugin's handle, set by handshake
	wake     func()         // c.run, bound once for Park
	counters *connCounters  // the connection's message counts, from its plugin conn; nil until handshake made it

	// Reading goroutine only: a large message read straight into the
	// plugin's memory (see room and deliver).
	roomFn    protocol.RoomFunc                  // c.room, bound once
	messageFn func(protocol.MessageType, []byte) // c.message, bound once
	lease     plugins.Lease                      // holds the instance from room to deliver
	roomErr   error                              // the plugin could not lend room for the message being read
}

// goAway starts a close handshake with code and reason. A connection still
// reading its request is dropped; one being opened is closed right after
// its 101.
func (c *serverConn) goAway(code protocol.StatusCode, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.leaving {
		return
	}
	c.leaving, c.leaveCode, c.leaveReason = true, code, reason
	switch {
	case c.ws != nil:
		_ = c.ws.Close(code, reason)
	case c.route == nil:
		_ = c.nc.Close()
	}
}

// drop closes the TCP connection at once.
func (c *serverConn) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ws != nil {
		_ = c.ws.CloseNow()
		return
	}
	_ = c.nc.Close()
}

func (s *Server) serveConn(nc net.Conn) {
	c := &serverConn{s: s, nc: nc, ip: remoteIP(nc.RemoteAddr())}
	if !c.handshake() {
		_ = nc.Close()
		s.total.Add(-1)
		s.readLoops.Done()
		return
	}
	// The connection waits for its first message without a goroutine when
	// the server has a Poller. Otherwise (TLS, no epoll) its life goes on
	// in a fresh goroutine: this one's stack grew with the HTTP parsing and
	// the plugin's on_open, and a goroutine keeps its stack while it waits;
	// a fresh one waits with a small stack.
	if c.ws.Park(c.wake) != nil {
		go c.run()
	}
}

// handshake answers the opening handshake. It reports whether the
// connection is open (c.route, c.ws and c.h are set, the plugin saw
// socklet_on_open); when false, the connection was refused or failed and
// the caller closes the socket.
func (c *serverConn) handshake() bool {
	s := c.s
	_ = c.nc.SetDeadline(time.Now().Add(s.config().Limits.HandshakeTimeout.Duration()))
	br := protocol.AcquireReader(c.nc, readBufferSize)
	upgraded := false
	defer func() {
		if !upgraded {
			protocol.ReleaseReader(br)
		}
	}()
	req, err := protocol.ReadRequest(br)
	if err != nil {
		var he *protocol.HandshakeError
		if errors.As(err, &he) {
			s.reject(c.nc, "bad_request", he)
		} else {
			s.metrics.HandshakeFailure("read")
		}
		return false
	}
	req.RemoteAddr = c.nc.RemoteAddr().String()

	r := s.routes.Load().lookup(req.Host, req.URL.Path)
	if r == nil {
		if page, ok := s.opts.Pages[req.URL.Path]; ok && !isUpgrade(req) {
			s.servePage(c.nc, req, page)
			return false
		}
		s.reject(c.nc, "not_found", &protocol.HandshakeError{Status: http.StatusNotFound, Reason: "no route for " + req.URL.Path})
		return false
	}
	if !isUpgrade(req) {
		h := http.Header{}
		h.Set("Upgrade", "websocket")
		h.Set("Connection", "Upgrade")
		h.Set("Sec-WebSocket-Version", "13")
		s.reject(c.nc, "not_websocket", &protocol.HandshakeError{Status: http.StatusUpgradeRequired, Reason: req.URL.Path + " is a WebSocket endpoint", Header: h})
		return false
	}
	hs, err := r.upgrader.Negotiate(req)
	if err != nil {
		var he *protocol.HandshakeError
		if !errors.As(err, &he) {
			he = &protocol.HandshakeError{Status: http.StatusBadRequest, Reason: err.Error()}
		}
		s.reject(c.nc, handshakeReason(he.Status), he)
		return false
	}
	if reason, ok := s.admit(c, r); !ok {
		s.reject(c.nc, "limit", &protocol.HandshakeError{Status: http.StatusServiceUnavailable, Reason: reason})
		return false
	}
	handedOff := false
	defer func() {
		if !handedOff {
			s.release(c, r)
		}
	}()
	if r.retired.Load() {
		// A reload replaced the route between lookup and admission.
		s.reject(c.nc, "reloading", &protocol.HandshakeError{Status: http.StatusServiceUnavailable, Reason: "route is reloading; retry"})
		return false
	}

	hc := &conn{req: newRequestInfo(req), remote: req.RemoteAddr, subprotocol: hs.Subprotocol}
	c.counters = &hc.counters
	r.rm.messages.track(c.counters) // release untracks it
	ctx := context.Background()
	h, status, err := r.plugin.Open(ctx, hc)
	if errors.Is(err, plugins.ErrUnavailable) {
		// The route crashed in a loop and is backed off.
		s.reject(c.nc, "plugin_unavailable", &protocol.HandshakeError{Status: http.StatusServiceUnavailable, Reason: r.label + " is recovering from plugin crashes; retry later"})
		return false
	}
	if err != nil {
		s.log.Error("plugin open failed", "route", r.label, "err", err)
		s.reject(c.nc, "plugin_error", &protocol.HandshakeError{Status: http.StatusInternalServerError, Reason: "plugin error"})
		return false
	}
	if status != 0 {
		s.reject(c.nc, "plugin_rejected", &protocol.HandshakeError{Status: status, Reason: "rejected by " + r.label})
		return false
	}

	_ = c.nc.SetDeadline(time.Time{})
	ws, err := r.upgrader.Upgrade(c.nc, br, hs, nil)
	upgraded = true // Upgrade took br over, even when it failed
	if err != nil {
		s.metrics.HandshakeFailure("write")
		_ = r.plugin.Closed(ctx, h, int(protocol.StatusAbnormalClosure), "")
		return false
	}
	ws.SetPongHandler(func(p []byte) {
		if err := r.plugin.Pong(ctx, h, p); err != nil {
			s.log.Error("plugin pong failed", "route", r.label, "err", err)
		}
	})
	hc.upgraded(ws)
	c.mu.Lock()
	c.ws = ws
	if c.leaving {
		_ = ws.Close(c.leaveCode, c.leaveReason)
	}
	c.mu.Unlock()
	r.rm.accepted.Add(1)

	handedOff = true
	c.h = h
	c.wake = c.run
	c.roomFn = c.room
	c.messageFn = c.message
	return true
}

// run reads and delivers messages until the connection parks (when no
// message came for a while: run ends, and the Poller calls it again in a
// new goroutine on input) or closes (then the plugin sees the close and
// the connection is released).
func (c *serverConn) run() {
	r, ws := c.route, c.ws
	code, reason, parked := c.readLoop(ws)
	if parked {
		return
	}
	if err := r.plugin.Closed(context.Background(), c.h, code, reason); err != nil {
		c.s.log.Error("plugin close failed", "route", r.label, "err", err)
	}
	<-ws.Done()
	c.s.release(c, r)
	c.s.total.Add(-1)
	c.s.readLoops.Done()
}

// readLoop delivers messages to the plugin until the connection ends, and
// returns the close code and reason the plugin's socklet_on_close gets.
func (c *serverConn) readLoop(ws *protocol.Conn) (code int, reason string, parked bool) {
	for {
		err := ws.ReadMessages(c.roomFn, c.messageFn)
		c.dropRoom()
		if err == protocol.ErrIdle {
			if ws.Park(c.wake) == nil {
				return 0, "", true
			}
			continue
		}
		var ce *protocol.CloseError
		if errors.As(err, &ce) {
			return int(ce.Code), ce.Reason, false
		}
		return int(protocol.StatusAbnormalClosure), "", false
	}
}

// message hands one message to the plugin (readLoop's handler). The
// replies it queues are corked by ReadMessages and written together once
// the input read with the message is handled.
func (c *serverConn) message(typ protocol.MessageType, p []byte) {
	c.counters.received(len(p))
	r := c.route
	if err := c.deliver(context.Background(), r, c.h, typ, p); err != nil {
		c.s.log.Error("plugin event failed", "route", r.label, "err", err)
	}
}

// roomsLent counts the messages ReadMessageTo was given a plugin's memory
// to read into (delivered from there, or dropped when the read failed), for
// tests.
var roomsLent atomic.Int64

// room is the connection's protocol.RoomFunc: it lends ReadMessageTo the
// plugin's own memory for a large message, so that the message is not
// copied there afterwards. The instance is then held (c.lease) until
// deliver, or dropRoom if the read fails; protocol calls room only when the
// payload is read without waiting for the network, so the instance's other
// connections wait only for that read. When the plugin cannot lend room,
// the error is kept for deliver and the message is read as usual (and
// dropped).
func (c *serverConn) room(typ protocol.MessageType, n int) []byte {
	p, err := c.route.plugin.AcquireRoom(&c.lease, typ == protocol.MessageText, c.h, n)
	if err != nil {
		c.roomErr = err
	}
	if p != nil && len(p) != n {
		// protocol would read the message into its own buffer while the
		// lease held an instance and a room that never got the message.
		c.lease.Release()
		return nil
	}
	if p != nil {
		roomsLent.Add(1)
	}
	return p
}

// deliver hands a message to the plugin: from its room, if room lent it,
// otherwise by Text or Binary (which copy it into the plugin's memory).
func (c *serverConn) deliver(ctx context.Context, r *route, h plugins.Handle, typ protocol.MessageType, p []byte) error {
	if c.lease.Held() {
		return c.lease.Deliver()
	}
	if err := c.roomErr; err != nil {
		// The event failed before the read (and was handled as Text's
		// failure would be): the message is dropped.
		c.roomErr = nil
		return err
	}
	if typ == protocol.MessageText {
		return r.plugin.Text(ctx, h, p)
	}
	return r.plugin.Binary(ctx, h, p)
}

// dropRoom forgets the room of a message whose read failed: the instance
// is released and the plugin sees nothing of it.
func (c *serverConn) dropRoom() {
	c.lease.Release()
	c.roomErr = nil
}

// admit applies the server, route and per-IP connection limits.
func (s *Server) admit(c *serverConn, r *route) (string, bool) {
	if max := s.config().Limits.MaxConnections; s.wsConns.Add(1) > int64(max) && max > 0 {
		s.wsConns.Add(-1)
		return "server connection limit reached", false
	}
	if max := r.cfg.MaxConnections; r.conns.Add(1) > int64(max) && max > 0 {
		r.conns.Add(-1)
		s.wsConns.Add(-1)
		return "route connection limit reached", false
	}
	if !s.track(c, r) {
		r.conns.Add(-1)
		s.wsConns.Add(-1)
		return "connection limit reached for " + c.ip, false
	}
	r.rm.connections.Add(1)
	return "", true
}

func (s *Server) release(c *serverConn, r *route) {
	if c.counters != nil {
		r.rm.messages.untrack(c.counters)
	}
	r.rm.connections.Add(-1)
	s.wsConns.Add(-1)
	s.untrack(c)
	if r.conns.Add(-1) == 0 && r.retired.Load() {
		_ = r.close(context.Background())
	}
}

// reject answers a refused handshake with its HTTP status and one-line
// reason, and counts it.
func (s *Server) reject(nc net.Conn, reason string, he *protocol.HandshakeError) {
	s.metrics.HandshakeFailure(reason)
	_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
	_ = protocol.WriteReject(nc, he)
}

func (s *Server) servePage(nc net.Conn, req *http.Request, p Page) {
	_ = nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	b.WriteString("HTTP/1.1 200 OK\r\nContent-Type: ")
	b.WriteString(p.ContentType)
	b.WriteString("\r\nContent-Length: ")
	b.WriteString(strconv.Itoa(len(p.Body)))
	b.WriteString("\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n")
	if req.Method == http.MethodHead {
		_, _ = nc.Write([]byte(b.String()))
		return
	}
	_, _ = nc.Write(append([]byte(b.String()), p.Body...))
}

// isUpgrade reports whether req asks for a WebSocket upgrade at all (the
// Upgrade header names websocket); Negotiate checks the rest.
func isUpgrade(req *http.Request) bool {
	for _, v := range req.Header.Values("Upgrade") {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "websocket") {
				return true
			}
		}
	}
	return false
}

func handshakeReason(status int) string {
	switch status {
	case http.StatusForbidden:
		return "origin"
	case http.StatusUpgradeRequired:
		return "version"
	case http.StatusMethodNotAllowed:
		return "method"
	}
	return "bad_request"
}

func remoteIP(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
