package plugins

import (
	"context"
	"time"
)

// Swap replaces the route's module by mod (the hot-reload primitive). It
// first instantiates a whole new pool of mod (calling _initialize): if that
// fails, nothing changed and the error says why. Then it pauses dispatch,
// waits for the calls in flight, re-binds every connection to the new
// instance of the same slot, moves the timers to the same slot (a timer of
// the old instance replaces one of the same id set by the new instance's
// _initialize), disposes the old instances, calls socklet_on_resume for
// every open connection when mod exports it, and resumes dispatch. No
// connection is dropped and no event is lost or delivered twice: an event
// waiting during the swap is delivered to the new instance. Without
// socklet_on_resume the new instance simply receives the events of
// connections it did not see open. Topics and attachments stay in the
// route. A socklet_on_resume that traps is handled like any other trap.
//
// The route does not take a reference on mod; the caller releases the old
// module after Swap returns.
func (r *Route) Swap(ctx context.Context, mod *Module) error {
	slots, err := r.newPool(ctx, mod, r.cfg.Instances)
	if err != nil {
		return err
	}
	r.gate.Lock()
	defer r.gate.Unlock()
	if r.closed {
		for _, s := range slots {
			s.shut()
		}
		return ErrRouteClosed
	}
	old := r.slots
	index := make(map[*slot]int, len(old))
	for i, s := range old {
		index[s] = i
	}
	r.mu.Lock()
	for _, c := range r.conns {
		ns := slots[index[c.slot]%len(slots)]
		c.slot.nconns.Add(-1)
		c.slot = ns
		ns.nconns.Add(1)
	}
	r.mu.Unlock()
	// No call runs (the gate is held for writing), so the old slots can be
	// emptied without their mutexes racing a guest call; they are still
	// taken for the timers' sake.
	for i, s := range old {
		ns := slots[i%len(slots)]
		s.mu.Lock()
		ns.mu.Lock()
		for id, tm := range s.timers {
			if prev := ns.timers[id]; prev != nil {
				prev.t.Stop()
			}
			tm.slot = ns
			ns.timers[id] = tm
			delete(s.timers, id)
		}
		ns.mu.Unlock()
		if s.inst != nil {
			s.inst.dispose()
			s.setInst(nil)
		}
		s.mu.Unlock()
	}
	r.slots = slots
	r.mod = mod
	r.crashes.reset()
	for _, s := range slots {
		s.mu.Lock()
		s.resumeAll()
		s.mu.Unlock()
	}
	r.log.Info("plugin: module swapped", "module", mod.name)
	return nil
}

// resumeAll calls socklet_on_resume for every open connection of s, when
// exported. The caller holds s.mu.
func (s *slot) resumeAll() {
	r := s.r
	for _, c := range r.connsOf(s) {
		in := s.inst
		if in == nil || in.fns[kindResume] == nil {
			return
		}
		start := r.now()
		in.stack[0] = c.h
		err := in.call(in.fns[kindResume], in.stack[:1])
		r.observe(kindResume, start)
		if err != nil {
			// The failed resume is not retried: recovery closes c.
			s.drop(c, reasonCrashed)
			_ = s.failed(kindResume, c.h, err)
			return
		}
	}
}

// reset forgets past crashes (a new module starts afresh).
func (c *crashLog) reset() {
	c.mu.Lock()
	c.recent, c.until, c.backoff = nil, time.Time{}, 0
	c.mu.Unlock()
}
