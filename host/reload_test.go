package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/socklet/socklet/host/config"
	"github.com/socklet/socklet/protocol"
)

func TestFixturesUpToDate(t *testing.T) {
	if _, err := exec.LookPath("wat2wasm"); err != nil {
		t.Skip("wat2wasm not installed: run scripts/deps/wabt.sh")
	}
	sources, _ := filepath.Glob("testdata/*.wat")
	for _, src := range sources {
		out := filepath.Join(t.TempDir(), "x.wasm")
		if b, err := exec.Command("wat2wasm", src, "-o", out).CombinedOutput(); err != nil {
			t.Fatalf("wat2wasm %s: %v\n%s", src, err, b)
		}
		want, _ := os.ReadFile(out)
		got, err := os.ReadFile(strings.TrimSuffix(src, ".wat") + ".wasm")
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s.wasm is stale: rebuild it (see testdata/README.md)", strings.TrimSuffix(src, ".wat"))
		}
	}
}

// reloadEnv is a server serving plugin.wasm at /tag from a temporary
// directory, with its watcher running.
type reloadEnv struct {
	*testServer
	dir     string
	reloads chan error
}

func startReloadEnv(t *testing.T, extra string) *reloadEnv {
	t.Helper()
	dir := t.TempDir()
	copyFile(t, "testdata/tag_a.wasm", filepath.Join(dir, "plugin.wasm"))
	cfgFile := filepath.Join(dir, "socklet.toml")
	writeFile(t, cfgFile, "[[route]]\npath = \"/tag\"\nplugin = \"plugin.wasm\"\n"+extra)
	cfg, err := config.Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	env := &reloadEnv{dir: dir, reloads: make(chan error, 100)}
	env.testServer = startServerConfig(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		_ = env.Watch(ctx, WatchOptions{ConfigFile: cfgFile, OnReload: func(_ string, err error) {
			select {
			case env.reloads <- err:
			default:
			}
		}})
	}()
	t.Cleanup(func() { cancel(); <-watching })
	time.Sleep(50 * time.Millisecond) // let the watcher add its directories
	return env
}

// replace writes src over name the way compilers and editors do: a new file
// renamed into place.
func (e *reloadEnv) replace(t *testing.T, src, name string) {
	t.Helper()
	tmp := filepath.Join(e.dir, ".tmp-"+name)
	copyFile(t, src, tmp)
	if err := os.Rename(tmp, filepath.Join(e.dir, name)); err != nil {
		t.Fatal(err)
	}
}

// waitReload waits for the watcher's next reload report.
func (e *reloadEnv) waitReload(t *testing.T) error {
	t.Helper()
	select {
	case err := <-e.reloads:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no reload within 10s")
		return nil
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, string(data))
}

// ask sends text on c and returns the reply.
func ask(t *testing.T, c *protocol.Conn, text string) string {
	t.Helper()
	if err := c.Write(protocol.MessageText, []byte(text)); err != nil {
		t.Fatal(err)
	}
	_, p, err := readOne(t, c)
	if err != nil {
		t.Fatalf("reply to %q: %v", text, err)
	}
	return p
}

// TestReloadUnderLoad replaces the plugin file 20 times, alternating two
// versions that tag their replies, while 500 connections send without
// pause: no connection closes, every request gets exactly one reply, and
// replies carry the new tag within one second of each write.
//
// Under -race or -short it runs 50 connections and 4 swaps: the race
// detector is after the locking, not the scale. scripts/test runs the full
// size without -race.
func TestReloadUnderLoad(t *testing.T) {
	conns, swaps := 500, 20
	if raceEnabled || testing.Short() {
		conns, swaps = 50, 4
	}
	for _, instances := range []int{1, 4} {
		t.Run(fmt.Sprintf("instances=%d", instances), func(t *testing.T) {
			testReloadUnderLoad(t, instances, conns, swaps)
		})
	}
}

