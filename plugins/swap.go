package plugins

import (
	"context"
	"fmt"
	"time"
)

// Swap replaces the route's module by mod (the hot-reload primitive). It
// first instantiates a whole new pool of mod (calling _initialize): if that
// fails, nothing changed and the error says why. Then it pauses dispatch,
// waits for the calls in flight, re-binds every connection to the new
// instance of the same slot and calls socklet_on_resume for each (when mod
// exports it). If a resume traps, Swap rolls back: the connections go back
// to the old instances, which never stopped, the new pool is discarded, and
// the error says why (what the failed resumes already did, such as
// messages sent, stays done). Otherwise it moves the timers to the same
// slot (a timer of the old instance replaces one of the same id set by the
// new instance's _initialize), disposes the old instances, and resumes
// dispatch. No connection is dropped and no event is lost or delivered
// twice: an event waiting during the swap is delivered to the new instance.
// Without socklet_on_resume the new instance simply receives the events of
// connections it did not see open. Topics and attachments stay in the
// route.
//
// The route does not take a reference on mod; the caller releases the old
// module after Swap returns.
func (r *Route) Swap(ctx context.Context, mod *Module) error {
	slots, err := r.newPool(ctx, mod, r.cfg.Instances)
	if err != nil {
		return err
	}
	r.pool.Lock()
	defer r.pool.Unlock()
	if r.closed.Load() {
		for _, s := range slots {
			s.shut()
		}
		return ErrRouteClosed
	}
	old := r.slots
	// Hold every slot of both pools until the end (see Route.pool): this
	// waits for the calls in flight, and the calls that come meanwhile
	// wait, then follow their connection to its slot.
	for _, s := range old {
		s.mu.Lock()
	}
	for _, s := range slots {
		s.mu.Lock()
	}
	defer func() {
		for _, s := range old {
			s.mu.Unlock()
		}
		for _, s := range slots {
			s.mu.Unlock()
		}
	}()
	index := make(map[*slot]int, len(old))
	for i, s := range old {
		index[s] = i
	}
	rebind := func(c *conn, to *slot) {
		c.slot.Load().nconns.Add(-1)
		c.slot.Store(to)
		to.nconns.Add(1)
	}
	r.mu.Lock()
	was := make(map[*conn]*slot, len(r.conns))
	for _, c := range r.conns {
		s := c.slot.Load()
		was[c] = s
		rebind(c, slots[index[s]%len(slots)])
	}
	r.mu.Unlock()

	// No call runs (every slot is held): try the new instances'
	// socklet_on_resume before anything of the old ones is let go.
	for _, s := range slots {
		err := s.tryResume()
		if err != nil {
			r.mu.Lock()
			for c, s := range was {
				rebind(c, s)
			}
			r.mu.Unlock()
			for _, s := range slots {
				s.gone = true
				s.shutLocked()
			}
			r.log.Error("plugin: swap rolled back: the new module trapped in socklet_on_resume", "module", mod.name, "err", err)
			return fmt.Errorf("plugins: route %s: %s: %w", r.name, kindExports[kindResume], err)
		}
	}

	for i, s := range old {
		ns := slots[i%len(slots)]
		for id, tm := range s.timers {
			if prev := ns.timers[id]; prev != nil {
				prev.t.Stop()
			}
			tm.slot.Store(ns)
			ns.timers[id] = tm
			delete(s.timers, id)
		}
		if s.inst != nil {
			s.inst.dispose()
			s.setInst(nil)
		}
		s.gone = true
	}
	r.slots = slots
	r.mod = mod
	r.crashes.reset()
	r.log.Info("plugin: module swapped", "module", mod.name)
	return nil
}

// tryResume calls socklet_on_resume for every open connection of s, when
// exported, and returns the first failure. The caller holds s.mu.
func (s *slot) tryResume() error {
	r := s.r
	in := s.inst
	if in == nil || in.fns[kindResume] == nil {
		return nil
	}
	for _, c := range r.connsOf(s) {
		start := r.now()
		in.stack[0] = c.h
		err := in.call(in.fns[kindResume], in.stack[:1])
		s.observe(kindResume, start)
		if err != nil {
			return err
		}
	}
	return nil
}

// reset forgets past crashes (a new module starts afresh).
func (c *crashLog) reset() {
	c.mu.Lock()
	c.recent, c.until, c.backoff = nil, time.Time{}, 0
	c.mu.Unlock()
}
