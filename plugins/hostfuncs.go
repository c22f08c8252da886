package plugins

import (
	"context"
	"errors"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/tetratelabs/wazero/api"

	"github.com/socklet/socklet/abi"
)

// hostFuncs implements every function of abi.Imports as a stack-based
// wazero host function. Each decodes its i32 arguments with uint32(stack[i])
// (the upper 32 bits of an i32 slot are garbage), checks in this order the
// handle, the pointers, the sizes and the content, and returns an
// abi.Status: a bad guest argument never panics or traps the host. A host
// function copies what it keeps out of guest memory before returning, and
// never calls back into the guest.
var hostFuncs = map[string]api.GoModuleFunc{
	abi.FuncSendText:      sendMessage(true),
	abi.FuncSendBinary:    sendMessage(false),
	abi.FuncPing:          hostPing,
	abi.FuncClose:         hostClose,
	abi.FuncSubscribe:     hostSubscribe,
	abi.FuncUnsubscribe:   hostUnsubscribe,
	abi.FuncPublishText:   publish(true),
	abi.FuncPublishBinary: publish(false),
	abi.FuncConnInfo:      hostConnInfo,
	abi.FuncConnHeader:    hostConnHeader,
	abi.FuncAttach:        hostAttach,
	abi.FuncAttachment:    hostAttachment,
	abi.FuncConfig:        hostConfig,
	abi.FuncLog:           hostLog,
	abi.FuncTimer:         hostTimer,
	abi.FuncTimerCancel:   hostTimerCancel,
	abi.FuncNowMs:         hostNowMs,
}

// current returns the instance a guest call runs on.
func current(ctx context.Context) *instance {
	if c, ok := ctx.(*callCtx); ok {
		return c.in
	}
	in, _ := ctx.Value(instKey{}).(*instance)
	return in
}

func setStatus(stack []uint64, s abi.Status) { stack[0] = uint64(uint32(int32(s))) }

func setLen(stack []uint64, n int) { stack[0] = uint64(uint32(int32(n))) }

// read returns the guest bytes at (ptr, n): a view valid until the guest
// runs again or grows its memory. An empty range is always valid.
func read(m api.Module, ptr, n uint32) ([]byte, bool) {
	if n == 0 {
		return nil, true
	}
	return m.Memory().Read(ptr, n)
}

// output writes v into the guest's (buf, cap) and returns its length, or
// only the length when v does not fit, or StatusBadPointer.
func output(m api.Module, stack []uint64, buf, cap uint32, v string) {
	if cap > 0 {
		if _, ok := m.Memory().Read(buf, cap); !ok {
			setStatus(stack, abi.StatusBadPointer)
			return
		}
	}
	if uint64(len(v)) <= uint64(cap) && len(v) > 0 {
		out, _ := m.Memory().Read(buf, uint32(len(v)))
		copy(out, v)
	}
	setLen(stack, len(v))
}

// statusOf maps an error of a Conn to a status.
func statusOf(err error) abi.Status {
	switch {
	case err == nil:
		return abi.StatusOK
	case errors.Is(err, ErrQueueFull):
		return abi.StatusQueueFull
	case errors.Is(err, ErrTooLarge):
		return abi.StatusTooLarge
	}
	return abi.StatusClosed // ErrClosed, or any other transport failure
}

// target returns the connection the guest names in stack[0], or nil after
// setting StatusBadHandle.
func target(ctx context.Context, stack []uint64) (*Route, *conn) {
	in := current(ctx)
	if in == nil {
		setStatus(stack, abi.StatusBadHandle)
		return nil, nil
	}
	r := in.slot.r
	if c := in.cur; c != nil && c.h == stack[0] {
		return r, c
	}
	c := r.conn(stack[0])
	if c == nil {
		setStatus(stack, abi.StatusBadHandle)
		return r, nil
	}
	return r, c
}

// writable reports whether the guest may still send on c.
func writable(c *conn) bool {
	st := c.state.Load()
	return st == stateOpen || st == stateOpening
}

