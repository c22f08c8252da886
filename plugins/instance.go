package plugins

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/socklet/socklet/abi"
)

// eventKind is a guest export the host calls for an event.
type eventKind int

const (
	kindOpen eventKind = iota
	kindText
	kindBinary
	kindPong
	kindClose
	kindTimer
	kindResume
	numKinds
)

var kindNames = [numKinds]string{"open", "text", "binary", "pong", "close", "timer", "resume"}

var kindExports = [numKinds]string{
	abi.ExportOpen, abi.ExportText, abi.ExportBinary, abi.ExportPong,
	abi.ExportClose, abi.ExportTimer, abi.ExportResume,
}

func (k eventKind) String() string { return kindNames[k] }

// instKey is the context key under which a guest call's context carries its
// *instance, for the host functions.
type instKey struct{}

// instance is one wazero instance of a route's module. Only the goroutine
// holding its slot's mutex may call into it.
type instance struct {
	slot *slot
	mod  api.Module
	mem  api.Memory
	lm   *linearMemory
	wd   *watchdog

	// ctx is the context of every call (see callCtx).
	ctx *callCtx
	// stop is the module's stop flag (wasmrewrite.Instrument), which the
	// watchdog sets to stop a call that overran its deadline.
	stop api.MutableGlobal

	alloc    api.Function
	room     uint32                 // the buffer socklet_alloc last lent for payloads; 0 = none
	roomCap  uint32                 // its size: the size asked for
	fns      [numKinds]api.Function // nil when not exported
	stack    [4]uint64              // parameters and results of calls
	timeout  uint64                 // ticks of the watchdog
	deadline atomic.Uint64          // see watchdog

	stdout, stderr *lineWriter

	// cur is the connection of the event being delivered, if any: host
	// functions naming it skip the table lookup (it is in the table for
	// the whole event).
	cur *conn
}

// instantiate creates an instance of mod for slot s, with s's route memory
// limit, and runs _initialize when mod exports it.
func (s *slot) instantiate(ctx context.Context, mod *Module) (*instance, error) {
	r := s.r
	limit := r.memLimit
	memDef := mod.shape.memories[abi.MemoryExport]
	if max, ok := memDef.Max(); ok && uint64(max)*pageSize < limit {
		limit = uint64(max) * pageSize
	}
	if min := uint64(memDef.Min()) * pageSize; min > limit {
		return nil, fmt.Errorf("plugins: %s needs %d pages of memory at start, the route's limit is %d", mod.name, memDef.Min(), r.memLimit/pageSize)
	}
	lm, err := newLinearMemory(limit)
	if err != nil {
		return nil, err
	}
	in := &instance{slot: s, lm: lm, wd: r.rt.wd, timeout: r.timeoutTicks}
	in.stdout = newLineWriter(r.log, "stdout")
	in.stderr = newLineWriter(r.log, "stderr")
	cfg := wazero.NewModuleConfig().
		WithName("").
		WithArgs(r.name).
		WithStdout(in.stdout).
		WithStderr(in.stderr).
		WithSysWalltime().
		WithSysNanotime().
		WithRandSource(rand.Reader).
		WithStartFunctions()
	m, err := r.rt.wr.InstantiateModule(experimental.WithMemoryAllocator(ctx, lm.allocator()), mod.compiled, cfg)
	if err != nil {
		lm.release()
		return nil, fmt.Errorf("plugins: instantiating %s: %w", mod.name, err)
	}
	in.mod = m
	stop, ok := m.ExportedGlobal(interruptExport).(api.MutableGlobal)
	if !ok { // Compile instrumented the module: a bug if it is missing
		_ = m.Close(ctx)
		lm.release()
		return nil, fmt.Errorf("plugins: %s has no stop flag %q", mod.name, interruptExport)
	}
	in.stop = stop
	in.mem = m.ExportedMemory(abi.MemoryExport)
	in.alloc = m.ExportedFunction(abi.ExportAlloc)
	for k := range numKinds {
		in.fns[k] = m.ExportedFunction(kindExports[k])
	}
	in.ctx = newCallCtx(in)
	in.wd.add(in)
	if init := m.ExportedFunction(abi.InitializeExport); init != nil {
		if err := in.call(init, nil); err != nil {
			in.dispose()
			return nil, fmt.Errorf("plugins: %s: %s: %w", mod.name, abi.InitializeExport, err)
		}
	}
	return in, nil
}

// call runs fn with its parameters in stack (results replace them) under
// the instance's deadline. An error means the instance is unusable: it
// wraps ErrTimeout or ErrTrap.
func (in *instance) call(fn api.Function, stack []uint64) error {
	d := in.wd.clock.Load() + in.timeout
	in.deadline.Store(d)
	err := fn.CallWithStack(in.ctx, stack)
	if !in.deadline.CompareAndSwap(d, 0) {
		return fmt.Errorf("%w (%s)", ErrTimeout, fn.Definition().Name())
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrTrap, err)
	}
	return nil
}

// deliver calls the export of kind for connection h with payload p (copied
// into room from socklet_alloc; (0, 0) when empty) and, for close, code.
func (in *instance) deliver(kind eventKind, h uint64, p []byte, code int) error {
	var ptr uint32
	if len(p) > 0 {
		var err error
		if ptr, err = in.roomFor(len(p)); err != nil {
			return err
		}
		if !in.mem.Write(ptr, p) {
			in.room, in.roomCap = 0, 0
			return fmt.Errorf("%w: room %d for %d bytes", ErrAlloc, ptr, len(p))
		}
	}
	return in.callEvent(kind, h, ptr, len(p), code)
}

// roomFor returns the guest address of room for n > 0 bytes: the room the
// plugin lent last, or a new one from socklet_alloc when that one is too
// small (or there is none). A returned address is not 0 but may still lie
// outside memory: the caller's Write or Read checks. An error wraps ErrAlloc
// (socklet_alloc returned 0), or comes from the call (ErrTrap, ErrTimeout).
func (in *instance) roomFor(n int) (uint32, error) {
	if in.room == 0 || uint64(n) > uint64(in.roomCap) {
		// The room stays ours until the next ask.
		in.room, in.roomCap = 0, 0
		in.stack[0] = uint64(n)
		if err := in.call(in.alloc, in.stack[:1]); err != nil {
			return 0, err
		}
		in.room, in.roomCap = uint32(in.stack[0]), uint32(n)
	}
	if in.room == 0 {
		in.roomCap = 0
		return 0, fmt.Errorf("%w: room 0 for %d bytes", ErrAlloc, n)
	}
	return in.room, nil
}

// callEvent calls the export of kind for connection h with the payload at
// (ptr, n) in guest memory and, for close, code.
func (in *instance) callEvent(kind eventKind, h uint64, ptr uint32, n int, code int) error {
	st := in.stack[:]
	st[0] = h
	if kind == kindClose {
		st[1], st[2], st[3] = uint64(uint32(int32(code))), uint64(ptr), uint64(n)
		return in.call(in.fns[kind], st[:4])
	}
	st[1], st[2] = uint64(ptr), uint64(n)
	return in.call(in.fns[kind], st[:3])
}

// dispose closes the instance and frees its memory. The caller holds the
// slot's mutex (no call is running).
func (in *instance) dispose() {
	in.wd.remove(in)
	_ = in.mod.Close(context.Background())
	in.lm.release()
	in.stdout.flush()
	in.stderr.flush()
}
