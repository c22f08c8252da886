package plugins

import (
	"context"
	"time"
)

// callCtx is the context of every call into one instance: it carries the
// instance for the host functions (one type switch, no chain to walk; wazero
// also looks a key up on every call). It is never cancelled: a call is
// stopped by the instance's stop flag (see watchdog), not by its context.
// It is made once per instance: no allocation per call.
type callCtx struct {
	in *instance
}

var _ context.Context = (*callCtx)(nil)

func newCallCtx(in *instance) *callCtx { return &callCtx{in: in} }

func (c *callCtx) Deadline() (time.Time, bool) { return time.Time{}, false }

func (c *callCtx) Done() <-chan struct{} { return nil }

func (c *callCtx) Err() error { return nil }

func (c *callCtx) Value(key any) any {
	if _, ok := key.(instKey); ok {
		return c.in
	}
	return nil
}
