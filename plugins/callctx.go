package plugins

import (
	"context"
	"sync"
	"time"
)

// callCtx is the context of every call into one instance: it carries the
// instance for the host functions (one type switch, no chain to walk; wazero
// also looks a key up on every call) and is cancelled once, by the watchdog
// when a call overruns or by dispose. It is made once per instance: no
// allocation per call.
type callCtx struct {
	in   *instance
	once sync.Once
	done chan struct{}
}

var _ context.Context = (*callCtx)(nil)

func newCallCtx(in *instance) *callCtx { return &callCtx{in: in, done: make(chan struct{})} }

func (c *callCtx) Deadline() (time.Time, bool) { return time.Time{}, false }

func (c *callCtx) Done() <-chan struct{} { return c.done }

func (c *callCtx) Err() error {
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}

func (c *callCtx) Value(key any) any {
	if _, ok := key.(instKey); ok {
		return c.in
	}
	return nil
}

// cancel makes wazero close the module: a call running now stops at its
// next loop iteration, and later calls fail at once.
func (c *callCtx) cancel() { c.once.Do(func() { close(c.done) }) }
