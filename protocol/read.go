package protocol

import (
	"errors"
	"fmt"
	"io"
)

// ReadMessage returns the next whole data message. The payload is owned by
// the Conn and valid until the next ReadMessage call; on the uncompressed
// path it is assembled without allocating (buffers come from a pool and go
// back to it at the next call, so an idle Conn holds no message buffer).
//
// Control frames are handled inside: a ping is answered with a pong of the
// same payload (even between the fragments of a message), a pong is passed
// to Options.OnPong, and a close frame is answered (its code echoed) and
// returned as a *CloseError with the peer's code (StatusNoStatusRcvd for an
// empty close). A server then closes TCP once the echo is written; a client
// waits for the server to close TCP, at most Options.CloseTimeout.
//
// A protocol violation sends the close code RFC 6455 prescribes (1002 for
// framing errors, 1007 for invalid UTF-8, 1009 for a message or frame over
// the limits, 1001 when IdleTimeout expires), closes TCP, and returns an
// error holding ErrFailed and a *CloseError with that code. When TCP ends
// without a close frame the error holds a *CloseError with
// StatusAbnormalClosure. Once ReadMessage has returned an error other than
// ErrIdle it returns the same error forever.
//
// With Options.Poller set, ReadMessage returns ErrIdle when it has waited
// Options.ParkAfter for a message without any input: the caller may then
// Park the Conn (and let its goroutine end) or call ReadMessage again.
//
// Only one goroutine may call ReadMessage at a time.
func (c *Conn) ReadMessage() (MessageType, []byte, error) {
	return c.read(nil)
}

// read is ReadMessage, and ReadMessageTo when room is not nil.
func (c *Conn) read(room RoomFunc) (MessageType, []byte, error) {
	if c.rbuf != nil {
		putMsgBuf(c.rbuf)
		c.rbuf = nil
	}
	if c.readErr != nil {
		return 0, nil, c.readErr
	}
	if c.opts.ReleaseReadBuffer && c.Buffered() == 0 {
		if err := c.waitIdle(); err != nil {
			if err == ErrIdle {
				return 0, nil, err
			}
			c.readErr = c.readFailed(err)
			return 0, nil, c.readErr
		}
	}
	typ, p, err := c.readMessage(room)
	if err != nil {
		c.startAwaitEOF()
		c.readErr = err
		if c.rbuf != nil {
			putMsgBuf(c.rbuf)
			c.rbuf = nil
		}
		if c.zbuf != nil {
			putMsgBuf(c.zbuf)
			c.zbuf = nil
		}
		return 0, nil, err
	}
	return typ, p, nil
}

