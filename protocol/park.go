package protocol

import (
	"errors"
	"math"
	"sync/atomic"
	"time"
)

// Errors of parking.
var (
	// ErrIdle is returned by ReadMessage, when Options.Poller is set, after
	// Options.ParkAfter without input. It is not final: Park the Conn, or
	// call ReadMessage again.
	ErrIdle = errors.New("protocol: waiting for input")
	// ErrNotPollable: the Conn cannot be parked (no Options.Poller, a
	// connection that is not a socket such as TLS, or a platform without a
	// Poller); keep reading with a goroutine.
	ErrNotPollable = errors.New("protocol: connection cannot be parked")
	// errInputBuffered: Park was called with input already read; the caller
	// reads it first.
	errInputBuffered = errors.New("protocol: input buffered")
)

// Park states.
const (
	parkReading uint32 = iota // a goroutine owns reading
	parkParked                // the Poller owns the Conn until it wakes it
)

// parking is a Conn's registration with its Poller.
type parking struct {
	state atomic.Uint32
	wake  func()      // set by Park; run in a new goroutine when woken
	timer *time.Timer // keepalive wake-up while parked; nil until needed
	id    uint64      // key in the Poller; 0 until registered
}

// Park lets the Conn wait for input without a goroutine: it returns at
// once and, when input arrives, the connection closes, or a keepalive ping
// or the idle timeout is due, runs wake in a new goroutine, once. wake
// should go on calling ReadMessage (which then reads the input, sends the
// ping, or reports the close) and may Park again when ReadMessage returns
// ErrIdle. Writes, pings and closes work while the Conn is parked.
//
// Park must be called by the reading goroutine, between messages: after
// the handshake, or when ReadMessage returned ErrIdle. It returns nil when
// the Conn is parked; otherwise (input already buffered, the Conn closed,
// ErrNotPollable) nothing changed and the caller keeps reading.
func (c *Conn) Park(wake func()) error {
	p := c.opts.Poller
	if p == nil {
		return ErrNotPollable
	}
	if c.readErr != nil {
		return c.readErr
	}
	if c.Buffered() > 0 {
		return errInputBuffered
	}
	if c.raw == nil {
		return ErrNotPollable // not a socket we can reach (TLS, net.Pipe)
	}
	sleep := c.rd.nextKeepalive(time.Now())
	if sleep > 0 && c.park.timer == nil {
		// Made stopped, before the Conn is first parked: a waker reads
		// the field and Stops the timer.
		c.park.timer = time.AfterFunc(time.Duration(math.MaxInt64), func() { c.unpark(true) })
		c.park.timer.Stop()
	}
	c.park.wake = wake
	c.rd.resumed = true
	c.releaseReadBuffer()
	c.rd.releaseSocket()

	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	// Counted before it can be woken, so the count never dips below zero.
	p.parked.Add(1)
	c.park.state.Store(parkParked)
	// Under mu after marking parked, so that the write side keeps no
	// other (awakeLocked); a flusher at work gives its writer back itself.
	c.dropKeptLocked()
	// Arm the Poller while holding mu, so that closeTCP (which takes mu
	// first) finds the registration and removes it before closing the
	// socket.
	err := p.arm(c)
	c.mu.Unlock()
	if err != nil {
		if c.park.state.CompareAndSwap(parkParked, parkReading) {
			p.parked.Add(-1)
			return err
		}
		// Poller.Close woke the Conn between marking and arming: wake
		// runs, so the caller must not read on.
		return nil
	}
	if sleep > 0 {
		// The Conn may be awake again already; a late keepalive wake-up
		// then finds it reading (and does nothing) or parked anew (and
		// costs one early tick).
		c.park.timer.Reset(sleep)
	}
	return nil
}

// unpark wakes a parked Conn: the first caller of a parking wins and starts
// the reading goroutine; later ones (the Poller, the timer, closeTCP racing)
// do nothing. keepalive reports a wake-up by the timer: the woken reader
// handles a tick before reading.
func (c *Conn) unpark(keepalive bool) {
	if !c.park.state.CompareAndSwap(parkParked, parkReading) {
		return
	}
	c.opts.Poller.parked.Add(-1)
	if keepalive {
		c.rd.expireNow = true
	} else if c.park.timer != nil {
		c.park.timer.Stop()
	}
	go c.park.wake()
}

// unregisterLocked removes the Conn from its Poller before its socket is
// closed (a closed descriptor number may be reused at once). c.mu is held.
func (c *Conn) unregisterLocked() {
	if c.park.id != 0 {
		c.opts.Poller.disarm(c)
	}
}
