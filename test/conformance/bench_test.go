package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/socklet/socklet/abi"
	"github.com/socklet/socklet/host"
	"github.com/socklet/socklet/plugins"
)

// countConn is a plugins.Conn that takes every message and counts the
// text ones; everything else is a no-op.
type countConn struct{ texts atomic.Int64 }

func (*countConn) Info(abi.Info) string         { return "" }
func (*countConn) Header(string) (string, bool) { return "", false }
func (c *countConn) Write(text bool, _ []byte) error {
	if text {
		c.texts.Add(1)
	}
	return nil
}
func (*countConn) WriteFrame(plugins.Frame) error { return nil }
func (*countConn) Ping([]byte) error              { return nil }
func (*countConn) Close(int, string) error        { return nil }

type nopFramer struct{}

func (nopFramer) Prepare(bool, []byte) (plugins.Frame, error) { return nil, nil }

// cpuTime is the CPU time the process used so far, all threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEcho measures one text event in and one send_text out through
// plugins.Route directly (no sockets) for each language's committed echo
// module: the guest's own per-event cost plus the runtime's. cpu-ns/op is
// the process's CPU time per event, steadier than ns/op on a shared machine.
//
//	go test -run '^$' -bench BenchmarkEcho -benchtime 2s ./test/conformance/
func BenchmarkEcho(b *testing.B) {
	root := repoRoot(b)
	payload := []byte("hello, socklet!!") // 16 bytes
	for _, lang := range languages {
		b.Run(lang.name, func(b *testing.B) {
			wasm, err := os.ReadFile(filepath.Join(root, "examples", lang.name, "echo", "echo.wasm"))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			logger := slog.New(slog.NewTextHandler(io.Discard, nil))
			rt, err := plugins.NewRuntime(ctx, plugins.RuntimeConfig{Logger: logger})
			if err != nil {
				b.Fatal(err)
			}
			defer rt.Close(ctx)
			mod, err := rt.Compile(ctx, lang.name+"/echo.wasm", wasm)
			if err != nil {
				b.Fatal(err)
			}
			defer mod.Release(ctx)
			r, err := plugins.NewRoute(ctx, rt, mod, plugins.RouteConfig{Name: "/echo", Framer: nopFramer{}, Logger: logger})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close(ctx)
			conn := &countConn{}
			h, status, err := r.Open(ctx, conn)
			if err != nil || status != 0 {
				b.Fatalf("Open: status %d, err %v", status, err)
			}
			b.ReportAllocs()
			start := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				if err := r.Text(ctx, h, payload); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
			if got := conn.texts.Load(); got != int64(b.N) {
				b.Fatalf("%d events gave %d sends, want one each", b.N, got)
			}
		})
	}
}

// newBehaviour returns chat with its reply "nick NAME" patched into
// "Nick NAME": the same module size and structure, different behaviour, so
// a client can tell which version answered. The reply prefix is found as
// UTF-8 or UTF-16 (AssemblyScript) "nick " not preceded by "/"; it must be
// unique.
func newBehaviour(chat []byte) ([]byte, error) {
	for _, pat := range [][]byte{[]byte("nick "), []byte("n\x00i\x00c\x00k\x00 \x00")} {
		slash := []byte("/")
		if pat[1] == 0 {
			slash = []byte("/\x00")
		}
		var at []int
		for i := 0; ; {
			j := bytes.Index(chat[i:], pat)
			if j < 0 {
				break
			}
			k := i + j
			if !bytes.HasSuffix(chat[:k], slash) {
				at = append(at, k)
			}
			i = k + 1
		}
		switch len(at) {
		case 0:
			continue
		case 1:
			out := bytes.Clone(chat)
			out[at[0]] = 'N'
			return out, nil
		default:
			return nil, fmt.Errorf("the reply prefix \"nick \" is not unique (%d places)", len(at))
		}
	}
	return nil, errors.New("no reply prefix \"nick \" in the module")
}

