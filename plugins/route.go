package plugins

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/socklet/socklet/abi"
)

// Defaults of RouteConfig.
const (
	DefaultInstances    = 1
	DefaultMemoryLimit  = 64 << 20
	DefaultEventTimeout = time.Second
)

// RouteConfig configures a [Route]. Zero values take the defaults.
type RouteConfig struct {
	Name         string            // route label for logs and metrics, e.g. "/chat"
	Instances    int               // pool size, DefaultInstances when 0
	MemoryLimit  uint64            // bytes of linear memory per instance, rounded down to 64 KiB pages; DefaultMemoryLimit when 0
	EventTimeout time.Duration     // deadline of every guest call; DefaultEventTimeout when 0
	Config       map[string]string // the route's [route.config] values, read by the config host function
	Framer       Framer            // builds publish frames; required
	Logger       *slog.Logger      // the plugin's log; slog.Default() when nil
	Observer     Observer          // may be nil
}

// nextHandle makes connection handles unique in the process (never 0, never
// reused), so a handle of one route is unknown to every other.
var nextHandle atomic.Uint64

// Connection states.
const (
	stateOpening int32 = iota // socklet_on_open is running
	stateOpen                 // accepted
	stateClosing              // Route.Closed is delivering socklet_on_close
	stateDropped              // closed by the runtime (its instance crashed): no more events
)

// Handle is the host's reference to a connection of a route, returned by
// [Route.Open]: the route's calls for that connection go straight to its
// state, with no table lookup. The zero Handle refers to no connection. A
// Handle is a small value, copied freely; it is only valid with the route
// that returned it.
type Handle struct{ c *conn }

// ID returns the connection's handle as its plugin sees it (never 0), or 0
// for the zero Handle.
func (h Handle) ID() uint64 {
	if h.c == nil {
		return 0
	}
	return h.c.h
}

// conn is a connection of a route.
type conn struct {
	h     uint64
	c     Conn
	slot  atomic.Pointer[slot] // never nil once opened; changes as Route.pool says
	state atomic.Int32

	// Guarded by Route.mu.
	attachment []byte
	// topics lists the topics c is subscribed to, at most
	// abi.MaxSubscriptions; the strings are the Route's own keys (one copy
	// per topic, not one per subscriber). A slice: most connections have
	// one or two topics, and a map would cost ~300 bytes each.
	topics []string
}

// slot is one place of a route's pool: an instance (rebuilt after a crash),
// and the timers set by it. Its mutex serializes every call into the
// instance, timer bookkeeping included.
type slot struct {
	r      *Route
	index  int     // its place in the pool, 0 to RouteConfig.Instances-1
	mod    *Module // the module its instances are built from
	mu     sync.Mutex
	gone   bool             // left the pool (Swap, Close, a rolled back Swap); guarded by mu, never unset
	inst   *instance        // nil while down; guarded by mu, set with setInst
	up     atomic.Bool      // inst != nil, readable without mu
	timers map[int64]*timer // guarded by mu
	nconns atomic.Int64     // connections bound here
}

// Route is the pool of instances serving one route, with its connections,
// topics and timers. Its methods are safe for concurrent use.
//
// The connection methods (Open, Text, Binary, Pong, Closed) are called by
// the host from the connection's reading goroutine, one at a time per
// connection. Each blocks until the connection's instance is free and the
// guest returned: calls into one instance are serialized, and the readers
// waiting for it are its bounded queue (a reader blocked here reads no more
// from its socket, which is TCP backpressure). Host functions never call
// back into the guest: a guest's close only asks the host to close.
type Route struct {
	rt           *Runtime
	name         string
	cfg          RouteConfig
	log          *slog.Logger
	obs          Observer
	memLimit     uint64
	timeoutTicks uint64
	crashes      crashLog

	// pool serializes Swap and Close and guards slots, mod and closed for
	// Open. No route-wide lock is taken per event; Swap and Close still
	// wait for the calls in flight and stop new ones, by this invariant:
	//
	//  1. A connection's slot (conn.slot) and a timer's slot (timer.slot)
	//     are changed only by a goroutine holding the mutexes of both the
	//     slot left and the slot joined.
	//  2. A slot leaves the pool (slot.gone is set, never unset) only while
	//     its mutex is held; slots, mod and closed change only while pool
	//     and the mutex of every slot of the pools before and after are
	//     held.
	//
	// Every call for a connection c (Route.lock) loads c.slot, locks that
	// slot's mutex, and checks that c.slot is still that slot, else
	// unlocks and starts again. Once the check passes, by 1 c stays bound
	// to the slot until the call unlocks it, and by 2 the slot is in the
	// pool unless gone. Swap and Close lock every slot of the pool, so they
	// wait for the calls in flight; a call that waited for them finds its
	// connection bound to a new slot (Swap: it goes there, and is delivered
	// once, after the new instance's socklet_on_resume) or a gone slot
	// (Close: ErrRouteClosed). Timers do the same with timer.slot. Only
	// Swap and Close, serialized by pool, ever hold two slot mutexes, and
	// no one takes pool or a slot mutex while holding mu: no deadlock.
	pool   sync.Mutex
	mod    *Module
	slots  []*slot
	closed atomic.Bool // written under pool and every slot's mutex

	mu     sync.RWMutex // guards conns, topics and the conns' attachments and topics
	conns  map[uint64]*conn
	topics map[string]map[uint64]*conn
	// topicNames maps each topic in topics to the one copy of its name
	// that subscribers' conn.topics share.
	topicNames map[string]string
}

