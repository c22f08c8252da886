package plugins

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// The Go fixture takes about a second to compile: every test shares one.
var goGuest struct {
	once sync.Once
	rt   *Runtime
	mod  *Module
	err  error
}

func goModule(t testing.TB) (*Runtime, *Module) {
	t.Helper()
	goGuest.once.Do(func() {
		ctx := context.Background()
		// Compiling a Go guest takes about a second, and minutes under the
		// race detector: keep the compiled code between test runs.
		dir := ""
		if d, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(d, "socklet", "plugins-test")
		}
		goGuest.rt, goGuest.err = NewRuntime(ctx, RuntimeConfig{Logger: discard, CacheDir: dir})
		if goGuest.err == nil {
			goGuest.mod, goGuest.err = goGuest.rt.Compile(ctx, "goecho.wasm", fixture(t, "goecho.wasm"))
		}
	})
	if goGuest.err != nil {
		t.Fatal(goGuest.err)
	}
	return goGuest.rt, goGuest.mod
}

func TestGoGuest(t *testing.T) {
	rt, mod := goModule(t)
	var logs logBuffer
	obs := &countingObserver{}
	r := newTestRoute(t, rt, mod, RouteConfig{Logger: logs.logger(), Observer: obs})
	ctx := context.Background()
	c := newRecorder()
	h := open(t, r, c)
	for _, in := range []string{"hello", "print", "clock", "random", "sandbox"} {
		if err := r.Text(ctx, h, []byte(in)); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
	}
	want := []string{"hello", "printed", "clock ok", "random ok", "sandbox ok: /test"}
	got := c.messages()
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i].data != want[i] || !got[i].text {
			t.Errorf("reply %d: %s, want %q", i, got[i], want[i])
		}
	}
	if !strings.Contains(logs.String(), `msg="hello from go" stream=stdout`) {
		t.Errorf("stdout not logged:\n%s", logs.String())
	}
	// A Go panic exits the module: a trap; the connection is resumed.
	if err := r.Text(ctx, h, []byte("panic")); !errors.Is(err, ErrTrap) {
		t.Fatalf("panic: %v, want ErrTrap", err)
	}
	if !strings.Contains(logs.String(), "asked to") {
		t.Errorf("the panic message did not reach the log:\n%s", logs.String())
	}
	if err := r.Text(ctx, h, []byte("after")); err != nil || !hasMessage(c, "after") {
		t.Fatalf("after the panic: %v %v", err, c.messages())
	}
	if err := r.Closed(ctx, h, 1000, ""); err != nil {
		t.Fatal(err)
	}
	if traps, restarts := obs.counts(); traps != 1 || restarts != 1 {
		t.Errorf("observer: %d traps %d restarts", traps, restarts)
	}
}

func TestInspectGoGuest(t *testing.T) {
	rep, err := Inspect(context.Background(), fixture(t, "goecho.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Valid {
		t.Fatalf("goecho invalid:\n%s", rep)
	}
	if !hasLine(rep.String(), "wasi_snapshot_preview1.fd_write", "# WASI preview1") {
		t.Errorf("WASI import not reported:\n%s", rep)
	}
}

// TestGoFixtureUpToDate rebuilds goecho.wasm and compares it with the
// committed file when the Go toolchain is the one that built it.
func TestGoFixtureUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go module")
	}
	version, err := os.ReadFile("testdata/goecho.go-version")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "goecho.wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-ldflags=-s", "-o", out, ".")
	cmd.Dir = "testdata/goecho"
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	built, _ := os.ReadFile(out)
	if bytes.Equal(built, fixture(t, "goecho.wasm")) {
		return
	}
	if v := strings.TrimSpace(string(version)); v != runtime.Version() {
		t.Skipf("goecho.wasm was built with %s, this is %s: bytes differ", v, runtime.Version())
	}
	t.Error("goecho.wasm is stale: run go generate ./plugins/")
}
