//go:build linux

package protocol

import (
	"io"
	"os"
	"syscall"
)

// Why readInPlace exists: RawConn.Read clears the socket's readiness when
// it is called, then calls its function until the function reports done,
// waiting in the netpoller in between. Readiness that arrives while the
// function runs is kept. So a loop that reads, handles what it read and
// waits, all inside one RawConn.Read, can trust a short read: the socket
// had no more bytes, and any byte that arrives later makes the netpoller's
// wait return. A loop that called RawConn.Read once per message would have
// to read until EAGAIN, because between two calls an arrival's readiness is
// cleared. (What a short read cannot tell is an EOF already pending: see
// readInPlace.)

// readInPlace handles whole messages from inside one RawConn.Read of the
// socket (see ReadMessages). It returns nil when the caller must go on
// with ReadMessageTo's path: the next message is not whole in the buffer,
// the netpoller reported a deadline or an error, or the socket was closed
// meanwhile. A non-nil error is final (the same one read returns).
func (c *Conn) readInPlace(room RoomFunc, handle func(MessageType, []byte)) error {
	r := c.rd.socket()
	if r.serveFn == nil {
		r.serveFn = r.serve
	}
	r.conn, r.room, r.handle = c, room, handle
	r.drained, r.closing, r.err = false, false, nil
	// A short read does not say that no EOF or error follows the bytes it
	// returned: when the FIN (or a reset) came before the read, its
	// readiness may already have been consumed, and no later edge will
	// report it. Only a read deadline ends such a wait, so readOnce lets
	// serve skip the read after a short one only when the Conn has one
	// (rd.tick: ParkAfter, PingInterval or IdleTimeout), which then bounds
	// how late the end of the connection is seen.
	_ = c.raw.Read(r.serveFn) // an error (deadline, closed) is met again by the caller's read
	r.conn, r.room, r.handle = nil, nil, nil
	if r.closing {
		c.closeSocket()
	}
	c.startAwaitEOF()
	err := r.err
	r.err = nil
	if err != nil && c.readErr == nil {
		// The read failed (EOF, a reset): as read does at a wait.
		c.readErr = c.readFailed(err)
	}
	return c.readErr
}

// serve is the function readInPlace gives RawConn.Read: true leaves
// readInPlace, false waits for input and calls serve again.
func (r *socketReader) serve(fd uintptr) bool {
	c := r.conn
	if !c.readHold.CompareAndSwap(holdNone, holdReading) {
		return true // closed: closeTCP is waiting for this RawConn.Read to end
	}
	// Every read in here is readOnce: RawConn.Read's lock is held, so a
	// read that waited would wait forever. Only the Peek below reads, as
	// messageBuffered guarantees; should it be wrong, the read fails with
	// errWouldBlock and the connection with it.
	r.fd, r.direct = int(fd), true
	wait := r.serveOnce()
	r.direct = false
	if !c.readHold.CompareAndSwap(holdReading, holdNone) {
		// closeTCP ran meanwhile and left the socket's close to us: it
		// must happen outside RawConn.Read, which Close would wait for.
		r.closing = true
		return true
	}
	return !wait
}

// serveOnce handles the buffered messages and reads the socket until it
// must wait (true) or leave (false).
func (r *socketReader) serveOnce() (wait bool) {
	c := r.conn
	for {
		if c.br.Buffered() == 0 {
			if r.drained {
				r.drained = false
				return true
			}
			_, err := c.br.Peek(1) // one read, through the Conn's reader (see readNet)
			switch err {
			case nil:
			case errWouldBlock:
				return true
			default:
				r.err = err
				return false
			}
		}
		if !c.messageBuffered() {
			return false
		}
		typ, p, err := c.read(r.room)
		if err != nil {
			return false
		}
		c.handleCorked(r.handle, typ, p)
		if c.readHold.Load() != holdReading {
			return false
		}
	}
}

// readOnce is readNet inside serve: one non-blocking read of the socket,
// whose shortness serve remembers.
func (r *socketReader) readOnce(p []byte) (int, error) {
	n, e := r.recv(uintptr(r.fd), p)
	switch {
	case e == syscall.EAGAIN:
		return 0, errWouldBlock
	case e != 0:
		return 0, os.NewSyscallError("read", e)
	case n == 0:
		return 0, io.EOF
	}
	// A short read may be trusted only with a read deadline: see
	// readInPlace.
	r.drained = r.conn.rd.tick > 0 && n < len(p)
	return n, nil
}