// NewRoute instantiates the pool of mod (calling _initialize when exported)
// and returns the route. An instance that fails to start fails NewRoute.
// The route does not take a reference on mod: the caller releases it after
// closing the route.
func NewRoute(ctx context.Context, rt *Runtime, mod *Module, cfg RouteConfig) (*Route, error) {
	if cfg.Instances <= 0 {
		cfg.Instances = DefaultInstances
	}
	if cfg.MemoryLimit == 0 {
		cfg.MemoryLimit = DefaultMemoryLimit
	}
	if cfg.EventTimeout <= 0 {
		cfg.EventTimeout = DefaultEventTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Framer == nil {
		return nil, errors.New("plugins: RouteConfig.Framer is required")
	}
	r := &Route{
		rt:           rt,
		name:         cfg.Name,
		cfg:          cfg,
		log:          cfg.Logger,
		obs:          cfg.Observer,
		memLimit:     cfg.MemoryLimit / pageSize * pageSize,
		timeoutTicks: rt.wd.ticks(cfg.EventTimeout),
		mod:          mod,
		conns:        map[uint64]*conn{},
		topics:       map[string]map[uint64]*conn{},
		topicNames:   map[string]string{},
	}
	slots, err := r.newPool(ctx, mod, cfg.Instances)
	if err != nil {
		return nil, err
	}
	r.slots = slots
	return r, nil
}

// newPool instantiates n slots of mod; on failure nothing is left behind.
func (r *Route) newPool(ctx context.Context, mod *Module, n int) ([]*slot, error) {
	slots := make([]*slot, n)
	for i := range slots {
		s := &slot{r: r, index: i, mod: mod, timers: map[int64]*timer{}}
		s.mu.Lock()
		in, err := s.instantiate(ctx, mod)
		if err == nil {
			s.setInst(in)
		}
		s.mu.Unlock()
		if err != nil {
			for _, done := range slots[:i] {
				done.shut()
			}
			return nil, fmt.Errorf("plugins: route %s: %w", r.name, err)
		}
		slots[i] = s
	}
	return slots, nil
}

// setInst sets the slot's instance; the caller holds s.mu.
func (s *slot) setInst(in *instance) {
	s.inst = in
	s.up.Store(in != nil)
}

// shut disposes the slot's instance and stops its timers.
func (s *slot) shut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shutLocked()
}

// shutLocked is shut for a caller holding s.mu.
func (s *slot) shutLocked() {
	for id, tm := range s.timers {
		tm.t.Stop()
		delete(s.timers, id)
	}
	if s.inst != nil {
		s.inst.dispose()
		s.setInst(nil)
	}
}

// Connections returns the number of connections the route holds (opening,
// open or closing).
func (r *Route) Connections() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.conns)
}

// Close closes every instance and stops every timer. The host closes the
// connections first; events after Close fail with ErrRouteClosed.
func (r *Route) Close(ctx context.Context) error {
	r.pool.Lock()
	defer r.pool.Unlock()
	if r.closed.Load() {
		return nil
	}
	for _, s := range r.slots {
		s.mu.Lock() // waits for its call in flight
	}
	r.closed.Store(true)
	for _, s := range r.slots {
		s.gone = true
		s.shutLocked()
		s.mu.Unlock()
	}
	r.mu.Lock()
	r.conns = map[uint64]*conn{}
	r.topics = map[string]map[uint64]*conn{}
	r.topicNames = map[string]string{}
	r.mu.Unlock()
	return nil
}

