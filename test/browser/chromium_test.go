// Package browser tests socklet with headless Chromium, a WebSocket peer no
// one here wrote: a page's WebSocket against protocol.Upgrader, and the demo
// page of `socklet serve` chatting between two tabs, driven through the
// DevTools protocol with our own protocol.Dial as the client.
package browser

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/socklet/socklet/protocol"
)

// testTimeout bounds each test; startTimeout a process start on a busy
// 2-core machine.
const (
	testTimeout  = 90 * time.Second
	startTimeout = 60 * time.Second
)

// chromiumPath returns the Chromium binary or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium not installed: run scripts/deps/peers.sh")
	return ""
}

// chromiumArgs keeps Chromium headless, on loopback and off the network:
// no first-run, sync, component updates, phishing or metrics traffic.
func chromiumArgs(userDataDir string, extra ...string) []string {
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--no-default-browser-check",
		"--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-default-apps", "--disable-extensions",
		"--disable-client-side-phishing-detection", "--disable-domain-reliability",
		"--disable-breakpad", "--no-pings", "--metrics-recording-only",
		"--disable-dev-shm-usage", "--mute-audio", "--hide-scrollbars",
		"--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
		"--user-data-dir=" + userDataDir,
	}
	return append(args, extra...)
}

// browserProc is a running Chromium, in its own process group so that its
// renderer and GPU children are stopped with it.
type browserProc struct {
	cmd         *exec.Cmd
	userDataDir string
	stderr      *syncBuffer
}

// startChromium starts Chromium with args (after chromiumArgs) and a fresh
// user data dir. The process group (led by Chromium's PID) is killed when
// the test ends.
func startChromium(t *testing.T, extra ...string) *browserProc {
	t.Helper()
	bin := chromiumPath(t)
	udd := t.TempDir()
	cmd := exec.Command(bin, chromiumArgs(udd, extra...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	b := &browserProc{cmd: cmd, userDataDir: udd, stderr: &syncBuffer{}}
	cmd.Stdout = io.Discard
	cmd.Stderr = b.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	pid := cmd.Process.Pid
	waited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(waited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-pid, syscall.SIGKILL) // the group Chromium leads
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			t.Errorf("chromium (pid %d) still running 10s after SIGKILL", pid)
		}
		if t.Failed() {
			t.Logf("chromium (pid %d) stderr:\n%s", pid, tail(b.stderr.String(), 3000))
		}
	})
	return b
}

// devToolsURL waits for Chromium's DevToolsActivePort file (written once
// --remote-debugging-port=0 picked a port) and returns the browser's
// DevTools WebSocket URL.
func (b *browserProc) devToolsURL(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	path := filepath.Join(b.userDataDir, "DevToolsActivePort")
	for time.Now().Before(deadline) {
		data, err := os.ReadFile(path)
		if lines := strings.Split(strings.TrimSpace(string(data)), "\n"); err == nil && len(lines) == 2 {
			if _, err := strconv.Atoi(lines[0]); err == nil {
				return "ws://127.0.0.1:" + lines[0] + lines[1]
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %s after %v", path, startTimeout)
	return ""
}

// cdp is a minimal Chrome DevTools Protocol client over our own Conn: one
// request at a time per caller, answers matched by id, events dropped.
type cdp struct {
	conn    *protocol.Conn
	mu      sync.Mutex
	nextID  int
	waiting map[int]chan cdpReply
	done    chan struct{}
	err     error // set before done is closed
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func dialCDP(t *testing.T, ctx context.Context, url string) *cdp {
	t.Helper()
	c, _, err := protocol.Dial(ctx, url, &protocol.DialOptions{HandshakeTimeout: startTimeout})
	if err != nil {
		t.Fatalf("dial DevTools %s: %v", url, err)
	}
	cl := &cdp{conn: c, waiting: map[int]chan cdpReply{}, done: make(chan struct{})}
	go cl.readLoop()
	t.Cleanup(func() {
		_ = c.CloseNow()
		<-cl.done
	})
	return cl
}

func (c *cdp) readLoop() {
	defer close(c.done)
	for {
		_, p, err := c.conn.ReadMessage()
		if err != nil {
			c.err = err
			return
		}
		var m struct {
			ID int `json:"id"`
			cdpReply
		}
		if json.Unmarshal(p, &m) != nil || m.ID == 0 {
			continue // an event
		}
		c.mu.Lock()
		ch := c.waiting[m.ID]
		delete(c.waiting, m.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- m.cdpReply
		}
	}
}

// call sends method with params (to the page of sessionID when not empty)
// and decodes the result into out (when not nil).
func (c *cdp) call(ctx context.Context, sessionID, method string, params, out any) error {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan cdpReply, 1)
	c.waiting[id] = ch
	c.mu.Unlock()
	msg := map[string]any{"id": id, "method": method, "params": params}
	if params == nil {
		msg["params"] = map[string]any{}
	}
	if sessionID != "" {
		msg["sessionId"] = sessionID
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if err := c.conn.Write(protocol.MessageText, b); err != nil {
		return fmt.Errorf("cdp %s: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return fmt.Errorf("cdp %s: %d %s", method, r.Error.Code, r.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(r.Result, out)
		}
		return nil
	case <-c.done:
		return fmt.Errorf("cdp %s: connection ended: %w", method, c.err)
	case <-ctx.Done():
		return fmt.Errorf("cdp %s: %w", method, ctx.Err())
	}
}

// eval evaluates a JavaScript expression in a page (awaiting a promise) and
// decodes its JSON-able value into out.
func (c *cdp) eval(ctx context.Context, sessionID, expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := c.call(ctx, sessionID, "Runtime.evaluate", map[string]any{
		"expression": expr, "awaitPromise": true, "returnByValue": true,
	}, &r)
	if err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("javascript: %s %s", r.ExceptionDetails.Text, r.ExceptionDetails.Exception.Description)
	}
	if out == nil {
		return nil
	}
	if len(r.Result.Value) == 0 {
		return errors.New("javascript: no value")
	}
	return json.Unmarshal(r.Result.Value, out)
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// scanLines calls f for every line r yields until f returns true or r ends.
func scanLines(r io.Reader, f func(line string) bool) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if f(sc.Text()) {
			return
		}
	}
}

func readTestdata(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join("testdata", name))
}
