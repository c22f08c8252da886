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

// conn is a connection of a route.
type conn struct {
	h     uint64
	c     Conn
	slot  *slot // guarded by Route.gate: written under its write lock only
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
	mu     sync.Mutex
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

	// gate is held for reading by every dispatch, and for writing by Swap
	// and Close, which thereby wait for calls in flight and stop new ones.
	gate   sync.RWMutex
	mod    *Module
	slots  []*slot
	closed bool

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
		s := &slot{r: r, timers: map[int64]*timer{}}
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
	r.gate.Lock()
	defer r.gate.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	for _, s := range r.slots {
		s.shut()
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
// caller holds gate for reading.
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
func (r *Route) Open(ctx context.Context, c Conn) (h uint64, status int, err error) {
	r.gate.RLock()
	defer r.gate.RUnlock()
	if r.closed {
		return 0, 0, ErrRouteClosed
	}
	s := r.pick()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inst == nil {
		if err := s.start(ctx); err != nil {
			return 0, 0, err
		}
	}
	cn := &conn{h: nextHandle.Add(1), c: c, slot: s}
	r.mu.Lock()
	r.conns[cn.h] = cn
	r.mu.Unlock()
	s.nconns.Add(1)
	in := s.inst
	fn := in.fns[kindOpen]
	if fn == nil {
		cn.state.Store(stateOpen)
		return cn.h, abi.OpenAccept, nil
	}
	start := r.now()
	in.stack[0] = cn.h
	err = in.call(fn, in.stack[:1])
	result := int32(uint32(in.stack[0]))
	r.observe(kindOpen, start)
	if err != nil {
		r.forget(cn)
		return 0, 0, s.failed(kindOpen, cn.h, err)
	}
	if result == abi.OpenAccept {
		cn.state.Store(stateOpen)
		return cn.h, abi.OpenAccept, nil
	}
	r.forget(cn)
	if result >= abi.OpenRejectMin && result <= abi.OpenRejectMax {
		return 0, int(result), nil
	}
	r.log.Error("plugin: socklet_on_open returned an invalid status; rejecting with 500", "status", result)
	return 0, 500, nil
}

// Text delivers a whole text message to h's instance. p is read only during
// the call. An error means the event was not delivered, or the instance
// failed while handling it (ErrTrap, ErrTimeout: already recovered from).
func (r *Route) Text(ctx context.Context, h uint64, p []byte) error {
	return r.event(kindText, h, p)
}

// Binary delivers a whole binary message, as Text.
func (r *Route) Binary(ctx context.Context, h uint64, p []byte) error {
	return r.event(kindBinary, h, p)
}

// Pong delivers a pong's payload, as Text.
func (r *Route) Pong(ctx context.Context, h uint64, p []byte) error {
	return r.event(kindPong, h, p)
}

// Closed delivers socklet_on_close once for an accepted connection (code
// 1006 when no close frame was received) and forgets h: its subscriptions,
// attachment and handle. A second Closed for h fails with ErrUnknownHandle.
// A connection the runtime already closed after a crash gets no
// socklet_on_close (the instance that saw it open is gone).
func (r *Route) Closed(ctx context.Context, h uint64, code int, reason string) error {
	r.gate.RLock()
	defer r.gate.RUnlock()
	if r.closed {
		return ErrRouteClosed
	}
	c := r.conn(h)
	if c == nil {
		return ErrUnknownHandle
	}
	s := c.slot
	s.mu.Lock()
	prev := c.state.Swap(stateClosing)
	if prev == stateClosing {
		s.mu.Unlock()
		return ErrUnknownHandle
	}
	var err error
	if in := s.inst; prev == stateOpen && in != nil && in.fns[kindClose] != nil {
		start := r.now()
		if err = in.deliver(kindClose, h, []byte(reason), code); err != nil {
			err = s.failed(kindClose, h, err)
		}
		r.observe(kindClose, start)
	}
	s.mu.Unlock()
	r.forget(c)
	return err
}

// event delivers a message or pong. (Its locks are released without defer:
// with this many returns Go would not open-code the defers, and this is the
// hot path.)
func (r *Route) event(kind eventKind, h uint64, p []byte) error {
	r.gate.RLock()
	if r.closed {
		r.gate.RUnlock()
		return ErrRouteClosed
	}
	c := r.conn(h)
	if c == nil {
		r.gate.RUnlock()
		return ErrUnknownHandle
	}
	s := c.slot
	s.mu.Lock()
	err := s.deliver(kind, c, p)
	s.mu.Unlock()
	r.gate.RUnlock()
	return err
}

// deliver delivers an event of c to s's instance; the caller holds s.mu and
// gate for reading.
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
	r.observe(kind, start)
	if err != nil {
		return s.failed(kind, c.h, err)
	}
	return nil
}

func (r *Route) now() time.Time {
	if r.obs == nil {
		return time.Time{}
	}
	return time.Now()
}

func (r *Route) observe(kind eventKind, start time.Time) {
	if r.obs != nil {
		r.obs.Event(r.name, kindNames[kind], time.Since(start))
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
		c.slot.nconns.Add(-1)
	}
	r.mu.Unlock()
}

// connsOf returns the open connections bound to s, oldest first.
func (r *Route) connsOf(s *slot) []*conn {
	r.mu.RLock()
	var out []*conn
	for _, c := range r.conns {
		if c.slot == s && c.state.Load() == stateOpen {
			out = append(out, c)
		}
	}
	r.mu.RUnlock()
	slices.SortFunc(out, func(a, b *conn) int { return cmp.Compare(a.h, b.h) })
	return out
}
