package host

import (
	"sync"
	"sync/atomic"
)

// connCounters are the message counters of one connection. They live in the
// connection, so counting a message touches only memory its handling
// touches anyway, never a cache line shared with other connections (one
// route-wide atomic, added to from every core, was a cache miss per
// message). A route's totals are what its ended connections left plus the
// sum over its live ones: see connTotals.
//
// Any goroutine may count (a publish writes to many connections). A count
// made after the connection was untracked is still added to the totals
// exactly once (see add).
type connCounters struct {
	messagesIn, bytesIn, messagesOut, bytesOut atomic.Int64

	// untracked is set by connTotals.untrack, before it moves the counts.
	untracked atomic.Bool
	owner     *connTotals

	prev, next *connCounters // in owner's list of live connections; guarded by owner.mu
}

// received counts a message of n payload bytes from the client.
func (c *connCounters) received(n int) {
	c.messagesIn.Add(1)
	c.bytesIn.Add(int64(n))
	c.late()
}

// sent counts a message of n payload bytes queued to the client.
func (c *connCounters) sent(n int) {
	c.messagesOut.Add(1)
	c.bytesOut.Add(int64(n))
	c.late()
}

// late moves a count made after untrack into the totals. Either untrack's
// Swap took the count (it came first) or this load sees untracked (set
// before the Swap): so each count reaches the totals once.
func (c *connCounters) late() {
	if c.untracked.Load() {
		c.owner.mu.Lock()
		c.owner.moveLocked(c)
		c.owner.mu.Unlock()
	}
}

// connTotals are a route's message counters: the counts of the connections
// that ended, and the list of the live ones'. Its methods are safe for
// concurrent use; read costs a walk over the live connections, under mu
// (a scrape, not the path per message).
type connTotals struct {
	mu    sync.Mutex
	ended [4]int64     // messagesIn, bytesIn, messagesOut, bytesOut
	live  connCounters // sentinel of a circular list; its counters stay 0
}

// track adds c, a new connection's counters, to t.
func (t *connTotals) track(c *connCounters) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.live.next == nil {
		t.live.next, t.live.prev = &t.live, &t.live
	}
	c.owner = t
	c.prev, c.next = t.live.prev, &t.live
	c.prev.next, c.next.prev = c, c
}

// untrack moves the counts of c, an ended connection's counters, into the
// totals; counts made later still reach them (see connCounters.late).
func (t *connTotals) untrack(c *connCounters) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.untracked.Swap(true) {
		return
	}
	c.prev.next, c.next.prev = c.next, c.prev
	c.prev, c.next = nil, nil
	t.moveLocked(c)
}

func (t *connTotals) moveLocked(c *connCounters) {
	t.ended[0] += c.messagesIn.Swap(0)
	t.ended[1] += c.bytesIn.Swap(0)
	t.ended[2] += c.messagesOut.Swap(0)
	t.ended[3] += c.bytesOut.Swap(0)
}

// read returns the route's totals: every count made before read was called
// is in them once.
func (t *connTotals) read() (messagesIn, bytesIn, messagesOut, bytesOut int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	messagesIn, bytesIn, messagesOut, bytesOut = t.ended[0], t.ended[1], t.ended[2], t.ended[3]
	if t.live.next == nil {
		return
	}
	for c := t.live.next; c != &t.live; c = c.next {
		messagesIn += c.messagesIn.Load()
		bytesIn += c.bytesIn.Load()
		messagesOut += c.messagesOut.Load()
		bytesOut += c.bytesOut.Load()
	}
	return
}