// pick returns the slot with the fewest connections, preferring one that
// runs an instance or may start one (the route is not backed off). The
// caller holds pool.
func (r *Route) pick() *slot {
	var best *slot
	var bestUp bool
	canStart := !r.crashes.backedOff(time.Now())
	for _, s := range r.slots {
		up := s.up.Load() || canStart
		if best == nil || (up && !bestUp) || (up == bestUp && s.nconns.Load() < best.nconns.Load()) {
			best, bestUp = s, up
		}
	}
	return best
}

// Open allocates a handle for c, binds it to an instance (the one with the
// fewest connections) and calls socklet_on_open when exported. status 0
// accepts; 400-599 rejects with that HTTP status, and the host must not call
// Closed for a rejected handle. A guest result outside those is logged and
// rejects with 500. An error (the instance trapped or timed out, the route
// is backed off: ErrUnavailable) also rejects; the handle is forgotten.
// Writes the guest made during socklet_on_open are queued on c.
func (r *Route) Open(ctx context.Context, c Conn) (h Handle, status int, err error) {
	s, err := r.lockPick()
	if err != nil {
		return Handle{}, 0, err
	}
	defer s.mu.Unlock()
	if s.inst == nil {
		if err := s.start(ctx); err != nil {
			return Handle{}, 0, err
		}
	}
	cn := &conn{h: nextHandle.Add(1), c: c}
	cn.slot.Store(s)
	r.mu.Lock()
	r.conns[cn.h] = cn
	r.mu.Unlock()
	s.nconns.Add(1)
	in := s.inst
	fn := in.fns[kindOpen]
	if fn == nil {
		cn.state.Store(stateOpen)
		return Handle{cn}, abi.OpenAccept, nil
	}
	start := r.now()
	in.stack[0] = cn.h
	err = in.call(fn, in.stack[:1])
	result := int32(uint32(in.stack[0]))
	s.observe(kindOpen, start)
	if err != nil {
		r.forget(cn)
		return Handle{}, 0, s.failed(kindOpen, cn.h, err)
	}
	if result == abi.OpenAccept {
		cn.state.Store(stateOpen)
		return Handle{cn}, abi.OpenAccept, nil
	}
	r.forget(cn)
	if result >= abi.OpenRejectMin && result <= abi.OpenRejectMax {
		return Handle{}, int(result), nil
	}
	r.log.Error("plugin: socklet_on_open returned an invalid status; rejecting with 500", "status", result)
	return Handle{}, 500, nil
}

// lockPick picks a slot for a new connection (see pick) and returns it
// with its mutex held, or ErrRouteClosed.
func (r *Route) lockPick() (*slot, error) {
	for {
		r.pool.Lock()
		if r.closed.Load() {
			r.pool.Unlock()
			return nil, ErrRouteClosed
		}
		s := r.pick()
		r.pool.Unlock()
		s.mu.Lock()
		if !s.gone {
			return s, nil
		}
		s.mu.Unlock() // a Swap replaced the pool meanwhile: pick again
	}
}

// Text delivers a whole text message to h's instance. p is read only during
// the call. An error means the event was not delivered, or the instance
// failed while handling it (ErrTrap, ErrTimeout: already recovered from).
func (r *Route) Text(ctx context.Context, h Handle, p []byte) error {
	return r.event(kindText, h.c, p)
}

// Binary delivers a whole binary message, as Text.
func (r *Route) Binary(ctx context.Context, h Handle, p []byte) error {
	return r.event(kindBinary, h.c, p)
}

// Pong delivers a pong's payload, as Text.
func (r *Route) Pong(ctx context.Context, h Handle, p []byte) error {
	return r.event(kindPong, h.c, p)
}

