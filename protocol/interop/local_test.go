package interop

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/socklet/socklet/protocol"
)

// tapConn counts the bytes that cross our side of the TCP connection and
// lets a test write raw bytes past our Conn (to send what the protocol
// package would never send).
type tapConn struct {
	net.Conn
	read, written atomic.Int64
}

func (c *tapConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c *tapConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// inject writes raw bytes on the TCP connection. Call it only while our
// Conn has nothing queued (after Flush).
func (c *tapConn) inject(t *testing.T, p []byte) {
	t.Helper()
	if _, err := c.Conn.Write(p); err != nil {
		t.Fatalf("inject: %v", err)
	}
}

// tapListener wraps every accepted connection in a tapConn.
type tapListener struct {
	net.Listener
	taps chan *tapConn
}

func (l *tapListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &tapConn{Conn: nc}
	select {
	case l.taps <- tc:
	default:
	}
	return tc, nil
}

// message is one message our Conn read.
type message struct {
	typ  protocol.MessageType
	data []byte
}

// local is our side of a connection: the Conn, and a goroutine that reads
// it until it fails.
type local struct {
	conn  *protocol.Conn
	tap   *tapConn
	msgs  chan message
	pongs chan []byte
	end   chan error    // the error ReadMessage returned, once
	step  time.Duration // bounds each wait for a message
}

func newLocal(t *testing.T, c *protocol.Conn, tap *tapConn, pongs chan []byte) *local {
	l := &local{conn: c, tap: tap, msgs: make(chan message, 16), pongs: pongs, end: make(chan error, 1), step: stepTimeout}
	go func() {
		for {
			typ, p, err := c.ReadMessage()
			if err != nil {
				l.end <- err
				return
			}
			l.msgs <- message{typ, append([]byte(nil), p...)}
		}
	}()
	t.Cleanup(func() {
		_ = c.CloseNow()
		select {
		case <-c.Done():
		case <-time.After(stepTimeout):
			t.Errorf("our Conn not done %v after CloseNow", stepTimeout)
		}
	})
	return l
}

// next returns the next message our Conn read.
func (l *local) next(t *testing.T) message {
	t.Helper()
	select {
	case m := <-l.msgs:
		return m
	case err := <-l.end:
		l.end <- err
		t.Fatalf("our Conn failed while a message was expected: %v", err)
	case <-time.After(l.step):
		t.Fatalf("our Conn: no message after %v", l.step)
	}
	panic("unreachable")
}

// ended returns the error that ended our Conn's reading, failing the test
// if a message arrives first.
func (l *local) ended(t *testing.T) error {
	t.Helper()
	select {
	case m := <-l.msgs:
		t.Fatalf("our Conn: message %v of %d bytes while the end was expected", m.typ, len(m.data))
	case err := <-l.end:
		l.end <- err
		return err
	case <-time.After(stepTimeout):
		t.Fatalf("our Conn: still reading %v after the end was expected", stepTimeout)
	}
	panic("unreachable")
}

func (l *local) write(t *testing.T, typ protocol.MessageType, p []byte) {
	t.Helper()
	if err := l.conn.Write(typ, p); err != nil {
		t.Fatalf("our Write(%v, %d bytes): %v", typ, len(p), err)
	}
}

// setup describes one connection between us and a peer.
type setup struct {
	opts        protocol.Options // ours
	peerDeflate *deflateConfig
	peerMaxSize int
	// subprotocols: ours (supported, or offered by Dial) and the peer's.
	subprotocols, peerSubprotocols []string
}

// pair is one live connection.
type pair struct {
	peer *peer
	us   *local
	open event // the peer's open event
}

// roles: "server" means our Upgrader accepts a peer client; "client"
// means our Dial connects to a peer server.
var roles = []string{"server", "client"}

// connect makes the connection of s between a fresh peer process and us in
// role ("server" or "client"), over 127.0.0.1.
func connect(t *testing.T, kind peerKind, role string, s setup) *pair {
	t.Helper()
	select {
	case peerSlots <- struct{}{}:
		t.Cleanup(func() { <-peerSlots }) // runs after the peer is stopped
	case <-time.After(5 * time.Minute):
		t.Fatal("no free peer slot after 5 minutes")
	}
	pongs := make(chan []byte, 16)
	opts := s.opts
	opts.OnPong = func(p []byte) {
		select {
		case pongs <- append([]byte(nil), p...):
		default:
		}
	}
	cfg := peerConfig{Deflate: s.peerDeflate, MaxSize: s.peerMaxSize, Subprotocols: s.peerSubprotocols}
	if role == "server" {
		return connectServer(t, kind, cfg, opts, s.subprotocols, pongs)
	}
	return connectClient(t, kind, cfg, opts, s.subprotocols, pongs)
}

func connectServer(t *testing.T, kind peerKind, cfg peerConfig, opts protocol.Options, subprotocols []string, pongs chan []byte) *pair {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tl := &tapListener{Listener: ln, taps: make(chan *tapConn, 1)}
	u := &protocol.Upgrader{Options: opts, Subprotocols: subprotocols}
	conns := make(chan *protocol.Conn, 1)
	srv := &http.Server{
		ReadHeaderTimeout: stepTimeout,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := u.Accept(w, r, nil)
			if err != nil {
				t.Errorf("Accept: %v", err)
				return
			}
			conns <- c
		}),
	}
	go func() { _ = srv.Serve(tl) }()
	t.Cleanup(func() { _ = srv.Close() })

	cfg.Mode = "client"
	cfg.URL = "ws://" + ln.Addr().String() + "/"
	p := startPeer(t, kind, cfg)
	open := p.await(t, "open")
	var c *protocol.Conn
	select {
	case c = <-conns:
	case <-time.After(startTimeout):
		t.Fatal("no accepted Conn")
	}
	return &pair{peer: p, us: newLocal(t, c, <-tl.taps, pongs), open: open}
}

