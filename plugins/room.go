package plugins

import (
	"errors"
	"fmt"
	"math"
)

// errLeaseHeld: AcquireRoom was given a Lease that still holds an instance.
var errLeaseHeld = errors.New("plugins: lease already holds an instance")

// Lease holds a connection's instance, and room for one message in its
// memory, between Route.AcquireRoom and Deliver or Release: the two phases
// of delivering a message that the host reads straight into guest memory
// instead of copying it there (Text and Binary copy).
//
// While a Lease holds, the instance runs nothing else: every other
// connection bound to it waits, and so do Swap and Close (a Lease holds the
// slot's mutex, as an event does: see Route.pool). The holder must
// therefore end it promptly and must not wait for the network meanwhile
// (the host fills the room only from bytes already received). The zero
// Lease holds nothing. A Lease is used by one goroutine at a time, the
// connection's reader; it must not be copied while it holds.
type Lease struct {
	c    *conn
	ptr  uint32 // the room's guest address
	n    uint32 // the message's length
	text bool   // socklet_on_text, not socklet_on_binary
}

// Held reports whether l holds an instance (AcquireRoom lent a room and
// neither Deliver nor Release has been called since).
func (l *Lease) Held() bool { return l.c != nil }

// AcquireRoom prepares the delivery of a text (text true) or binary message
// of n bytes to connection h: it waits for h's instance as Text would,
// takes it, and returns n bytes of its memory (the room socklet_alloc lent,
// a new one if that is too small) for the caller to fill with the message,
// l then holding the instance. The caller ends l with Deliver once the
// room holds the message, or with Release if it could not fill it; until
// then it must not call the Route's methods for h.
//
// It returns nil and holds nothing when the message should go the ordinary
// way, by Text or Binary (which then delivers it, drops it, or reports the
// error, exactly as without AcquireRoom): the route is closed, h is unknown
// or not open, its instance is down or does not handle the event, or n is 0
// or beyond 4 GiB. It returns an error, holding nothing, when getting the
// room failed (socklet_alloc trapped, timed out or lent no usable room):
// the event failed as Text would have failed it (the instance was rebuilt,
// or h closed with 1011); the caller drops the message and reports the
// error as it would Text's.
//
// The room is valid until Deliver or Release: no guest code runs in
// between, so the memory cannot grow or move.
func (r *Route) AcquireRoom(l *Lease, text bool, h Handle, n int) ([]byte, error) {
	if l.c != nil {
		return nil, errLeaseHeld
	}
	if n <= 0 || uint64(n) > math.MaxUint32 {
		return nil, nil
	}
	kind := kindBinary
	if text {
		kind = kindText
	}
	c := h.c
	s, err := r.lock(c)
	if err != nil {
		return nil, nil // Text reports it
	}
	in := s.inst
	if c.state.Load() != stateOpen || in == nil || in.fns[kind] == nil {
		s.mu.Unlock()
		return nil, nil
	}
	start := r.now()
	in.cur = c
	ptr, err := in.roomFor(n)
	in.cur = nil
	var p []byte
	if err == nil {
		var ok bool
		if p, ok = in.mem.Read(ptr, uint32(n)); !ok {
			in.room, in.roomCap = 0, 0
			err = fmt.Errorf("%w: room %d for %d bytes", ErrAlloc, ptr, n)
		}
	}
	if err != nil {
		s.observe(kind, start) // the event, as Text would have observed it
		err = s.failed(kind, c.h, err)
		s.mu.Unlock()
		return nil, err
	}
	*l = Lease{c: c, ptr: ptr, n: uint32(n), text: text}
	return p, nil
}

// Deliver calls the plugin's socklet_on_text or socklet_on_binary with the
// message in the room, then releases the instance. Its error is Text's: the
// instance failed while handling the message (ErrTrap, ErrTimeout: already
// recovered from). The Observer is told the duration of that call (a
// socklet_alloc made by AcquireRoom, rare since the room is reused, is not
// counted in it). Called on a Lease that holds nothing, it does nothing.
func (l *Lease) Deliver() error {
	c := l.c
	if c == nil {
		return nil
	}
	l.c = nil
	s := c.slot.Load() // c stays bound to it while its mutex is held (Route.pool)
	r := s.r
	in := s.inst
	kind, ptr, n := kindBinary, l.ptr, l.n
	if l.text {
		kind = kindText
	}
	var err error
	start := r.now()
	if uint64(ptr)+uint64(n) > uint64(in.mem.Size()) {
		// Cannot happen (no guest code ran since AcquireRoom checked), but
		// a wrong pointer must not reach the guest.
		in.room, in.roomCap = 0, 0
		err = fmt.Errorf("%w: room %d for %d bytes", ErrAlloc, ptr, n)
	} else {
		in.cur = c
		err = in.callEvent(kind, c.h, ptr, int(n), 0)
		in.cur = nil
	}
	s.observe(kind, start)
	if err != nil {
		err = s.failed(kind, c.h, err)
	}
	s.mu.Unlock()
	return err
}

// Release gives the instance back without calling the plugin: the room
// could not be filled (the connection failed while its message was read)
// and the message is dropped. Called on a Lease that holds nothing, it does
// nothing.
func (l *Lease) Release() {
	c := l.c
	if c == nil {
		return
	}
	l.c = nil
	c.slot.Load().mu.Unlock()
}
