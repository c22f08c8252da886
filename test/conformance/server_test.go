package conformance

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/socklet/socklet/host"
	"github.com/socklet/socklet/host/config"
	"github.com/socklet/socklet/protocol"
)

// wait bounds every single expectation of a scenario.
const wait = 10 * time.Second

// server is a host.Server on a loopback port, serving a configuration
// written in a temporary directory, shut down when the test ends.
type server struct {
	*host.Server
	addr string
	dir  string // holds socklet.toml and the plugin files
	logs *syncBuffer
	done chan error
}

// syncBuffer collects the server's logs for failure messages.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer writes toml and files (name -> content) into a temporary
// directory and serves that configuration until the test ends (or until
// the test calls Shutdown itself).
func startServer(t testing.TB, toml string, files map[string][]byte) *server {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfgFile := filepath.Join(dir, "socklet.toml")
	if err := os.WriteFile(cfgFile, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgFile)
	if err != nil {
		t.Fatalf("config: %v\n%s", err, toml)
	}
	logs := &syncBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := host.New(ctx, cfg, host.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatalf("host.New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{Server: srv, addr: ln.Addr().String(), dir: dir, logs: logs, done: make(chan error, 1)}
	go func() { s.done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		s.shutdown(t)
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return s
}

// shutdown stops the server and waits for Serve to return; calling it
// again is harmless.
func (s *server) shutdown(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_ = s.Shutdown(ctx)
	select {
	case err, ok := <-s.done:
		if ok && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
		}
		if ok {
			close(s.done)
		}
	case <-ctx.Done():
		t.Error("Serve did not return after Shutdown")
	}
}

// message is one data message a client received.
type message struct {
	typ  protocol.MessageType
	data []byte
}

// client is a protocol.Conn whose messages a goroutine reads into a
// channel, so that tests wait for them with a bound. Reading continuously
// also answers the server's pings.
type client struct {
	t    testing.TB
	name string
	conn *protocol.Conn
	msgs chan message
	done chan struct{} // closed when reading ended; err is then set
	err  error
}

// dial connects a client to path; opts may be nil. The client is closed
// when the test ends.
func (s *server) dial(t testing.TB, path string, opts *protocol.DialOptions) *client {
	t.Helper()
	c, err := s.tryDial(t, path, opts)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	return c
}

func (s *server) tryDial(t testing.TB, path string, opts *protocol.DialOptions) (*client, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if opts == nil {
		opts = &protocol.DialOptions{}
	}
	if opts.MaxMessageSize == 0 {
		opts.MaxMessageSize = 4 << 20
	}
	conn, _, err := protocol.Dial(ctx, "ws://"+s.addr+path, opts)
	if err != nil {
		return nil, err
	}
	c := &client{t: t, name: path, conn: conn, msgs: make(chan message, 4096), done: make(chan struct{})}
	go c.read()
	t.Cleanup(func() {
		_ = conn.CloseNow()
		select {
		case <-c.done:
		case <-time.After(wait):
			t.Errorf("%s: reader did not stop", c.name)
		}
	})
	return c, nil
}

func (c *client) read() {
	defer close(c.done)
	for {
		typ, p, err := c.conn.ReadMessage()
		if err != nil {
			c.err = err
			return
		}
		c.msgs <- message{typ, bytes.Clone(p)}
	}
}

// send writes one message, failing the test on error.
func (c *client) send(typ protocol.MessageType, p []byte) {
	c.t.Helper()
	if err := c.conn.Write(typ, p); err != nil {
		c.t.Fatalf("%s: write: %v", c.name, err)
	}
}

func (c *client) sendText(s string) { c.t.Helper(); c.send(protocol.MessageText, []byte(s)) }

// next returns the next message, failing the test if none comes in time or
// the connection ended.
func (c *client) next() message {
	c.t.Helper()
	m, err := c.tryNext(wait)
	if err != nil {
		c.t.Fatalf("%s: %v", c.name, err)
	}
	return m
}

// nextText returns the next message, which must be text.
func (c *client) nextText() string {
	c.t.Helper()
	m := c.next()
	if m.typ != protocol.MessageText {
		c.t.Fatalf("%s: got a %v message (%d bytes), want text", c.name, m.typ, len(m.data))
	}
	return string(m.data)
}

var errTimeout = errors.New("no message in time")

func (c *client) tryNext(d time.Duration) (message, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case m := <-c.msgs:
		return m, nil
	case <-c.done:
		select {
		case m := <-c.msgs:
			return m, nil
		default:
			return message{}, c.err
		}
	case <-timer.C:
		return message{}, errTimeout
	}
}

// quiet fails the test if a message arrives within d.
func (c *client) quiet(d time.Duration) {
	c.t.Helper()
	if m, err := c.tryNext(d); err == nil {
		c.t.Fatalf("%s: unexpected %v message %.80q", c.name, m.typ, m.data)
	}
}

// closed waits for the connection to end and returns the close code the
// client read (protocol.CloseStatus of its read error), with the reason.
// Data messages still queued are skipped.
func (c *client) closed() (protocol.StatusCode, string) {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(wait):
		c.t.Fatalf("%s: still open after %v", c.name, wait)
	}
	var ce *protocol.CloseError
	if errors.As(c.err, &ce) {
		return ce.Code, ce.Reason
	}
	if errors.Is(c.err, io.EOF) {
		return -1, "EOF"
	}
	return protocol.CloseStatus(c.err), ""
}

// alive reports whether the client's connection is still open.
func (c *client) alive() bool {
	select {
	case <-c.done:
		return false
	case <-c.conn.Done():
		return false
	default:
		return true
	}
}

// readFile reads a file of the server's directory.
func readFile(s *server, name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(s.dir, name))
}