func sendMessage(text bool) api.GoModuleFunc {
	return func(ctx context.Context, m api.Module, stack []uint64) {
		_, c := target(ctx, stack)
		if c == nil {
			return
		}
		p, ok := read(m, uint32(stack[1]), uint32(stack[2]))
		switch {
		case !ok:
			setStatus(stack, abi.StatusBadPointer)
		case text && !utf8.Valid(p):
			setStatus(stack, abi.StatusInvalidUTF8)
		case !writable(c):
			setStatus(stack, abi.StatusClosed)
		default:
			setStatus(stack, statusOf(c.c.Write(text, p)))
		}
	}
}

func hostPing(ctx context.Context, m api.Module, stack []uint64) {
	_, c := target(ctx, stack)
	if c == nil {
		return
	}
	p, ok := read(m, uint32(stack[1]), uint32(stack[2]))
	switch {
	case !ok:
		setStatus(stack, abi.StatusBadPointer)
	case len(p) > abi.MaxControlPayload:
		setStatus(stack, abi.StatusTooLarge)
	case !writable(c):
		setStatus(stack, abi.StatusClosed)
	default:
		setStatus(stack, statusOf(c.c.Ping(p)))
	}
}

func hostClose(ctx context.Context, m api.Module, stack []uint64) {
	_, c := target(ctx, stack)
	if c == nil {
		return
	}
	code := int32(uint32(stack[1]))
	p, ok := read(m, uint32(stack[2]), uint32(stack[3]))
	switch {
	case !ok:
		setStatus(stack, abi.StatusBadPointer)
	case !abi.SendableCloseCode(code):
		setStatus(stack, abi.StatusInvalidArgument)
	case len(p) > abi.MaxCloseReason:
		setStatus(stack, abi.StatusTooLarge)
	case !utf8.Valid(p):
		setStatus(stack, abi.StatusInvalidUTF8)
	case !writable(c):
		setStatus(stack, abi.StatusClosed)
	default:
		setStatus(stack, statusOf(c.c.Close(int(code), string(p))))
	}
}

// topicArg reads a topic argument; ok false after setting a status.
func topicArg(m api.Module, stack []uint64, ptr, n uint32, allowEmpty bool) ([]byte, bool) {
	t, ok := read(m, ptr, n)
	switch {
	case !ok:
		setStatus(stack, abi.StatusBadPointer)
	case len(t) > abi.MaxTopic:
		setStatus(stack, abi.StatusTooLarge)
	case len(t) == 0 && !allowEmpty:
		setStatus(stack, abi.StatusInvalidArgument)
	default:
		return t, true
	}
	return nil, false
}

func hostSubscribe(ctx context.Context, m api.Module, stack []uint64) {
	r, c := target(ctx, stack)
	if c == nil {
		return
	}
	t, ok := topicArg(m, stack, uint32(stack[1]), uint32(stack[2]), false)
	if !ok {
		return
	}
	setStatus(stack, r.subscribe(c, string(t)))
}

func hostUnsubscribe(ctx context.Context, m api.Module, stack []uint64) {
	r, c := target(ctx, stack)
	if c == nil {
		return
	}
	t, ok := topicArg(m, stack, uint32(stack[1]), uint32(stack[2]), false)
	if !ok {
		return
	}
	setStatus(stack, r.unsubscribe(c, t))
}

func publish(text bool) api.GoModuleFunc {
	return func(ctx context.Context, m api.Module, stack []uint64) {
		in := current(ctx)
		if in == nil {
			setStatus(stack, abi.StatusBadHandle)
			return
		}
		t, ok := topicArg(m, stack, uint32(stack[0]), uint32(stack[1]), true)
		if !ok {
			return
		}
		p, ok := read(m, uint32(stack[2]), uint32(stack[3]))
		switch {
		case !ok:
			setStatus(stack, abi.StatusBadPointer)
		case text && !utf8.Valid(p):
			setStatus(stack, abi.StatusInvalidUTF8)
		default:
			n, st := in.slot.r.publish(t, text, p, stack[4])
			if st < 0 {
				setStatus(stack, st)
			} else {
				setLen(stack, n)
			}
		}
	}
}