// reloadBench serves lang's committed chat example on /chat with
// connections clients connected, and returns the server and the clients
// plus the two module versions (the committed one and its "Nick" twin).
func reloadBench(b *testing.B, lang string, connections int) (*server, []*client, [2][]byte) {
	root := repoRoot(b)
	chat, err := os.ReadFile(filepath.Join(root, "examples", lang, "chat", "chat.wasm"))
	if err != nil {
		b.Fatal(err)
	}
	twin, err := newBehaviour(chat)
	if err != nil {
		b.Fatal(err)
	}
	s := startServer(b, "listen = \"127.0.0.1:0\"\n[[route]]\npath = \"/chat\"\nplugin = \"chat.wasm\"\n",
		map[string][]byte{"chat.wasm": chat})
	cs := make([]*client, connections)
	for i := range cs {
		cs[i] = s.dial(b, "/chat", nil)
	}
	return s, cs, [2][]byte{chat, twin}
}

// answers sends "/nick probe" and returns the reply ("nick probe" from the
// committed module, "Nick probe" from its twin).
func answers(b *testing.B, c *client) string {
	c.sendText("/nick probe")
	m, err := c.tryNext(wait)
	if err != nil {
		b.Fatal(err)
	}
	return string(m.data)
}

var replies = [2]string{"nick probe", "Nick probe"}

// BenchmarkReload measures a hot reload of the chat example with 100
// connected clients:
//
//   - watch: from renaming a new plugin file into place (as a compiler
//     does) to the first reply carrying the new behaviour, through
//     Server.Watch with the default debounce (150 ms, included);
//   - ReloadRoute: the duration of Server.ReloadRoute alone (read,
//     compile, validate, instantiate, swap, socklet_on_resume for each
//     connection).
//
// Each iteration alternates between the committed module and its twin
// whose reply reads "Nick" (so every reload compiles new bytes).
//
//	go test -run '^$' -bench BenchmarkReload -benchtime 5x ./test/conformance/
func BenchmarkReload(b *testing.B) {
	const connections = 100
	for _, lang := range languages {
		b.Run(lang.name+"/watch", func(b *testing.B) {
			s, cs, versions := reloadBench(b, lang.name, connections)
			ctx, cancel := context.WithCancel(context.Background())
			reloads := make(chan error, 16)
			watching := make(chan struct{})
			go func() {
				defer close(watching)
				_ = s.Watch(ctx, host.WatchOptions{OnReload: func(_ string, err error) {
					select {
					case reloads <- err:
					default:
					}
				}})
			}()
			defer func() { cancel(); <-watching }()
			time.Sleep(100 * time.Millisecond) // let the watcher add its directory
			probe := cs[0]
			if got := answers(b, probe); got != replies[0] {
				b.Fatalf("got %q", got)
			}
			b.ReportAllocs()
			var total time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				next := (i + 1) % 2
				tmp := filepath.Join(s.dir, ".chat.wasm.tmp")
				if err := os.WriteFile(tmp, versions[next], 0o644); err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				if err := os.Rename(tmp, filepath.Join(s.dir, "chat.wasm")); err != nil {
					b.Fatal(err)
				}
				deadline := start.Add(time.Minute)
				for answers(b, probe) != replies[next] {
					if time.Now().After(deadline) {
						b.Fatal("the new version never answered")
					}
					time.Sleep(time.Millisecond)
				}
				total += time.Since(start)
				select {
				case err := <-reloads:
					if err != nil {
						b.Fatal(err)
					}
				case <-time.After(wait):
					b.Fatal("no reload report")
				}
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/write-to-reply")
			checkAlive(b, cs)
			if testing.Verbose() {
				b.Logf("server log:\n%s", s.logs.String())
			}
		})
		b.Run(lang.name+"/ReloadRoute", func(b *testing.B) {
			s, cs, versions := reloadBench(b, lang.name, connections)
			ctx := context.Background()
			b.ReportAllocs()
			var total time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				next := (i + 1) % 2
				if err := os.WriteFile(filepath.Join(s.dir, "chat.wasm"), versions[next], 0o644); err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				swapped, err := s.ReloadRoute(ctx, "/chat")
				total += time.Since(start)
				if err != nil || !swapped {
					b.Fatalf("ReloadRoute = %v, %v", swapped, err)
				}
				if got := answers(b, cs[i%len(cs)]); got != replies[next] {
					b.Fatalf("after the reload: %q, want %q", got, replies[next])
				}
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/ReloadRoute")
			checkAlive(b, cs)
		})
	}
}

func checkAlive(b *testing.B, cs []*client) {
	for i, c := range cs {
		if !c.alive() {
			b.Errorf("client %d closed during the reloads: %v", i, c.err)
		}
	}
}
