package protocol

import "errors"

// ReadMessages reads messages and calls handle with each, until reading
// fails; it returns the error ReadMessageTo would have returned (ErrIdle
// included, after which the caller may Park and call ReadMessages again).
// handle gets what ReadMessageTo returns, with the same lifetime: p is valid
// until handle returns. Apart from being driven by the Conn, the two are
// the same: same messages, errors and close codes, and handle may use
// every method of the Conn.
//
// The Conn is corked while handle runs and stays corked while more input
// is buffered: the replies to everything one read brought in are written
// together, by the reading goroutine, in one write (no flusher goroutine is
// woken for them). A failed write is reported by the next read.
// ReadMessages returns with the Conn uncorked.
//
// What ReadMessages adds is that it can wait for the next message without
// asking the socket first. On a socket it handles the messages that are
// whole in the read buffer from inside one syscall.RawConn.Read, and when
// the last read was short (the socket was empty at that moment) it waits
// for the netpoller's next edge directly instead of making the read that
// would only say EAGAIN: a read system call saved per wait, which is a
// third of the system calls of a request-response exchange. The read is
// skipped only on a Conn with a read deadline period (PingInterval,
// IdleTimeout, or ParkAfter with a Poller): an EOF or a reset that came
// with the last bytes read shows no later readiness, and is seen at the
// next deadline, at most that period late. The other cost is
// that, while handle runs, closing TCP (CloseNow, a close timer, a failed
// write, the end of the closing handshake) is finished by the reading
// goroutine once handle returns, instead of by the caller: Done and the
// socket's close come that much later.
//
// Only one goroutine may read the Conn at a time.
func (c *Conn) ReadMessages(room RoomFunc, handle func(MessageType, []byte)) error {
	err := c.readMessages(room, handle)
	if c.corked.Load() {
		_ = c.Uncork() // input was left when the read failed
	}
	return err
}

func (c *Conn) readMessages(room RoomFunc, handle func(MessageType, []byte)) error {
	for {
		if c.inPlaceReady() {
			if err := c.readInPlace(room, handle); err != nil {
				return err
			}
			// Stopped where the read must wait in the middle of a message,
			// at a deadline or at a close: ReadMessageTo's path goes on.
		}
		typ, p, err := c.read(room)
		if err != nil {
			return err
		}
		c.handleCorked(handle, typ, p)
	}
}

// handleCorked calls handle with a message, corked, and writes the
// replies queued meanwhile once no more input is buffered.
func (c *Conn) handleCorked(handle func(MessageType, []byte), typ MessageType, p []byte) {
	c.Cork()
	handle(typ, p)
	if c.Buffered() == 0 {
		_ = c.Uncork() // a write error is the read's to report
	}
}

// inPlaceReady reports whether readInPlace may run: a socket, the read
// buffer held (a Conn that releases it between messages waits through
// waitIdle), nothing pending in the reader.
func (c *Conn) inPlaceReady() bool {
	return c.raw != nil && c.br != nil && c.readErr == nil && len(c.rd.prefix) == 0 &&
		!c.rd.expireNow && (!c.opts.ReleaseReadBuffer || c.opts.Poller != nil)
}

// Values of Conn.readHold, which orders closeTCP with readInPlace.
const (
	holdNone    uint32 = iota
	holdReading        // readInPlace's function runs: closing the socket is left to it
	holdClosed         // closeTCP ran (last value)
)

// errWouldBlock is the socket's EAGAIN, as readInPlace's read reports it.
var errWouldBlock = errors.New("protocol: read would block")

// messageBuffered reports whether the read buffer holds the next data
// message whole (with any control frames before or among its fragments),
// or a frame header that readMessage will reject before it reads on: in
// both cases readMessage returns without reading the network. Lengths are
// only compared, never trusted: a frame that claims more than is buffered
// makes the message incomplete.
func (c *Conn) messageBuffered() bool {
	b, _ := c.br.Peek(c.br.Buffered())
	for len(b) > 0 {
		if len(b) < 2 {
			return false
		}
		n := headerLen(b[1])
		if len(b) < n {
			return false
		}
		length := payloadLen(b)
		op := opcode(b[0] & 0x0f)
		fin := b[0]&bitFin != 0
		if op.isControl() && (!fin || length > maxControlPayload) {
			return true // fails on the header
		}
		if length > uint64(len(b)-n) {
			return false
		}
		if fin && !op.isControl() {
			return true
		}
		b = b[n+int(length):]
	}
	return false
}