func (c *Conn) readMessage(room RoomFunc) (MessageType, []byte, error) {
	var (
		typ        MessageType
		started    bool
		compressed bool
		utf        utf8State
		size       int64 // payload bytes of this message read so far
	)
	for {
		h, err := readFrameHeader(c.br)
		if err != nil {
			if errors.Is(err, errLengthMSB) {
				return 0, nil, c.fail(StatusProtocolError, "payload length with the top bit set")
			}
			return 0, nil, c.readFailed(err)
		}
		if h.rsv&(bitRsv2|bitRsv3) != 0 {
			return 0, nil, c.fail(StatusProtocolError, "reserved bit set")
		}
		if h.rsv&bitRsv1 != 0 && (!c.inflate || h.op.isControl() || h.op == opContinuation) {
			return 0, nil, c.fail(StatusProtocolError, "reserved bit set")
		}
		if h.masked != c.server {
			if c.server {
				return 0, nil, c.fail(StatusProtocolError, "unmasked client frame")
			}
			return 0, nil, c.fail(StatusProtocolError, "masked server frame")
		}
		switch h.op {
		case opClose, opPing, opPong:
			if !h.fin {
				return 0, nil, c.fail(StatusProtocolError, "fragmented control frame")
			}
			if h.length > maxControlPayload {
				return 0, nil, c.fail(StatusProtocolError, "control frame payload over 125 bytes")
			}
			if err := c.handleControl(h); err != nil {
				return 0, nil, err
			}
			continue
		case opText, opBinary:
			if started {
				return 0, nil, c.fail(StatusProtocolError, "new data message inside a fragmented message")
			}
			started = true
			typ = MessageType(h.op)
			compressed = h.rsv&bitRsv1 != 0
		case opContinuation:
			if !started {
				return 0, nil, c.fail(StatusProtocolError, "continuation frame without a message")
			}
		default:
			return 0, nil, c.fail(StatusProtocolError, "reserved opcode")
		}
		if h.length > c.opts.MaxFrameSize {
			return 0, nil, c.fail(StatusMessageTooBig, "frame too large")
		}
		size += h.length
		if size > c.opts.MaxMessageSize {
			return 0, nil, c.fail(StatusMessageTooBig, "message too large")
		}
		if room != nil && h.fin && !compressed && h.op != opContinuation && h.length >= directReadMin {
			if p, ok, err := c.readDirect(room, typ, &h); ok {
				return typ, p, err
			}
		}
		buf := &c.rbuf
		if compressed {
			buf = &c.zbuf
		}
		if *buf == nil {
			*buf = getMsgBuf()
		}
		validate := typ == MessageText && !compressed
		if err := c.readPayload(*buf, &h, &utf, validate); err != nil {
			return 0, nil, err
		}
		if h.fin {
			break
		}
	}
	if compressed {
		return c.inflateMessage(typ)
	}
	if typ == MessageText && !utf.complete() {
		return 0, nil, c.fail(StatusInvalidFramePayloadData, "text message is not UTF-8")
	}
	if c.rbuf == nil {
		return typ, []byte{}, nil
	}
	return typ, c.rbuf.b, nil
}

// payloadGrowStep bounds how far ahead of the received bytes the message
// buffer grows: a frame header announcing 16 MiB does not allocate 16 MiB
// before the bytes arrive (a peer trickling a large frame costs memory in
// proportion to what it actually sent).
const payloadGrowStep = 64 << 10

// readPayload appends the payload of h to buf, unmasking and (if validate)
// checking UTF-8 as the bytes arrive, so invalid text fails before the rest
// of the frame is received.
func (c *Conn) readPayload(buf *msgBuf, h *frameHeader, utf *utf8State, validate bool) error {
	pos := 0
	remaining := h.length
	for remaining > 0 {
		step := int64(cap(buf.b) - len(buf.b))
		if step < payloadGrowStep {
			step = payloadGrowStep
		}
		dst := buf.grow(int(min(remaining, step)))
		remaining -= int64(len(dst))
		var err error
		if pos, err = c.fill(dst, h, pos, utf, validate); err != nil {
			return err
		}
	}
	return nil
}

// fill reads len(dst) payload bytes of the frame h into dst, unmasking them
// (pos is the offset in the payload, for the mask; fill returns the new
// one) and, when validate, feeding them to utf. Errors are final: the
// connection failed (1007 for invalid UTF-8), or the read did.
func (c *Conn) fill(dst []byte, h *frameHeader, pos int, utf *utf8State, validate bool) (int, error) {
	for len(dst) > 0 {
		n, err := c.br.Read(dst)
		if n > 0 {
			if h.masked {
				pos = maskBytes(h.key, pos, dst[:n])
			}
			if validate && !utf.feed(dst[:n]) {
				return pos, c.fail(StatusInvalidFramePayloadData, "text message is not UTF-8")
			}
			dst = dst[n:]
		}
		if err != nil && len(dst) > 0 {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return pos, c.readFailed(err)
		}
	}
	return pos, nil
}