func hostConnInfo(ctx context.Context, m api.Module, stack []uint64) {
	_, c := target(ctx, stack)
	if c == nil {
		return
	}
	key := abi.Info(int32(uint32(stack[1])))
	if key < abi.InfoPath || key > abi.InfoOrigin {
		setStatus(stack, abi.StatusInvalidArgument)
		return
	}
	output(m, stack, uint32(stack[2]), uint32(stack[3]), c.c.Info(key))
}

func hostConnHeader(ctx context.Context, m api.Module, stack []uint64) {
	_, c := target(ctx, stack)
	if c == nil {
		return
	}
	name, ok := read(m, uint32(stack[1]), uint32(stack[2]))
	switch {
	case !ok:
		setStatus(stack, abi.StatusBadPointer)
		return
	case len(name) == 0:
		setStatus(stack, abi.StatusInvalidArgument)
		return
	}
	v, found := c.c.Header(string(name))
	if !found {
		setStatus(stack, abi.StatusNotFound)
		return
	}
	output(m, stack, uint32(stack[3]), uint32(stack[4]), v)
}

func hostAttach(ctx context.Context, m api.Module, stack []uint64) {
	r, c := target(ctx, stack)
	if c == nil {
		return
	}
	n := uint32(stack[2])
	if n > abi.MaxAttachment {
		setStatus(stack, abi.StatusTooLarge)
		return
	}
	p, ok := read(m, uint32(stack[1]), n)
	if !ok {
		setStatus(stack, abi.StatusBadPointer)
		return
	}
	var kept []byte
	if len(p) > 0 {
		kept = append([]byte(nil), p...)
	}
	r.mu.Lock()
	c.attachment = kept
	r.mu.Unlock()
	setStatus(stack, abi.StatusOK)
}

func hostAttachment(ctx context.Context, m api.Module, stack []uint64) {
	r, c := target(ctx, stack)
	if c == nil {
		return
	}
	r.mu.RLock()
	a := c.attachment
	r.mu.RUnlock()
	output(m, stack, uint32(stack[1]), uint32(stack[2]), string(a))
}

func hostConfig(ctx context.Context, m api.Module, stack []uint64) {
	in := current(ctx)
	if in == nil {
		setStatus(stack, abi.StatusBadHandle)
		return
	}
	key, ok := read(m, uint32(stack[0]), uint32(stack[1]))
	if !ok {
		setStatus(stack, abi.StatusBadPointer)
		return
	}
	v, found := in.slot.r.cfg.Config[string(key)]
	if !found {
		setStatus(stack, abi.StatusNotFound)
		return
	}
	output(m, stack, uint32(stack[2]), uint32(stack[3]), v)
}

var logLevels = [...]slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}

func hostLog(ctx context.Context, m api.Module, stack []uint64) {
	in := current(ctx)
	level := abi.LogLevel(int32(uint32(stack[0])))
	if in == nil || level < abi.LogDebug || level > abi.LogError {
		setStatus(stack, abi.StatusInvalidArgument)
		return
	}
	p, ok := read(m, uint32(stack[1]), uint32(stack[2]))
	if !ok {
		setStatus(stack, abi.StatusBadPointer)
		return
	}
	var attrs []slog.Attr
	if len(p) > abi.MaxLogLine {
		p = p[:abi.MaxLogLine]
		attrs = append(attrs, slog.Bool("truncated", true))
	}
	in.slot.r.log.LogAttrs(context.Background(), logLevels[level], string(p), attrs...)
	setStatus(stack, abi.StatusOK)
}

func hostTimer(ctx context.Context, _ api.Module, stack []uint64) {
	in := current(ctx)
	delay := int32(uint32(stack[0]))
	if in == nil || delay < 0 {
		setStatus(stack, abi.StatusInvalidArgument)
		return
	}
	setStatus(stack, in.slot.setTimer(int64(stack[1]), time.Duration(delay)*time.Millisecond))
}

func hostTimerCancel(ctx context.Context, _ api.Module, stack []uint64) {
	in := current(ctx)
	if in == nil {
		setStatus(stack, abi.StatusInvalidArgument)
		return
	}
	setStatus(stack, in.slot.cancelTimer(int64(stack[0])))
}

func hostNowMs(_ context.Context, _ api.Module, stack []uint64) {
	stack[0] = uint64(time.Now().UnixMilli())
}
