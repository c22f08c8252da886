package plugins

import (
	"sync"
	"sync/atomic"
	"time"
)

// watchdogTick is the watchdog's period: a guest call is stopped between its
// deadline and one tick later.
const watchdogTick = 5 * time.Millisecond

// killed marks an instance's deadline word once the watchdog stopped it.
const killed = ^uint64(0)

// watchdog enforces call deadlines for every instance of a runtime with one
// goroutine, so that a guest call costs two atomic operations instead of a
// context.WithTimeout (a timer and several allocations per call).
//
// A call stores its deadline (in ticks of clock) in its instance's deadline
// word and clears it with a compare-and-swap when it returns. Each tick the
// watchdog advances clock and, for every instance whose deadline passed,
// swaps the word to killed and cancels the instance's context: wazero
// (WithCloseOnContextDone) then closes the module, and the guest exits at
// its next loop back-edge. The caller's compare-and-swap fails, so it knows
// the call was stopped even if the guest returned at the same moment, and
// discards the instance.
//
// Why a context per instance, cancelled by the watchdog, rather than
// api.Module.CloseWithExitCode from the watchdog (which also stops a running
// guest: verified with wazero 1.12): CloseWithExitCode closes the module's
// resources at once, from the watchdog's goroutine, while the guest and
// its host functions still run (its memory is freed, its WASI state set to
// nil). A cancelled context makes wazero close the module from the calling
// goroutine instead. Both cost the same per call: with
// WithCloseOnContextDone, wazero 1.12 starts a goroutine for every call
// whether or not the context can be cancelled (callEngine.callWithStack),
// and that goroutine, not this package, is most of the per-event cost (see
// the benchmarks in bench_test.go).
type watchdog struct {
	clock atomic.Uint64 // ticks since start
	tick  time.Duration

	mu    sync.Mutex
	insts map[*instance]struct{}

	quit chan struct{}
	done chan struct{}
}

func newWatchdog(tick time.Duration) *watchdog {
	w := &watchdog{tick: tick, insts: map[*instance]struct{}{}, quit: make(chan struct{}), done: make(chan struct{})}
	w.clock.Store(1)
	go w.run()
	return w
}

// ticks converts a timeout to a number of ticks, rounding up, plus one for
// the partial tick the call starts in.
func (w *watchdog) ticks(d time.Duration) uint64 {
	return uint64((d+w.tick-1)/w.tick) + 1
}

func (w *watchdog) add(in *instance) {
	w.mu.Lock()
	w.insts[in] = struct{}{}
	w.mu.Unlock()
}

func (w *watchdog) remove(in *instance) {
	w.mu.Lock()
	delete(w.insts, in)
	w.mu.Unlock()
}

func (w *watchdog) run() {
	defer close(w.done)
	t := time.NewTicker(w.tick)
	defer t.Stop()
	for {
		select {
		case <-w.quit:
			return
		case <-t.C:
		}
		now := w.clock.Add(1)
		w.mu.Lock()
		for in := range w.insts {
			d := in.deadline.Load()
			if d != 0 && d != killed && d <= now && in.deadline.CompareAndSwap(d, killed) {
				in.ctx.cancel()
			}
		}
		w.mu.Unlock()
	}
}

func (w *watchdog) stop() {
	close(w.quit)
	<-w.done
}
