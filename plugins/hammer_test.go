package plugins

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/socklet/socklet/abi"
)

// orderChecker is a wazero function listener that checks, from the guest's
// side, the ABI's guarantees: calls into one instance never overlap; per
// connection, an instance sees socklet_on_open or socklet_on_resume before
// any message and at most one socklet_on_close after which it sees nothing
// more of that connection.
type orderChecker struct {
	mu         sync.Mutex
	busy       map[api.Module]bool
	known      map[api.Module]map[uint64]bool // conn -> still open
	violations []string
	calls      atomic.Int64
}

func newOrderChecker() *orderChecker {
	return &orderChecker{busy: map[api.Module]bool{}, known: map[api.Module]map[uint64]bool{}}
}

func (o *orderChecker) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	if len(def.ExportNames()) == 0 || def.GoFunction() != nil {
		return nil
	}
	return &orderListener{o: o, export: def.ExportNames()[0]}
}

type orderListener struct {
	o      *orderChecker
	export string
}

func (l *orderListener) fail(format string, args ...any) {
	l.o.violations = append(l.o.violations, fmt.Sprintf(format, args...))
}

func (l *orderListener) Before(_ context.Context, mod api.Module, _ api.FunctionDefinition, params []uint64, _ experimental.StackIterator) {
	o := l.o
	o.calls.Add(1)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.busy[mod] {
		l.fail("%s called while the instance is in another call", l.export)
	}
	o.busy[mod] = true
	conns := o.known[mod]
	if conns == nil {
		conns = map[uint64]bool{}
		o.known[mod] = conns
	}
	switch l.export {
	case abi.ExportOpen, abi.ExportResume:
		if _, seen := conns[params[0]]; seen {
			l.fail("%s of connection %d seen before", l.export, params[0])
		}
		conns[params[0]] = true
	case abi.ExportText, abi.ExportBinary, abi.ExportPong, abi.ExportClose:
		if !conns[params[0]] {
			l.fail("%s of connection %d, not open on this instance", l.export, params[0])
		}
		if l.export == abi.ExportClose {
			conns[params[0]] = false
		}
	}
}

func (l *orderListener) After(_ context.Context, mod api.Module, _ api.FunctionDefinition, _ []uint64) {
	l.o.mu.Lock()
	l.o.busy[mod] = false
	l.o.mu.Unlock()
}

func (l *orderListener) Abort(_ context.Context, mod api.Module, _ api.FunctionDefinition, _ error) {
	l.After(context.Background(), mod, nil, nil)
}

