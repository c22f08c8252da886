package plugins

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/socklet/socklet/abi"
	"github.com/socklet/socklet/plugins/internal/wasmrewrite"
)

// nopConn is a Conn that takes everything and does nothing.
type nopConn struct{}

func (nopConn) Info(abi.Info) string                  { return "" }
func (nopConn) Header(string) (string, bool)          { return "", false }
func (nopConn) Write(bool, []byte) error              { return nil }
func (nopConn) WriteFrame(Frame) error                { return nil }
func (nopConn) Ping([]byte) error                     { return nil }
func (nopConn) Close(int, string) error               { return nil }
func (nopFramer) Prepare(bool, []byte) (Frame, error) { return nil, nil }

type nopFramer struct{}

var benchPayload = []byte("hello, socklet!!") // 16 bytes

// cpuTime returns the CPU time the process used so far (all threads).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measureCPU starts the timer and reports, when the benchmark ends, the
// process's CPU time per operation as cpu-ns/op: unlike ns/op (wall time),
// it barely moves when other processes load the machine.
func measureCPU(b *testing.B) {
	b.ReportAllocs()
	start := cpuTime()
	b.Cleanup(func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	})
	b.ResetTimer()
}

// benchEvent measures Route.Text: one text event in, one send_text out to a
// no-op Conn.
func benchEvent(b *testing.B, rt *Runtime, mod *Module) {
	r := newTestRoute(b, rt, mod, RouteConfig{Framer: nopFramer{}})
	h := open(b, r, nopConn{})
	ctx := context.Background()
	measureCPU(b)
	for b.Loop() {
		if err := r.Text(ctx, h, benchPayload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEventWAT(b *testing.B) {
	rt := newTestRuntime(b)
	benchEvent(b, rt, compile(b, rt, "echo.wasm"))
}

func BenchmarkEventGo(b *testing.B) {
	rt, mod := goModule(b)
	benchEvent(b, rt, mod)
}

// BenchmarkLoop200k is one event whose handler counts down a 200,000
// iteration loop: the cost of the deadline check at each loop iteration.
func BenchmarkLoop200k(b *testing.B) {
	rt := newTestRuntime(b)
	r := newTestRoute(b, rt, compile(b, rt, "runaway.wasm"), RouteConfig{Framer: nopFramer{}, EventTimeout: 10 * time.Second})
	h := open(b, r, nopConn{})
	ctx := context.Background()
	measureCPU(b)
	for b.Loop() {
		if err := r.Text(ctx, h, []byte("c")); err != nil {
			b.Fatal(err)
		}
	}
}

// bareInstance instantiates wasm directly on wazero (no plugins code) with
// the socklet host module: instrumented in a runtime configured like ours,
// or, with closeOnDone, as this package ran before it instrumented modules
// (not instrumented, WithCloseOnContextDone).
func bareInstance(b *testing.B, name string, closeOnDone bool) (api.Module, func()) {
	ctx := context.Background()
	wr := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCloseOnContextDone(closeOnDone))
	if _, err := instantiateHostModules(ctx, wr); err != nil {
		b.Fatal(err)
	}
	wasm := fixture(b, name)
	if !closeOnDone {
		var err error
		if wasm, err = wasmrewrite.Instrument(wasm, interruptExport); err != nil {
			b.Fatal(err)
		}
	}
	compiled, err := wr.CompileModule(ctx, wasm)
	if err != nil {
		b.Fatal(err)
	}
	m, err := wr.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		b.Fatal(err)
	}
	if init := m.ExportedFunction(abi.InitializeExport); init != nil {
		if _, err := init.Call(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if open := m.ExportedFunction(abi.ExportOpen); open != nil {
		if _, err := open.Call(ctx, 1); err != nil { // the Go guest checks that conn 1 opened
			b.Fatal(err)
		}
	}
	return m, func() { _ = wr.Close(ctx) }
}

// benchBare is the same event done by hand on wazero: socklet_alloc, copy
// the payload, socklet_on_text (which calls send_text). The host functions
// run without a current instance, so send_text returns StatusBadHandle
// right away: this is wazero's own cost of the event's two calls.
func benchBare(b *testing.B, name string, closeOnDone bool, deadline func(ctx context.Context) (context.Context, func())) {
	m, done := bareInstance(b, name, closeOnDone)
	defer done()
	alloc, onText, mem := m.ExportedFunction(abi.ExportAlloc), m.ExportedFunction(abi.ExportText), m.ExportedMemory(abi.MemoryExport)
	ctx := context.Background()
	stack := make([]uint64, 3)
	measureCPU(b)
	for b.Loop() {
		cctx, cancel := deadline(ctx)
		stack[0] = uint64(len(benchPayload))
		if err := alloc.CallWithStack(cctx, stack[:1]); err != nil {
			b.Fatal(err)
		}
		ptr := uint32(stack[0])
		mem.Write(ptr, benchPayload)
		stack[0], stack[1], stack[2] = 1, uint64(ptr), uint64(len(benchPayload))
		if err := onText.CallWithStack(cctx, stack); err != nil {
			b.Fatal(err)
		}
		cancel()
	}
}

func noDeadline(ctx context.Context) (context.Context, func()) { return ctx, func() {} }

func timeoutPerCall(ctx context.Context) (context.Context, func()) {
	return context.WithTimeout(ctx, time.Second)
}

// BenchmarkBareWAT is wazero's own cost of an event (instrumented module,
// as socklet runs), the baseline of BenchmarkEventWAT.
func BenchmarkBareWAT(b *testing.B) { benchBare(b, "echo.wasm", false, noDeadline) }

// BenchmarkBareGo is BenchmarkBareWAT for the Go guest.
func BenchmarkBareGo(b *testing.B) { benchBare(b, "goecho.wasm", false, noDeadline) }

// BenchmarkBareWATCloseOnDone is the mechanism socklet used before it
// instrumented modules, for reference: WithCloseOnContextDone, with which
// wazero starts a goroutine per call.
func BenchmarkBareWATCloseOnDone(b *testing.B) { benchBare(b, "echo.wasm", true, noDeadline) }

// BenchmarkBareWATTimeoutPerCall is WithCloseOnContextDone with a
// context.WithTimeout around each event instead of the watchdog.
func BenchmarkBareWATTimeoutPerCall(b *testing.B) { benchBare(b, "echo.wasm", true, timeoutPerCall) }

// benchInstantiate measures building one instance from a compiled module
// (memory reservation, instantiation, _initialize) and disposing it.
func benchInstantiate(b *testing.B, rt *Runtime, mod *Module) {
	r := newTestRoute(b, rt, mod, RouteConfig{Framer: nopFramer{}})
	s := &slot{r: r, timers: map[int64]*timer{}}
	ctx := context.Background()
	measureCPU(b)
	for b.Loop() {
		in, err := s.instantiate(ctx, mod)
		if err != nil {
			b.Fatal(err)
		}
		in.dispose()
	}
}

func BenchmarkInstantiateWAT(b *testing.B) {
	rt := newTestRuntime(b)
	benchInstantiate(b, rt, compile(b, rt, "echo.wasm"))
}

func BenchmarkInstantiateGo(b *testing.B) {
	rt, mod := goModule(b)
	benchInstantiate(b, rt, mod)
}

// BenchmarkPublish10k publishes one text message from the guest to 10,000
// subscribers (no-op Conns) of a topic; the time is per publish.
func BenchmarkPublish10k(b *testing.B) {
	rt := newTestRuntime(b)
	r := newTestRoute(b, rt, compile(b, rt, "probe.wasm"), RouteConfig{Framer: nopFramer{}})
	h := open(b, r, nopConn{})
	ctx := context.Background()
	for range 10000 {
		c := open(b, r, nopConn{})
		if st := r.subscribe(c.c, "room"); st != abi.StatusOK {
			b.Fatal(st)
		}
	}
	cmd := command(opPublishText, []int64{scratch, 4, scratch, 4, 0}, []byte("room"))
	measureCPU(b)
	for b.Loop() {
		if err := r.Binary(ctx, h, cmd); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEventParallel delivers text events to 1,000 connections of one
// route from GOMAXPROCS goroutines, each going round its own share of the
// connections. With one instance the calls themselves are serialized by the
// slot's mutex; with two, two calls may run at once. What shows here, and
// not in BenchmarkEventWAT, is the cost of the route-wide state every event
// touches (locks, tables, counters) when cores take turns at it.
func BenchmarkEventParallel(b *testing.B) {
	for _, instances := range []int{1, 2} {
		b.Run(fmt.Sprintf("instances=%d", instances), func(b *testing.B) {
			rt := newTestRuntime(b)
			r := newTestRoute(b, rt, compile(b, rt, "echo.wasm"), RouteConfig{Framer: nopFramer{}, Instances: instances})
			hs := make([]Handle, 1000)
			for i := range hs {
				hs[i] = open(b, r, nopConn{})
			}
			ctx := context.Background()
			var worker atomic.Int64
			measureCPU(b)
			b.RunParallel(func(pb *testing.PB) {
				i := int(worker.Add(1)) * 7919 // each goroutine starts elsewhere
				for pb.Next() {
					i++
					if err := r.Text(ctx, hs[i%len(hs)], benchPayload); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