// inflateMessage decompresses the assembled compressed message into rbuf.
func (c *Conn) inflateMessage(typ MessageType) (MessageType, []byte, error) {
	if c.rbuf == nil {
		c.rbuf = getMsgBuf()
	}
	var src []byte
	if c.zbuf != nil {
		src = c.zbuf.b
	}
	out, err := c.decomp.decompress(c.rbuf.b[:0], src, c.opts.MaxMessageSize)
	if c.zbuf != nil {
		putMsgBuf(c.zbuf)
		c.zbuf = nil
	}
	if err != nil {
		if errors.Is(err, ErrMessageTooLarge) {
			return 0, nil, c.fail(StatusMessageTooBig, "message too large")
		}
		return 0, nil, c.fail(StatusInvalidFramePayloadData, "invalid compressed data")
	}
	c.rbuf.b = out
	if typ == MessageText && !validUTF8(out) {
		return 0, nil, c.fail(StatusInvalidFramePayloadData, "text message is not UTF-8")
	}
	return typ, out, nil
}

// handleControl reads and acts on one control frame (already checked to be
// final and at most 125 bytes). It returns a non-nil error when the
// connection is finished (close frame received, or a failure).
func (c *Conn) handleControl(h frameHeader) error {
	n := int(h.length)
	p, err := c.br.Peek(n)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return c.readFailed(err)
	}
	if h.masked {
		maskBytes(h.key, 0, p)
	}
	switch h.op {
	case opPing:
		err := c.queueControl(opPong, p)
		_, _ = c.br.Discard(n)
		if err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, ErrQueueFull) {
			return c.readFailed(err)
		}
		return nil
	case opPong:
		if c.opts.OnPong != nil {
			c.opts.OnPong(p)
		}
		_, _ = c.br.Discard(n)
		return nil
	}
	code, reason, cerr := parseClosePayload(p)
	_, _ = c.br.Discard(n)
	if cerr != nil {
		return c.fail(cerr.Code, cerr.Reason)
	}
	c.mu.Lock()
	if !c.closeSent && !c.closed {
		c.closeSent = true
		c.appendCloseLocked(code, "")
	}
	if c.server {
		// RFC 6455 7.1.1: the server closes TCP first, once its close
		// frame is out.
		c.closeAfterFlushLocked()
	}
	c.startCloseTimerLocked()
	c.mu.Unlock()
	if !c.server {
		// The client waits for the server to close TCP (bounded by the
		// close timer), reading in a goroutine started once this reader
		// has let go of the socket (startAwaitEOF).
		c.rd.awaitEOF = true
	}
	return &CloseError{Code: code, Reason: reason}
}

// startAwaitEOF starts awaitEOF when a close frame asked for it and the
// reader is not inside readInPlace's RawConn.Read, whose socketReader the
// reader still uses (readInPlace calls it again when it leaves).
func (c *Conn) startAwaitEOF() {
	if c.rd.awaitEOF && (c.rd.sock == nil || !c.rd.sock.direct) {
		c.rd.awaitEOF = false
		go c.awaitEOF()
	}
}

// awaitEOF reads and discards until the peer closes TCP (or the close timer
// closes it), then closes our side.
func (c *Conn) awaitEOF() {
	for {
		if _, err := c.br.Discard(c.br.Buffered()); err != nil {
			break
		}
		if _, err := c.br.Peek(1); err != nil {
			break
		}
	}
	c.closeTCP()
}

// fail fails the connection (RFC 6455 7.1.7): queue a close frame with code
// (unless one was sent), close TCP once it is written (bounded by
// CloseTimeout), and return the error ReadMessage reports.
func (c *Conn) fail(code StatusCode, reason string) error {
	c.mu.Lock()
	if !c.closeSent && !c.closed {
		c.closeSent = true
		c.appendCloseLocked(code, reason)
	}
	c.closeAfterFlushLocked()
	c.startCloseTimerLocked()
	c.mu.Unlock()
	return fmt.Errorf("%w: %w", ErrFailed, &CloseError{Code: code, Reason: reason})
}

// readFailed handles a read error: idle timeout fails with 1001; anything
// else (EOF, reset, closed by us) is an abnormal closure.
func (c *Conn) readFailed(err error) error {
	if errors.Is(err, ErrIdleTimeout) {
		return fmt.Errorf("%w: %w", ErrIdleTimeout, c.fail(StatusGoingAway, "idle timeout"))
	}
	c.closeTCP()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%w: %w", &CloseError{Code: StatusAbnormalClosure}, err)
}
