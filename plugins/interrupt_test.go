package plugins

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/socklet/socklet/plugins/internal/wasmrewrite"
)

// TestDeadlineStopsRunaways runs each runaway of the runaway fixture past
// its deadline: an infinite loop, a loop calling the host, recursion
// without loops and a Go-style dispatch loop. Each is stopped by the stop
// flag the watchdog sets, while another goroutine forces garbage
// collections: a guest that never left native code would block their
// stop-the-world, and the watchdog with it.
func TestDeadlineStopsRunaways(t *testing.T) {
	rt := newTestRuntime(t)
	mod := compile(t, rt, "runaway.wasm")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
				runtime.GC()
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	for _, op := range []string{"i", "h", "r", "g"} {
		t.Run(op, func(t *testing.T) {
			r := newTestRoute(t, rt, mod, RouteConfig{EventTimeout: 30 * time.Millisecond})
			h := open(t, r, newRecorder())
			start := time.Now()
			err := r.Text(context.Background(), h, []byte(op))
			if !errors.Is(err, ErrTimeout) {
				t.Fatalf("%q: %v, want ErrTimeout", op, err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("%q ran %s past a 30ms deadline", op, d)
			}
			// The instance was rebuilt and works.
			c := newRecorder()
			h = open(t, r, c)
			if err := r.Text(context.Background(), h, []byte("x")); err != nil || !hasMessage(c, "x") {
				t.Fatalf("after the deadline: %v %v", err, c.messages())
			}
		})
	}
}

// TestCommittedModulesInstrument instruments every committed .wasm of the
// repository (plugins, examples, the demo, host fixtures) and compiles the
// result with wazero's compiler. Their own tests then run them
// instrumented, since Runtime.Compile does it.
func TestCommittedModulesInstrument(t *testing.T) {
	var files []string
	for _, pattern := range []string{"testdata/*.wasm", "../examples/*/*/*.wasm", "../cmd/socklet/demo/*.wasm", "../host/testdata/*.wasm"} {
		m, _ := filepath.Glob(pattern)
		files = append(files, m...)
	}
	if len(files) < 20 {
		t.Fatalf("only %d modules found", len(files))
	}
	ctx := context.Background()
	wr := wazero.NewRuntime(ctx)
	defer wr.Close(ctx)
	for _, f := range files {
		wasm, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out, err := wasmrewrite.Instrument(wasm, interruptExport)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		c, err := wr.CompileModule(ctx, out)
		if err != nil {
			t.Errorf("%s instrumented: %v", f, err)
			continue
		}
		_ = c.Close(ctx)
	}
}

func TestReservedExportRefused(t *testing.T) {
	rt := newTestRuntime(t)
	wasm, err := wasmrewrite.Instrument(fixture(t, "echo.wasm"), interruptExport)
	if err != nil {
		t.Fatal(err)
	}
	_, err = rt.Compile(context.Background(), "twice.wasm", wasm)
	if !errors.Is(err, ErrInvalidModule) {
		t.Fatalf("a module exporting %q: %v, want ErrInvalidModule", interruptExport, err)
	}
}
