package plugins

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socklet/socklet/abi"
)

// recorder is an in-memory Conn: it records what a plugin sends.
type recorder struct {
	mu       sync.Mutex
	info     map[abi.Info]string
	headers  map[string]string
	msgs     []msg
	pings    [][]byte
	closed   bool
	code     int
	reason   string
	full     bool  // Write and WriteFrame fail with ErrQueueFull
	writeErr error // when set, Write and WriteFrame fail with it
}

type msg struct {
	text bool
	data string
}

func newRecorder() *recorder {
	return &recorder{info: map[abi.Info]string{}, headers: map[string]string{}}
}

func (c *recorder) Info(key abi.Info) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.info[key]
}

func (c *recorder) Header(name string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.headers[strings.ToLower(name)]
	return v, ok
}

func (c *recorder) Write(text bool, p []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.writeErr != nil:
		return c.writeErr
	case c.full:
		return ErrQueueFull
	case c.closed:
		return ErrClosed
	}
	c.msgs = append(c.msgs, msg{text, string(p)})
	return nil
}

func (c *recorder) WriteFrame(f Frame) error {
	fr := f.(*frame)
	return c.Write(fr.text, fr.data)
}

func (c *recorder) Ping(p []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	c.pings = append(c.pings, append([]byte(nil), p...))
	return nil
}

func (c *recorder) Close(code int, reason string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	c.closed, c.code, c.reason = true, code, reason
	return nil
}

func (c *recorder) messages() []msg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]msg(nil), c.msgs...)
}

// last returns the number of messages and the last one.
func (c *recorder) last() (int, msg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.msgs) == 0 {
		return 0, msg{}
	}
	return len(c.msgs), c.msgs[len(c.msgs)-1]
}

func (c *recorder) closeCode() (bool, int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed, c.code, c.reason
}

// frame is the test Framer's frame.
type frame struct {
	text bool
	data []byte
}

type testFramer struct {
	mu       sync.Mutex
	prepared int
}

func (f *testFramer) Prepare(text bool, p []byte) (Frame, error) {
	f.mu.Lock()
	f.prepared++
	f.mu.Unlock()
	return &frame{text, p}, nil
}

// logBuffer collects a route's log records as text lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func newTestRuntime(t testing.TB) *Runtime {
	t.Helper()
	rt, err := NewRuntime(context.Background(), RuntimeConfig{Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	return rt
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func compile(t testing.TB, rt *Runtime, name string) *Module {
	t.Helper()
	m, err := rt.Compile(context.Background(), name, fixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Release(context.Background()) })
	return m
}

func newTestRoute(t testing.TB, rt *Runtime, mod *Module, cfg RouteConfig) *Route {
	t.Helper()
	if cfg.Framer == nil {
		cfg.Framer = &testFramer{}
	}
	if cfg.Logger == nil {
		cfg.Logger = discard
	}
	if cfg.Name == "" {
		cfg.Name = "/test"
	}
	r, err := NewRoute(context.Background(), rt, mod, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

func open(t testing.TB, r *Route, c Conn) Handle {
	t.Helper()
	h, status, err := r.Open(context.Background(), c)
	if err != nil || status != 0 {
		t.Fatalf("Open: status %d, err %v", status, err)
	}
	return h
}

func (m msg) String() string {
	kind := "binary"
	if m.text {
		kind = "text"
	}
	return fmt.Sprintf("%s %q", kind, m.data)
}

// keepSwapping hot-reloads r with mod at once and then every pause, from
// its own goroutine, until the returned stop is called (so at least one
// Swap overlaps the start of the caller's load); stop waits for the loop
// and returns how many Swaps succeeded. A failed Swap is reported and ends
// the loop.
func keepSwapping(t testing.TB, r *Route, mod *Module, pause time.Duration) (stop func() int) {
	t.Helper()
	quit := make(chan struct{})
	swaps := make(chan int, 1)
	go func() {
		n := 0
		defer func() { swaps <- n }()
		for {
			if err := r.Swap(context.Background(), mod); err != nil {
				t.Errorf("Swap: %v", err)
				return
			}
			n++
			select {
			case <-quit:
				return
			case <-time.After(pause):
			}
		}
	}()
	return func() int {
		close(quit)
		return <-swaps
	}
}
