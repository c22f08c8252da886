package plugins

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Crash-loop policy: when a route's instances fail CrashLimit times within
// CrashWindow, the route is backed off: a failed instance is not rebuilt,
// its connections are closed with 1011, and new connections are refused
// (ErrUnavailable) until the backoff ends. The backoff starts at BackoffMin
// and doubles at each new crash loop up to BackoffMax; a route that stays
// up for BackoffMax starts again from BackoffMin.
const (
	CrashLimit  = 5
	CrashWindow = 10 * time.Second
	BackoffMin  = time.Second
	BackoffMax  = time.Minute
)

// Close codes and reasons the runtime sends.
const (
	closeInternalError = 1011
	closeTryAgainLater = 1013
	reasonCrashed      = "plugin restarted"
	reasonUnavailable  = "plugin unavailable"
	reasonAlloc        = "plugin could not take the message"
	reasonQueueFull    = "outbound queue full"
)

// crashLog counts a route's instance failures.
type crashLog struct {
	mu      sync.Mutex
	recent  []time.Time // the last CrashLimit failures
	until   time.Time   // backed off until
	backoff time.Duration
}

// fault records a failure at now and reports whether the instance may be
// rebuilt (false: the route is, or now becomes, backed off).
func (c *crashLog) fault(now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Before(c.until) {
		return false
	}
	if n := len(c.recent); n > 0 && now.Sub(c.recent[n-1]) > BackoffMax {
		c.backoff = 0
	}
	c.recent = append(c.recent, now)
	if len(c.recent) > CrashLimit {
		c.recent = c.recent[1:]
	}
	if len(c.recent) == CrashLimit && now.Sub(c.recent[0]) <= CrashWindow {
		c.backoff = min(max(2*c.backoff, BackoffMin), BackoffMax)
		c.until = now.Add(c.backoff)
		c.recent = c.recent[:0]
		return false
	}
	return true
}

// backedOff reports whether the route is backed off at now.
func (c *crashLog) backedOff(now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return now.Before(c.until)
}

// start brings a down slot up again for a new connection, unless the route
// is backed off. The caller holds s.mu.
func (s *slot) start(ctx context.Context) error {
	r := s.r
	if r.crashes.backedOff(time.Now()) {
		return fmt.Errorf("%w: route %s is backed off after crashing %d times in %s", ErrUnavailable, r.name, CrashLimit, CrashWindow)
	}
	in, err := s.instantiate(ctx, s.mod)
	if err != nil {
		r.crashes.fault(time.Now())
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	s.setInst(in)
	if r.obs != nil {
		r.obs.Restart(r.name)
	}
	return nil
}

// failed handles an error of a call into s.inst made for connection h (0
// for none) and returns the error for the caller. ErrAlloc drops the event
// and closes h with 1011; any other error discards the instance and
// recovers. The caller holds s.mu.
func (s *slot) failed(kind eventKind, h uint64, err error) error {
	r := s.r
	if errors.Is(err, ErrAlloc) {
		r.log.Error("plugin: event dropped", "event", kind.String(), "conn", h, "err", err)
		if c := r.conn(h); c != nil {
			s.drop(c, reasonAlloc)
		}
		return err
	}
	r.log.Error("plugin: instance failed; rebuilding it", "event", kind.String(), "conn", h, "err", err)
	if r.obs != nil {
		r.obs.Trap(r.name, err)
	}
	s.inst.dispose()
	s.setInst(nil)
	s.recover()
	return err
}

// recover rebuilds the slot's instance after a failure and resumes its open
// connections with socklet_on_resume, or closes them with 1011 when the
// plugin does not export it. A connection whose resume fails is closed with
// 1011 and the instance rebuilt again, until the crash-loop policy gives up:
// then the slot stays down and its connections are closed with 1011.
func (s *slot) recover() {
	r := s.r
	for {
		if !r.crashes.fault(time.Now()) {
			r.log.Error("plugin: route crashes in a loop; backing off", "route", r.name)
			s.dropAll(reasonUnavailable)
			return
		}
		in, err := s.instantiate(context.Background(), s.mod)
		if err != nil {
			r.log.Error("plugin: rebuilding instance failed", "err", err)
			if r.obs != nil {
				r.obs.Trap(r.name, err)
			}
			continue
		}
		s.setInst(in)
		if r.obs != nil {
			r.obs.Restart(r.name)
		}
		resume := in.fns[kindResume]
		if resume == nil {
			s.dropAll(reasonCrashed)
			return
		}
		ok := true
		for _, c := range r.connsOf(s) {
			start := r.now()
			in.stack[0] = c.h
			err := in.call(resume, in.stack[:1])
			s.observe(kindResume, start)
			if err != nil {
				r.log.Error("plugin: socklet_on_resume failed; closing the connection", "conn", c.h, "err", err)
				if r.obs != nil {
					r.obs.Trap(r.name, err)
				}
				s.drop(c, reasonCrashed)
				in.dispose()
				s.setInst(nil)
				ok = false
				break
			}
		}
		if ok {
			return
		}
	}
}

// dropAll closes every open connection of s with 1011.
func (s *slot) dropAll(reason string) {
	for _, c := range s.r.connsOf(s) {
		s.drop(c, reason)
	}
}

// drop closes c with 1011: it gets no more events; the host still calls
// Closed, which then only forgets it.
func (s *slot) drop(c *conn, reason string) {
	if c.state.CompareAndSwap(stateOpen, stateDropped) {
		_ = c.c.Close(closeInternalError, reason)
	}
}
