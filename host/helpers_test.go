package host

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socklet/socklet/host/config"
	"github.com/socklet/socklet/protocol"
)

// testServer is a Server listening on a loopback port, with its logs
// captured, shut down when the test ends.
type testServer struct {
	*Server
	addr string
	logs *logCapture
	done chan error
}

// startServer serves the configuration toml, whose relative plugin paths
// resolve against host/testdata.
func startServer(t *testing.T, toml string, opts ...func(*Options)) *testServer {
	t.Helper()
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(filepath.Join(dir, "socklet.toml"), []byte(toml))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return startServerConfig(t, cfg, opts...)
}

// startServerConfig serves cfg on a loopback port until the test ends.
func startServerConfig(t *testing.T, cfg *config.Config, opts ...func(*Options)) *testServer {
	t.Helper()
	logs := &logCapture{}
	o := Options{Logger: slog.New(logs)}
	for _, f := range opts {
		f(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := New(ctx, cfg, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Server: srv, addr: ln.Addr().String(), logs: logs, done: make(chan error, 1)}
	go func() { ts.done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		select {
		case err := <-ts.done:
			if !errors.Is(err, http.ErrServerClosed) {
				t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
			}
		case <-ctx.Done():
			t.Error("Serve did not return after Shutdown")
		}
	})
	return ts
}

func (ts *testServer) url(path string) string { return "ws://" + ts.addr + path }

// dial connects a client to path, failing the test on error.
func (ts *testServer) dial(t *testing.T, path string, opts *protocol.DialOptions) *protocol.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := protocol.Dial(ctx, ts.url(path), opts)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

// rawRequest sends a raw HTTP request and returns the status line and the
// whole response.
func (ts *testServer) rawRequest(t *testing.T, req string) (int, string) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", ts.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_ = resp.Header.Write(&b)
	body := make([]byte, 4096)
	n, _ := resp.Body.Read(body)
	return resp.StatusCode, b.String() + "\n" + string(body[:n])
}

func upgradeRequest(path string, extra ...string) string {
	h := "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	for _, e := range extra {
		h += e + "\r\n"
	}
	return h + "\r\n"
}

// readOne reads one message within five seconds.
func readOne(t *testing.T, c *protocol.Conn) (protocol.MessageType, string, error) {
	t.Helper()
	type result struct {
		typ protocol.MessageType
		p   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		typ, p, err := c.ReadMessage()
		ch <- result{typ, string(p), err}
	}()
	select {
	case r := <-ch:
		return r.typ, r.p, r.err
	case <-time.After(5 * time.Second):
		t.Fatal("no message within 5s")
		return 0, "", nil
	}
}

// logCapture is a slog.Handler that keeps every record's message and
// attributes.
type logCapture struct {
	mu    sync.Mutex
	lines []string
}

func (l *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCapture) WithAttrs(as []slog.Attr) slog.Handler {
	return &logWith{l: l, attrs: as}
}
func (l *logCapture) WithGroup(string) slog.Handler { return l }
func (l *logCapture) Handle(_ context.Context, r slog.Record) error {
	return l.add(r, nil)
}

func (l *logCapture) add(r slog.Record, extra []slog.Attr) error {
	var b strings.Builder
	b.WriteString(r.Message)
	for _, a := range extra {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	l.mu.Lock()
	l.lines = append(l.lines, b.String())
	l.mu.Unlock()
	return nil
}

// count returns how many lines start with prefix.
func (l *logCapture) count(prefix string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.countLocked(prefix)
}

// waitCount waits up to 10s for count(prefix) to reach n.
func (l *logCapture) waitCount(t *testing.T, prefix string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for l.count(prefix) < n {
		if time.Now().After(deadline) {
			l.mu.Lock()
			defer l.mu.Unlock()
			t.Fatalf("want %d log lines starting %q, have %d:\n%s", n, prefix, l.countLocked(prefix), strings.Join(l.lines, "\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (l *logCapture) countLocked(prefix string) int {
	n := 0
	for _, s := range l.lines {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

type logWith struct {
	l     *logCapture
	attrs []slog.Attr
}

func (w *logWith) Enabled(context.Context, slog.Level) bool { return true }
func (w *logWith) WithAttrs(as []slog.Attr) slog.Handler {
	return &logWith{l: w.l, attrs: append(append([]slog.Attr(nil), w.attrs...), as...)}
}
func (w *logWith) WithGroup(string) slog.Handler { return w }
func (w *logWith) Handle(_ context.Context, r slog.Record) error {
	return w.l.add(r, w.attrs)
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