func connectClient(t *testing.T, kind peerKind, cfg peerConfig, opts protocol.Options, subprotocols []string, pongs chan []byte) *pair {
	t.Helper()
	cfg.Mode = "server"
	p := startPeer(t, kind, cfg)
	port := p.await(t, "listening").Port
	var tap *tapConn
	dopts := &protocol.DialOptions{
		Options:          opts,
		HandshakeTimeout: startTimeout,
		Subprotocols:     subprotocols,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			nc, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			tap = &tapConn{Conn: nc}
			return tap, nil
		},
	}
	c, _, err := protocol.Dial(ctxTimeout(t, startTimeout), "ws://127.0.0.1:"+itoa(port)+"/", dopts)
	if err != nil {
		t.Fatalf("Dial %s server: %v", kind.name, err)
	}
	open := p.await(t, "open")
	return &pair{peer: p, us: newLocal(t, c, tap, pongs), open: open}
}

// each runs f for every peer kind in every role, concurrently.
func each(t *testing.T, f func(t *testing.T, kind peerKind, role string)) {
	var names []string
	var kinds []peerKind
	var rs []string
	for _, kind := range peers {
		for _, role := range roles {
			names = append(names, kind.name+"/our-"+role)
			kinds = append(kinds, kind)
			rs = append(rs, role)
		}
	}
	concurrently(t, names, func(t *testing.T, i int) { f(t, kinds[i], rs[i]) })
}

// concurrently runs f(t, i) as the subtests names[i], all at once, and
// returns when they are all done. It calls t.Run from goroutines rather
// than using t.Parallel: these tests mostly wait on other processes, and
// -parallel (GOMAXPROCS by default) would run them two at a time. The
// number of peer processes alive at once is bounded by peerSlots instead.
func concurrently(t *testing.T, names []string, f func(t *testing.T, i int)) {
	t.Helper()
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(name, func(t *testing.T) { f(t, i) })
		}()
	}
	wg.Wait()
}

// peerSlots bounds the connections (one peer process each) alive at once
// in the package. A subtest makes at most one connection, so it never
// waits for a slot while holding one.
var peerSlots = make(chan struct{}, 6)

// wantClose checks that err ended our Conn with code (and reason, unless
// reason is "*"), and whether we failed the connection ourselves.
func wantClose(t *testing.T, err error, code protocol.StatusCode, reason string, failed bool) {
	t.Helper()
	if got := protocol.CloseStatus(err); got != code {
		t.Fatalf("our Conn ended with %v (code %v), want code %v", err, got, code)
	}
	var ce *protocol.CloseError
	errors.As(err, &ce)
	if reason != "*" && ce.Reason != reason {
		t.Errorf("close reason %q, want %q", ce.Reason, reason)
	}
	if errors.Is(err, protocol.ErrFailed) != failed {
		t.Errorf("errors.Is(%v, ErrFailed) = %v, want %v", err, !failed, failed)
	}
}

// pong returns the payload of the next pong our Conn received.
func (l *local) pong(t *testing.T) []byte {
	t.Helper()
	select {
	case p := <-l.pongs:
		return p
	case <-time.After(stepTimeout):
		t.Fatalf("our Conn: no pong after %v", stepTimeout)
	}
	panic("unreachable")
}