// Closed delivers socklet_on_close once for an accepted connection (code
// 1006 when no close frame was received) and forgets h: its subscriptions,
// attachment and handle. A second Closed for h fails with ErrUnknownHandle.
// A connection the runtime already closed after a crash gets no
// socklet_on_close (the instance that saw it open is gone).
func (r *Route) Closed(ctx context.Context, h Handle, code int, reason string) error {
	c := h.c
	s, err := r.lock(c)
	if err != nil {
		return err
	}
	prev := c.state.Swap(stateClosing)
	if prev == stateClosing {
		s.mu.Unlock()
		return ErrUnknownHandle
	}
	if in := s.inst; prev == stateOpen && in != nil && in.fns[kindClose] != nil {
		start := r.now()
		if err = in.deliver(kindClose, c.h, []byte(reason), code); err != nil {
			err = s.failed(kindClose, c.h, err)
		}
		s.observe(kindClose, start)
	}
	s.mu.Unlock()
	r.forget(c)
	return err
}

// event delivers a message or pong of c (nil for the zero Handle). It
// touches no route-wide lock or table: only c and its slot.
func (r *Route) event(kind eventKind, c *conn, p []byte) error {
	s, err := r.lock(c)
	if err != nil {
		return err
	}
	err = s.deliver(kind, c, p)
	s.mu.Unlock()
	return err
}

// lock locks the mutex of c's slot and returns the slot, not gone; c stays
// bound to it until the caller unlocks it (see Route.pool). It fails, with
// nothing locked, with ErrUnknownHandle when c is nil, of another route, or
// forgotten before a Swap, and with ErrRouteClosed once the route closed.
func (r *Route) lock(c *conn) (*slot, error) {
	if c == nil {
		return nil, ErrUnknownHandle
	}
	for {
		s := c.slot.Load()
		if s.r != r {
			return nil, ErrUnknownHandle
		}
		s.mu.Lock()
		if c.slot.Load() != s {
			s.mu.Unlock() // a Swap moved c meanwhile: follow it
			continue
		}
		if !s.gone {
			return s, nil
		}
		s.mu.Unlock()
		if r.closed.Load() {
			return nil, ErrRouteClosed
		}
		return nil, ErrUnknownHandle // Swap rebinds only the connections it knows
	}
}

// deliver delivers an event of c to s's instance; the caller holds s.mu
// (Route.lock).
func (s *slot) deliver(kind eventKind, c *conn, p []byte) error {
	switch c.state.Load() {
	case stateOpen:
	case stateDropped:
		return nil // closed after a crash; the client's last messages are dropped
	default:
		return ErrUnknownHandle
	}
	in := s.inst
	if in == nil {
		return ErrUnavailable
	}
	if in.fns[kind] == nil {
		return nil
	}
	r := s.r
	start := r.now()
	in.cur = c
	err := in.deliver(kind, c.h, p, 0)
	in.cur = nil
	s.observe(kind, start)
	if err != nil {
		return s.failed(kind, c.h, err)
	}
	return nil
}

// clockZero is the origin of Route.now: a reading of the monotonic clock,
// so that timing a call costs one clock read at each end (time.Now reads
// the wall clock too).
var clockZero = time.Now()

// now returns the monotonic time for timing a call, 0 when nothing
// observes the route.
func (r *Route) now() time.Duration {
	if r.obs == nil {
		return 0
	}
	return time.Since(clockZero)
}

// observe tells the observer that a call of kind into s's instance, begun
// at start (Route.now), returned. The caller holds s.mu.
func (s *slot) observe(kind eventKind, start time.Duration) {
	if r := s.r; r.obs != nil {
		r.obs.Event(r.name, s.index, kindNames[kind], time.Since(clockZero)-start)
	}
}

// conn returns the live connection h of this route, or nil.
func (r *Route) conn(h uint64) *conn {
	r.mu.RLock()
	c := r.conns[h]
	r.mu.RUnlock()
	return c
}

// forget removes c from the table and its topics.
func (r *Route) forget(c *conn) {
	r.mu.Lock()
	if r.conns[c.h] == c {
		delete(r.conns, c.h)
		for _, t := range c.topics {
			r.dropSubscriberLocked(c, t)
		}
		c.topics = nil
		c.slot.Load().nconns.Add(-1)
	}
	r.mu.Unlock()
}

// connsOf returns the open connections bound to s, oldest first.
func (r *Route) connsOf(s *slot) []*conn {
	r.mu.RLock()
	var out []*conn
	for _, c := range r.conns {
		if c.slot.Load() == s && c.state.Load() == stateOpen {
			out = append(out, c)
		}
	}
	r.mu.RUnlock()
	slices.SortFunc(out, func(a, b *conn) int { return cmp.Compare(a.h, b.h) })
	return out
}
