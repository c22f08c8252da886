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
// swaps the word to killed and sets the instance's stop flag, a global that
// Runtime.Compile added to the module (plugins/internal/wasmrewrite): the
// guest checks it every wasmrewrite.Period function entries or loop
// iterations, from its own goroutine, and traps (unreachable). The caller's
// compare-and-swap fails, so it knows the call was stopped (ErrTimeout, not
// the trap) even if the guest returned at the same moment, and discards the
// instance: the flag is never cleared.
//
// Why a flag in the guest rather than wazero's WithCloseOnContextDone and a
// cancelled context (what this package did before): wazero 1.12 pays for
// that option twice, a goroutine started for every call
// (CloseModuleOnCanceledOrTimeout) and an exit from native code to Go at
// every loop iteration (checkModuleExitCode, ~160 ns); the flag costs a
// countdown per iteration and nothing per call. And why not
// api.Module.CloseWithExitCode from the watchdog: it frees the module's
// resources from the watchdog's goroutine while the guest and its host
// functions still run. Setting a global touches one word of the running
// module (moduleEngine.SetGlobalValue); the trap then unwinds on the
// caller's goroutine.
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
				in.stop.Set(1)
			}
		}
		w.mu.Unlock()
	}
}

func (w *watchdog) stop() {
	close(w.quit)
	<-w.done
}