func testReloadUnderLoad(t *testing.T, instances, conns, swaps int) {
	env := startReloadEnv(t, fmt.Sprintf("instances = %d\n", instances))
	type write struct {
		at  time.Time
		tag byte
	}
	type reply struct {
		sent, got time.Time
		tag       byte
	}
	var (
		mu      sync.Mutex
		writes  = []write{{time.Now(), 'A'}}
		replies = make([][]reply, conns)
		stop    atomic.Bool
		wg      sync.WaitGroup
		failed  = make(chan error, conns)
	)
	clients := make([]*protocol.Conn, conns)
	for i := range clients {
		clients[i] = env.dial(t, "/tag", nil)
	}
	for i, c := range clients {
		wg.Add(1)
		go func(i int, c *protocol.Conn) {
			defer wg.Done()
			for seq := 0; !stop.Load(); seq++ {
				msg := strconv.Itoa(seq)
				sent := time.Now()
				if err := c.Write(protocol.MessageText, []byte(msg)); err != nil {
					failed <- fmt.Errorf("conn %d: write: %w", i, err)
					return
				}
				_, p, err := c.ReadMessage()
				if err != nil {
					failed <- fmt.Errorf("conn %d: read: %w", i, err)
					return
				}
				if len(p) < 2 || string(p[2:]) != msg || p[1] != ':' {
					failed <- fmt.Errorf("conn %d: request %q got reply %q", i, msg, p)
					return
				}
				replies[i] = append(replies[i], reply{sent, time.Now(), p[0]})
			}
		}(i, c)
	}
	tags := []string{"testdata/tag_a.wasm", "testdata/tag_b.wasm"}
	time.Sleep(time.Second) // let the load settle (and the previous subtest's teardown end)
	for n := 1; n <= swaps; n++ {
		time.Sleep(300 * time.Millisecond)
		mu.Lock()
		writes = append(writes, write{time.Now(), "AB"[n%2]})
		mu.Unlock()
		env.replace(t, tags[n%2], "plugin.wasm")
		if err := env.waitReload(t); err != nil {
			t.Fatalf("swap %d: %v", n, err)
		}
		t.Logf("swap %d reported %v after the write", n, time.Since(writes[len(writes)-1].at))
		time.Sleep(time.Second)
	}
	stop.Store(true)
	wg.Wait()
	close(failed)
	for err := range failed {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	// The promise is one second. The race detector instruments wazero's
	// compiler too, which then takes several times longer.
	within := time.Second
	if raceEnabled {
		within = 5 * time.Second
	}
	total := 0
	for i, rs := range replies {
		total += len(rs)
		for _, r := range rs {
			// The write in force when the request was sent, and the next
			// one (write times are taken just before the rename).
			var w write
			next := time.Now().Add(time.Hour)
			for _, cand := range writes {
				if !cand.at.After(r.sent) {
					w = cand
				} else if cand.at.Before(next) {
					next = cand.at
				}
			}
			// Sent long enough after a write, answered before the next
			// one: only the new version may answer. (A request answered
			// after the next write may rightly meet the version after.)
			if r.sent.Sub(w.at) >= within && r.got.Before(next) && r.tag != w.tag {
				t.Fatalf("conn %d: request sent %v after the write of %c got tag %c", i, r.sent.Sub(w.at), w.tag, r.tag)
			}
		}
	}
	if got := env.routes.Load().all[0].rm.reloads.Load(); got != int64(swaps) {
		t.Errorf("%d reloads counted, want %d", got, swaps)
	}
	t.Logf("%d connections, %d swaps, %d request/reply pairs, none lost", conns, swaps, total)
	env.logs.mu.Lock()
	for _, l := range env.logs.lines {
		if strings.HasPrefix(l, "plugin reloaded") {
			t.Log(l)
		}
	}
	env.logs.mu.Unlock()
}

func TestReloadRefusesBadModulesAndKeepsServing(t *testing.T) {
	env := startReloadEnv(t, "")
	c := env.dial(t, "/tag", nil)
	if got := ask(t, c, "1"); got != "A:1" {
		t.Fatalf("before: %q", got)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.wasm")
	writeFile(t, garbage, "not wasm at all")
	for _, tc := range []struct{ name, src, inErr string }{
		{"not wasm", garbage, "plugin.wasm"},
		{"no marker", "../plugins/testdata/bad_missing.wasm", "socklet_abi_v1"},
		{"imports the host lacks", "../plugins/testdata/bad_imports.wasm", "send_file"},
		{"traps while starting", "testdata/bad_start.wasm", "unreachable"},
		{"traps while resuming", "testdata/bad_resume.wasm", "socklet_on_resume"},
	} {
		env.replace(t, tc.src, "plugin.wasm")
		err := env.waitReload(t)
		if err == nil || !strings.Contains(err.Error(), tc.inErr) {
			t.Errorf("%s: reload error %v, want one mentioning %q", tc.name, err, tc.inErr)
		}
		if got := ask(t, c, tc.name); got != "A:"+tc.name {
			t.Errorf("%s: the running version stopped answering: %q", tc.name, got)
		}
	}
	if got := env.routes.Load().all[0].rm.reloadErrors.Load(); got != 5 {
		t.Errorf("%d reload errors counted, want 5", got)
	}
	// Identical bytes are not a reload.
	env.replace(t, "testdata/tag_b.wasm", "plugin.wasm")
	if err := env.waitReload(t); err != nil {
		t.Fatal(err)
	}
	env.replace(t, "testdata/tag_b.wasm", "plugin.wasm")
	if err := env.waitReload(t); err != nil {
		t.Fatal(err)
	}
	if got := env.routes.Load().all[0].rm.reloads.Load(); got != 1 {
		t.Errorf("%d reloads counted after writing B twice, want 1", got)
	}
	if got := ask(t, c, "x"); got != "B:x" {
		t.Errorf("after: %q", got)
	}
}

// TestReloadWhileSlow swaps the module while slow events are queued: every
// one is delivered exactly once, in order.
func TestReloadWhileSlow(t *testing.T) {
	env := startReloadEnv(t, "")
	c := env.dial(t, "/tag", nil)
	const n = 40
	for i := 0; i < n; i++ {
		if err := c.Write(protocol.MessageText, []byte("s"+strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	env.replace(t, "testdata/tag_b.wasm", "plugin.wasm")
	var tags []byte
	for i := 0; i < n; i++ {
		_, p, err := readOne(t, c)
		if err != nil {
			t.Fatal(err)
		}
		if want := "s" + strconv.Itoa(i); string(p[2:]) != want {
			t.Fatalf("reply %d is %q, want tag:%s", i, p, want)
		}
		tags = append(tags, p[0])
	}
	if err := env.waitReload(t); err != nil {
		t.Fatal(err)
	}
	// Tags go from A to B once, never back.
	if s := string(tags); strings.Contains(s, "BA") {
		t.Fatalf("tags %s go back to the old version", s)
	}
	if got := ask(t, c, "after"); got != "B:after" {
		t.Fatalf("after the swap: %q", got)
	}
}

func TestConfigReload(t *testing.T) {
	env := startReloadEnv(t, "[[route]]\npath = \"/gone\"\nplugin = \"plugin.wasm\"\n")
	stay := env.dial(t, "/tag", nil)
	gone := env.dial(t, "/gone", nil)
	if got := ask(t, stay, "1"); got != "A:1" {
		t.Fatal(got)
	}
	cfgFile := filepath.Join(env.dir, "socklet.toml")

	// An invalid configuration changes nothing.
	writeFile(t, cfgFile, "[[route]]\npath = \"/tag\"\nplugin = \"plugin.wasm\"\nbogus = 1\n")
	if err := env.waitReload(t); err == nil || !strings.Contains(err.Error(), "socklet.toml:4: unknown key route[0].bogus") {
		t.Fatalf("invalid config: %v", err)
	}
	if got := ask(t, gone, "still"); got != "A:still" {
		t.Fatalf("route dropped by an invalid config: %q", got)
	}

	// /gone removed, /new added, /tag unchanged.
	copyFile(t, "testdata/probe.wasm", filepath.Join(env.dir, "probe.wasm"))
	writeFile(t, cfgFile, "[[route]]\npath = \"/tag\"\nplugin = \"plugin.wasm\"\n[[route]]\npath = \"/new\"\nplugin = \"probe.wasm\"\n")
	if err := env.waitReload(t); err != nil {
		t.Fatal(err)
	}
	_, _, err := readOne(t, gone)
	var ce *protocol.CloseError
	if !errors.As(err, &ce) || ce.Code != protocol.StatusGoingAway {
		t.Fatalf("connection of a removed route: %v, want close 1001", err)
	}
	if got := ask(t, stay, "2"); got != "A:2" {
		t.Fatalf("connection of an unchanged route: %q", got)
	}
	nc := env.dial(t, "/new", nil)
	if got := ask(t, nc, "hi"); got != "hi" {
		t.Fatalf("new route: %q", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := protocol.Dial(ctx, env.url("/gone"), nil); err == nil {
		t.Fatal("removed route still accepts connections")
	}

	// A changed route serves its old connections on the old settings and
	// new ones on the new.
	writeFile(t, cfgFile, "[[route]]\npath = \"/tag\"\nplugin = \"plugin.wasm\"\nsubprotocols = [\"v2\"]\n[[route]]\npath = \"/new\"\nplugin = \"probe.wasm\"\n")
	if err := env.waitReload(t); err != nil {
		t.Fatal(err)
	}
	if got := ask(t, stay, "3"); got != "A:3" {
		t.Fatalf("old connection of a changed route: %q", got)
	}
	fresh := env.dial(t, "/tag", &protocol.DialOptions{Subprotocols: []string{"v2"}})
	if fresh.Subprotocol() != "v2" {
		t.Fatalf("new connection of a changed route negotiated %q", fresh.Subprotocol())
	}
}
