package plugins

import (
	"sync/atomic"
	"time"

	"github.com/socklet/socklet/abi"
)

// timer is a pending timer of a slot. A re-armed timer is a new *timer, so a
// stale firing finds another value in the slot's map and does nothing.
type timer struct {
	id   int64
	slot atomic.Pointer[slot] // moved by Swap, as Route.pool says
	t    *time.Timer
}

// setTimer arms (or re-arms) timer id of s. The caller holds s.mu (it runs
// inside a guest call of s).
func (s *slot) setTimer(id int64, d time.Duration) abi.Status {
	if old := s.timers[id]; old != nil {
		old.t.Stop()
		delete(s.timers, id)
	} else if len(s.timers) >= abi.MaxTimers {
		return abi.StatusLimit
	}
	tm := &timer{id: id}
	tm.slot.Store(s)
	r := s.r
	tm.t = time.AfterFunc(d, func() { r.fire(tm) })
	s.timers[id] = tm
	return abi.StatusOK
}

// cancelTimer cancels timer id of s; the caller holds s.mu.
func (s *slot) cancelTimer(id int64) abi.Status {
	tm := s.timers[id]
	if tm == nil {
		return abi.StatusNotFound
	}
	tm.t.Stop()
	delete(s.timers, id)
	return abi.StatusOK
}

// fire delivers socklet_on_timer for tm on the instance of its slot, under
// the slot's mutex like every other event. Timers belong to the slot, not
// to the instance: they survive a rebuild and move with Swap. A timer whose
// slot is down is dropped.
func (r *Route) fire(tm *timer) {
	s := tm.slot.Load()
	s.mu.Lock()
	for tm.slot.Load() != s { // a Swap moved tm meanwhile: follow it
		s.mu.Unlock()
		s = tm.slot.Load()
		s.mu.Lock()
	}
	defer s.mu.Unlock()
	if s.gone || s.timers[tm.id] != tm {
		return
	}
	delete(s.timers, tm.id)
	in := s.inst
	if in == nil || in.fns[kindTimer] == nil {
		return
	}
	start := r.now()
	in.stack[0] = uint64(tm.id)
	err := in.call(in.fns[kindTimer], in.stack[:1])
	s.observe(kindTimer, start)
	if err != nil {
		_ = s.failed(kindTimer, 0, err)
	}
}