// TestHammer runs many connections against a pool whose instances trap now
// and then, with subscriptions, publishes, timers and closes in between,
// under the race detector, and checks the ABI's ordering guarantees from the
// guest's side.
func TestHammer(t *testing.T) {
	checker := newOrderChecker()
	ctx := experimental.WithFunctionListenerFactory(context.Background(), checker)
	rt := newTestRuntime(t)
	mod, err := rt.Compile(ctx, "probe.wasm", fixture(t, "probe.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Release(ctx)
	r := newTestRoute(t, rt, mod, RouteConfig{Instances: 3})
	// Crashes are part of the test: never back off.
	noBackoff := func() {
		r.crashes.mu.Lock()
		r.crashes.recent, r.crashes.until = nil, time.Time{}
		r.crashes.mu.Unlock()
	}

	const workers, conns, events = 6, 8, 40
	var opened, closedOK, traps atomic.Int64
	var wg sync.WaitGroup
	stopSwapping := keepSwapping(t, r, mod, 3*time.Millisecond) // hot reloads while the workers run
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range conns {
				c := newRecorder()
				h, status, err := r.Open(ctx, c)
				if err != nil || status != 0 {
					continue
				}
				opened.Add(1)
				for range events {
					var err error
					switch rng.IntN(10) {
					case 0:
						err = r.Binary(ctx, h, command(opSubscribe, []int64{int64(h.ID()), scratch, 4}, []byte("room")))
					case 1:
						err = r.Binary(ctx, h, command(opPublishText, []int64{scratch, 4, scratch, 4, 0}, []byte("room")))
					case 2:
						err = r.Binary(ctx, h, command(opPublishBinary, []int64{0, 0, scratch, 4, int64(h.ID())}, []byte("room")))
					case 3:
						err = r.Binary(ctx, h, command(opTimer, []int64{int64(rng.IntN(3)), int64(rng.IntN(4))}, nil))
					case 4:
						err = r.Binary(ctx, h, command(opAttach, []int64{int64(h.ID()), scratch, 4}, []byte("data")))
					case 5:
						if rng.IntN(8) == 0 {
							noBackoff()
							err = r.Binary(ctx, h, command(opTrap, nil, nil))
							if errors.Is(err, ErrTrap) {
								traps.Add(1)
								err = nil
							}
						}
					case 6:
						err = r.Pong(ctx, h, []byte("p"))
					default:
						err = r.Text(ctx, h, []byte("hello"))
					}
					if err != nil {
						t.Errorf("event: %v", err)
						return
					}
				}
				if err := r.Closed(ctx, h, 1000, "done"); err == nil {
					closedOK.Add(1)
				} else {
					t.Errorf("Closed: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	swaps := stopSwapping()
	if swaps == 0 {
		t.Error("no Swap ran: the hammer did not exercise hot reload")
	}
	// Let the last timers fire, then check.
	time.Sleep(20 * time.Millisecond)
	if opened.Load() != workers*conns || closedOK.Load() != opened.Load() {
		t.Errorf("opened %d, closed %d of %d", opened.Load(), closedOK.Load(), workers*conns)
	}
	if n := r.Connections(); n != 0 {
		t.Errorf("%d connections left", n)
	}
	r.mu.RLock()
	if len(r.topics) != 0 {
		t.Errorf("topics left: %d", len(r.topics))
	}
	r.mu.RUnlock()
	checker.mu.Lock()
	defer checker.mu.Unlock()
	for _, v := range checker.violations {
		t.Error(v)
	}
	t.Logf("%d guest calls, %d traps, %d swaps", checker.calls.Load(), traps.Load(), swaps)
	if traps.Load() == 0 {
		t.Error("no instance trapped: the hammer did not exercise recovery")
	}
}

// TestHammerDrops churns connections on a plugin without socklet_on_resume:
// every trap closes the instance's connections with 1011 while others keep
// sending to them and closing them.
func TestHammerDrops(t *testing.T) {
	checker := newOrderChecker()
	ctx := experimental.WithFunctionListenerFactory(context.Background(), checker)
	rt := newTestRuntime(t)
	mod, err := rt.Compile(ctx, "crash.wasm", fixture(t, "crash.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Release(ctx)
	r := newTestRoute(t, rt, mod, RouteConfig{Instances: 2})
	const workers, conns, events = 4, 10, 30
	var wg sync.WaitGroup
	var dropped atomic.Int64
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 2))
			for range conns {
				c := newRecorder()
				h, status, err := r.Open(ctx, c)
				if errors.Is(err, ErrUnavailable) {
					r.crashes.reset()
					continue
				}
				if err != nil || status != 0 {
					t.Errorf("Open: %d %v", status, err)
					return
				}
				for range events {
					msg := "hi"
					if rng.IntN(25) == 0 {
						msg = "trap"
					}
					err := r.Text(ctx, h, []byte(msg))
					if err != nil && !errors.Is(err, ErrTrap) && !errors.Is(err, ErrUnavailable) {
						t.Errorf("Text: %v", err)
					}
				}
				if closed, code, _ := c.closeCode(); closed && code == 1011 {
					dropped.Add(1)
				}
				if err := r.Closed(ctx, h, 1000, ""); err != nil {
					t.Errorf("Closed: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	if n := r.Connections(); n != 0 {
		t.Errorf("%d connections left", n)
	}
	checker.mu.Lock()
	defer checker.mu.Unlock()
	for _, v := range checker.violations {
		t.Error(v)
	}
	if dropped.Load() == 0 {
		t.Error("no connection was dropped: the hammer did not exercise recovery")
	}
}

// TestOrderCheckerDetects makes sure the checker above can fail.
func TestOrderCheckerDetects(t *testing.T) {
	o := newOrderChecker()
	text := &orderListener{o: o, export: abi.ExportText}
	open := &orderListener{o: o, export: abi.ExportOpen}
	cl := &orderListener{o: o, export: abi.ExportClose}
	ctx := context.Background()
	text.Before(ctx, nil, nil, []uint64{1}, nil) // message before open
	text.After(ctx, nil, nil, nil)
	open.Before(ctx, nil, nil, []uint64{2}, nil)
	text.Before(ctx, nil, nil, []uint64{2}, nil) // overlapping calls
	text.After(ctx, nil, nil, nil)
	cl.Before(ctx, nil, nil, []uint64{2}, nil)
	cl.After(ctx, nil, nil, nil)
	text.Before(ctx, nil, nil, []uint64{2}, nil) // message after close
	text.After(ctx, nil, nil, nil)
	if len(o.violations) != 3 {
		t.Fatalf("violations: %q", o.violations)
	}
}
