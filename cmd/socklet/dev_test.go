package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/socklet/socklet/protocol"
)

var (
	buildOnce sync.Once
	binPath   string
	binErr    error
)

// socklet builds the binary once per test run.
func socklet(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "socklet-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "socklet")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatalf("building socklet: %v", binErr)
	}
	return binPath
}

// process is a running socklet whose stderr lines are collected.
type process struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	lines  []string
	exited chan error
}

func start(t *testing.T, dir string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(socklet(t), args...), exited: make(chan error, 1)}
	p.cmd.Dir = dir
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout = p.cmd.Stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
		p.exited <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
		}
		if t.Failed() {
			t.Logf("socklet output:\n%s", p.output())
		}
	})
	return p
}

// since returns the output lines from index i on.
func (p *process) since(i int) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines[max(i, 0):]...)
}

func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// await waits until a line matches re and returns its submatches.
func (p *process) await(t *testing.T, re *regexp.Regexp, from int, timeout time.Duration) ([]string, int) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		for i := from; i < len(p.lines); i++ {
			if m := re.FindStringSubmatch(p.lines[i]); m != nil {
				p.mu.Unlock()
				return m, i + 1
			}
		}
		p.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no output line matching %q within %v", re, timeout)
	return nil, 0
}

// TestDevRebuildsAndReloads runs `socklet dev` on a project made by
// `socklet new rust`: a source change is rebuilt and hot-reloaded under a
// live connection, and a build error is shown while the old version serves.
func TestDevRebuildsAndReloads(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Rust")
	}
	sysroot, err := exec.Command("/usr/bin/rustc", "--print", "sysroot").Output()
	if err != nil {
		t.Skip("Debian's rustc is not installed: run scripts/deps/rust.sh")
	}
	if _, err := os.Stat(filepath.Join(strings.TrimSpace(string(sysroot)), "lib/rustlib/wasm32-unknown-unknown")); err != nil {
		t.Skip("Debian's Rust lacks the wasm32 target: run scripts/deps/rust.sh")
	}
	work := t.TempDir()
	cmd := exec.Command(socklet(t), "new", "rust", "hello")
	cmd.Dir = work
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("socklet new: %v\n%s", err, out)
	}
	project := filepath.Join(work, "hello")
	p := start(t, project, "dev", "--listen", "127.0.0.1:0")
	m, next := p.await(t, regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`), 0, 5*time.Minute)
	addr := m[1]

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, _, err := protocol.Dial(ctx, "ws://"+addr+"/hello", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	ask := func(msg string) string {
		t.Helper()
		if err := c.Write(protocol.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_, reply, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("reply to %q: %v", msg, err)
		}
		return string(reply)
	}
	if got := ask("x"); got != "hello: x" {
		t.Fatalf("first version: %q", got)
	}

	src := filepath.Join(project, "src", "lib.rs")
	code, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	const before = `[self.prefix.as_str(), text].concat()`
	if !strings.Contains(string(code), before) {
		t.Fatalf("template changed: %s lacks %s", src, before)
	}
	v2 := strings.Replace(string(code), before, `[self.prefix.as_str(), "v2 ", text].concat()`, 1)
	writeTestFile(t, src, v2)
	_, next = p.await(t, regexp.MustCompile(`plugin reloaded`), next, 3*time.Minute)
	if got := ask("y"); got != "hello: v2 y" {
		t.Fatalf("after the change, on the same connection: %q", got)
	}

	writeTestFile(t, src, v2+"\nthis is not rust\n")
	_, next = p.await(t, regexp.MustCompile(`build of /hello FAILED`), next, 3*time.Minute)
	if !strings.Contains(strings.Join(p.since(next-20), "\n"), "error") {
		t.Errorf("the compiler's error is not shown:\n%s", p.output())
	}
	if got := ask("z"); got != "hello: v2 z" {
		t.Fatalf("after a failed build: %q", got)
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ReadMessage(); protocol.CloseStatus(err) != protocol.StatusGoingAway {
		t.Errorf("on SIGTERM the client got %v, want 1001", err)
	}
	select {
	case err := <-p.exited:
		p.exited <- err
		if err != nil {
			t.Fatalf("socklet dev exited with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("socklet dev did not exit after SIGTERM")
	}
}

func writeTestFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
