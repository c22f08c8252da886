package interop

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/socklet/socklet/protocol"
)

// TestSockletServe runs the peers' clients against a `socklet serve`
// process (built from cmd/socklet) whose route serves the demo's echo
// plugin with compression, a 64 KiB message limit, a subprotocol and an
// origin allow-list from its TOML config: the route's settings must reach
// the handshake and the Conn as the peers see them.
func TestSockletServe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/socklet: skipped in -short mode")
	}
	plugin, err := filepath.Abs(filepath.Join("..", "..", "cmd", "socklet", "demo", "echo.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	config := filepath.Join(dir, "socklet.toml")
	toml := fmt.Sprintf(`listen = "127.0.0.1:0"

[[route]]
path = "/echo"
plugin = %q
compression = { threshold = 1 }
max_message_size = "64KiB"
subprotocols = ["echo.v2", "echo.v1"]
origins = ["http://allowed.example"]
`, plugin)
	if err := os.WriteFile(config, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "ws://" + startSocklet(t, config) + "/echo"

	each2 := func(name string, f func(t *testing.T, kind peerKind)) {
		t.Run(name, func(t *testing.T) {
			concurrently(t, []string{"ws", "websockets"}, func(t *testing.T, i int) { f(t, peers[i]) })
		})
	}
	client := func(t *testing.T, kind peerKind, cfg peerConfig) *peer {
		t.Helper()
		select {
		case peerSlots <- struct{}{}:
			t.Cleanup(func() { <-peerSlots })
		case <-time.After(5 * time.Minute):
			t.Fatal("no free peer slot after 5 minutes")
		}
		cfg.Mode, cfg.URL = "client", url
		return startPeer(t, kind, cfg)
	}

	each2("echo", func(t *testing.T, kind peerKind) {
		p := client(t, kind, peerConfig{Deflate: &deflateConfig{}, Subprotocols: []string{"echo.v1", "echo.v2"}, Origin: "http://allowed.example"})
		open := p.await(t, "open")
		if open.Protocol != "echo.v2" {
			t.Errorf("subprotocol %q, want echo.v2 (the route's first preference)", open.Protocol)
		}
		if open.Extensions == "" {
			t.Errorf("no permessage-deflate negotiated with compression on")
		}
		for _, m := range []struct {
			typ  string
			data []byte
		}{
			{"text", []byte("hello socklet ✓")},
			{"binary", []byte{0, 1, 2, 255}},
			{"text", gen("text", 64<<10, 9)}, // exactly the limit
		} {
			p.sendBytes(t, m.typ, m.data)
			e := p.await(t, "message")
			if e.Type != m.typ || e.Len != len(m.data) || e.SHA256 != sum(m.data) {
				t.Fatalf("echo of %s of %d bytes: got %s of %d", m.typ, len(m.data), e.Type, e.Len)
			}
		}
		p.sendBytes(t, "binary", make([]byte, 64<<10+1))
		if e := p.await(t, "close"); e.Code != int(protocol.StatusMessageTooBig) {
			t.Errorf("over the route's max_message_size: close %d %q, want 1009", e.Code, e.Reason)
		}
	})

	each2("origin-refused", func(t *testing.T, kind peerKind) {
		p := client(t, kind, peerConfig{Origin: "http://evil.example"})
		if e := p.await(t, "error"); e.Status != 403 {
			t.Errorf("handshake from a refused origin: %+v, want HTTP 403", e)
		}
	})
}

// startSocklet builds cmd/socklet into a temporary dir, runs `socklet serve
// --config config` and returns the address it logged. It gets SIGTERM when
// the test ends, SIGKILL 10 seconds later if still running.
func startSocklet(t *testing.T, config string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	bin := filepath.Join(t.TempDir(), "socklet")
	build := exec.Command(goBin, "build", "-o", bin, "github.com/socklet/socklet/cmd/socklet")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/socklet: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--config", config)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	logs := &syncBuffer{}
	addrc := make(chan string, 1)
	re := regexp.MustCompile(`msg="socklet serving" addr=(127\.0\.0\.1:\d+)`)
	waited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintln(logs, sc.Text())
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addrc <- m[1]:
				default:
				}
			}
		}
		waited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(pid, syscall.SIGKILL)
			<-waited
			t.Errorf("socklet serve (pid %d) still running 10s after SIGTERM", pid)
		}
		if t.Failed() {
			t.Logf("socklet serve log:\n%s", logs.String())
		}
	})
	select {
	case addr := <-addrc:
		return addr
	case err := <-waited:
		t.Fatalf("socklet serve exited: %v\n%s", err, logs.String())
	case <-time.After(startTimeout):
		t.Fatalf("socklet serve did not log its address in %v:\n%s", startTimeout, logs.String())
	}
	return ""
}
