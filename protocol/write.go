package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// controlSlack is how far control frames (pong, ping, close) may take the
// queue past OutboundQueueBytes: a close frame must always fit, and a pong
// should not be lost to a queue full of data.
const controlSlack = 1 << 10

// Write queues p as one unfragmented message of type typ (MessageText or
// MessageBinary) and returns without waiting for the network. The caller
// may reuse p as soon as Write returns: p is copied into the queue, except
// that a large server-role message (8 KiB or more) written when nothing is
// queued is first offered to the socket with one non-blocking write, and
// only what the socket does not take is copied (Linux TCP and Unix conns).
// It is safe for concurrent use; messages from one goroutine are sent in
// call order, and frames queued together are written with one syscall.
//
// Write does not check that a text message is valid UTF-8 (the peer fails
// the connection with 1007 if it is not). Errors: ErrQueueFull when the
// frame would take the queue past Options.OutboundQueueBytes (nothing is
// queued; a message larger than the bound is accepted when the queue is
// empty), ErrClosed after Close or a fatal error.
func (c *Conn) Write(typ MessageType, p []byte) error {
	if typ != MessageText && typ != MessageBinary {
		return fmt.Errorf("protocol: Write: invalid message type %d", int(typ))
	}
	if c.comp != nil && len(p) >= c.compThresh {
		return c.writeCompressed(opcode(typ), p)
	}
	return c.queueData(opcode(typ), 0, p, false)
}

// writeCompressed deflates p and queues it with RSV1 set. Compression and
// queueing happen under compMu so the peer inflates messages in the order
// their deflate context advanced; space is checked before compressing so a
// refused message never advances the context.
func (c *Conn) writeCompressed(op opcode, p []byte) error {
	c.compMu.Lock()
	defer c.compMu.Unlock()
	// Deflate's worst-case expansion is a few bytes per 16 KiB block.
	bound := len(p) + len(p)/1024 + 64
	c.mu.Lock()
	err := c.checkSpaceLocked(frameHeaderSize(bound, !c.server)+bound, false)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	z := getMsgBuf()
	out, compressed, err := c.comp.compress(z.b[:0], p)
	if err != nil {
		putMsgBuf(z)
		return fmt.Errorf("protocol: compressing message: %w", err)
	}
	if compressed {
		z.b = out
		err = c.queueData(op, bitRsv1, out, true)
		c.compressedLocked()
	} else {
		err = c.queueData(op, 0, p, true)
	}
	putMsgBuf(z)
	return err
}

// CompressionIdleRelease is how long a Conn keeps its context-takeover
// compression state (a flate writer, about 1 MiB) after its last compressed
// message. Then the writer goes back to a shared pool and the next message
// starts a fresh context: always legal (the receiver keeps its window and a
// fresh context never refers to it); it costs that message some ratio and
// saves the memory on quiet connections.
const CompressionIdleRelease = 2 * time.Second

// compressedLocked (re)arms the idle release of the compression context
// after a compressed message. c.compMu is held.
func (c *Conn) compressedLocked() {
	if c.compIdle == nil {
		c.compIdle = time.AfterFunc(CompressionIdleRelease, c.releaseCompressor)
	} else {
		c.compIdle.Reset(CompressionIdleRelease)
	}
}

func (c *Conn) releaseCompressor() {
	c.compMu.Lock()
	c.comp.release()
	c.compMu.Unlock()
}

// Ping queues a ping with payload p (at most 125 bytes, copied).
func (c *Conn) Ping(p []byte) error {
	if len(p) > maxControlPayload {
		return errors.New("protocol: ping payload over 125 bytes")
	}
	return c.queueControl(opPing, p)
}

// Pong queues an unsolicited pong with payload p (at most 125 bytes); pings
// are answered automatically, so this is only for heartbeats (RFC 6455 5.5.3).
func (c *Conn) Pong(p []byte) error {
	if len(p) > maxControlPayload {
		return errors.New("protocol: pong payload over 125 bytes")
	}
	return c.queueControl(opPong, p)
}

// Close starts the closing handshake (RFC 6455 7.1.2): it queues a close
// frame with code and reason after every frame already queued, and returns.
// The reading goroutine completes the handshake when the peer's close frame
// arrives; TCP is closed at the latest Options.CloseTimeout later. Done
// tells when it is over. code StatusNoStatusRcvd sends an empty close
// frame. The reason must be valid UTF-8 of at most 123 bytes. Close returns
// ErrClosed if a close frame was already sent or TCP is closed.
func (c *Conn) Close(code StatusCode, reason string) error {
	if err := checkSendClose(code, reason); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.closeSent {
		return ErrClosed
	}
	c.closeSent = true
	c.appendCloseLocked(code, reason)
	c.startCloseTimerLocked()
	return nil
}

// Flush writes every queued frame from the calling goroutine and returns
// when the queue is empty (or a write failed). If a flusher goroutine is
// running it waits for it instead. It returns ErrClosed when TCP is closed;
// when a write failed (and closed TCP) the error wraps both ErrClosed and
// the network error.
func (c *Conn) Flush() error {
	c.mu.Lock()
	for c.flushing && !c.closed {
		c.flushDone.Wait()
	}
	if c.closed {
		err := c.writeErr
		c.mu.Unlock()
		if err != nil {
			return err
		}
		return ErrClosed
	}
	if c.pending == nil || len(c.pending.b) == 0 {
		c.mu.Unlock()
		return nil
	}
	c.flushing = true
	return c.flushLoopLocked()
}

// queueControl queues a control frame; it bypasses the queue bound by up
// to controlSlack. After a close frame was sent nothing more is queued.
func (c *Conn) queueControl(op opcode, p []byte) error {
	return c.queueFrame(op, 0, p, true)
}

// checkSpaceLocked reports whether n more bytes fit the queue. c.mu is held.
func (c *Conn) checkSpaceLocked(n int, control bool) error {
	if c.closed || c.closeSent {
		return ErrClosed
	}
	limit := c.opts.OutboundQueueBytes
	if control {
		limit += controlSlack
	}
	queued := c.inflight
	if c.pending != nil {
		queued += len(c.pending.b)
	}
	// A frame larger than the bound is accepted when nothing is queued, so
	// any single message can be sent; the bound then holds for the rest.
	if queued+n > limit && queued > 0 {
		return ErrQueueFull
	}
	return nil
}

// queueFrame appends one final frame to the queue and makes sure a flusher
// runs. force skips the data bound (control frames, and compressed messages
// whose space was reserved before compressing) but keeps the slack bound.
func (c *Conn) queueFrame(op opcode, rsv byte, p []byte, force bool) error {
	masked := !c.server
	n := frameHeaderSize(len(p), masked) + len(p)
	c.mu.Lock()
	if err := c.checkSpaceLocked(n, force); err != nil {
		c.mu.Unlock()
		return err
	}
	c.appendFrameLocked(op, rsv, p)
	if op.isControl() {
		c.forceKickLocked()
	} else {
		c.kickLocked()
	}
	c.mu.Unlock()
	return nil
}

// queueData is queueFrame for data frames, with one difference: a large
// frame (server role) on an empty queue with no flusher running is offered
// to the socket directly (writeDirectLocked), and only what the socket does
// not take at once is copied into the queue. p may therefore be handed to
// the network, so it escapes; control frames use queueFrame, whose p does
// not.
func (c *Conn) queueData(op opcode, rsv byte, p []byte, force bool) error {
	if !c.server || len(p) < directWriteMin || c.raw == nil {
		return c.queueFrame(op, rsv, p, force)
	}
	n := frameHeaderSize(len(p), false) + len(p)
	c.mu.Lock()
	if err := c.checkSpaceLocked(n, force); err != nil {
		c.mu.Unlock()
		return err
	}
	if c.canWriteDirectLocked() {
		h := appendFrameHeader(c.writerLocked().hdr[:0], true, rsv, op, len(p), false, [4]byte{})
		c.writeDirectLocked(h, p)
		return nil
	}
	c.appendFrameLocked(op, rsv, p)
	c.kickLocked()
	c.mu.Unlock()
	return nil
}

// directWriteMin is the smallest payload offered to the socket directly
// (Write, WritePrepared) rather than copied into the queue. Below it the
// copy costs less than a syscall, and queueing lets a corked batch of
// replies share one write.
const directWriteMin = 8 << 10

// maxFrameHeaderSize is the longest frame header: 2 bytes, a 64-bit length,
// a masking key.
const maxFrameHeaderSize = 14

// canWriteDirectLocked reports whether a frame may bypass the queue: the
// socket allows non-blocking writes, nothing is queued (order) and no
// flusher owns the network. c.mu is held.
func (c *Conn) canWriteDirectLocked() bool {
	return c.raw != nil && !c.flushing && !c.closed && (c.pending == nil || len(c.pending.b) == 0)
}

// writeDirectLocked writes the frame h+p (server role, so p is sent as is:
// the caller's buffer is never modified) without copying it: it takes the
// flusher role, makes one non-blocking writev attempt, and queues (copies)
// only the bytes the socket did not take, ahead of anything queued
// meanwhile. It never waits for the network, so Write keeps its contract;
// the caller may reuse p when it returns. h may be the header buffer of
// writerLocked. c.mu is held on entry and released on return;
// canWriteDirectLocked was true.
func (c *Conn) writeDirectLocked(h, p []byte) {
	c.flushing = true
	total := len(h) + len(p)
	c.inflight = total // counts against OutboundQueueBytes like a flush in progress
	d := c.writerLocked()
	c.mu.Unlock()
	n := d.try(c.raw, h, p)
	c.sockFull = n < total
	c.mu.Lock()
	if n < total && !c.closed {
		rest := c.takeBufLocked()
		if n < len(h) {
			rest.b = append(rest.b, h[n:]...)
			n = len(h)
		}
		rest.b = append(rest.b, p[n-len(h):]...)
		if c.pending != nil {
			rest.b = append(rest.b, c.pending.b...)
			putMsgBuf(c.pending)
		}
		c.pending = rest
	}
	closeNow := c.releaseFlushLocked()
	c.mu.Unlock()
	if closeNow {
		// Not inline: the caller may hold compMu, which closeTCP takes.
		go c.closeTCP()
	}
}

// releaseFlushLocked gives up the flusher role. Frames queued meanwhile
// (possible after a direct write) are handed to a flusher goroutine unless
// the Conn is corked and none of them is urgent. It reports whether TCP is
// to be closed now (closeAfterFlush with nothing left). c.mu is held.
func (c *Conn) releaseFlushLocked() (closeNow bool) {
	c.flushing = false
	if c.dw != nil && !c.awakeLocked() {
		putDirectWriter(c.dw)
		c.dw = nil
	}
	c.inflight = 0
	urgent := c.urgent
	c.urgent = false
	c.flushDone.Broadcast()
	if c.pending != nil && (c.closed || len(c.pending.b) == 0) {
		c.keepBufLocked(c.pending)
		c.pending = nil
	}
	if c.closed {
		return false
	}
	if c.pending != nil {
		if urgent || c.closeAfterFlush || !c.corked.Load() {
			c.forceKickLocked()
		}
		return false
	}
	return c.closeAfterFlush
}

// appendFrameLocked appends a final frame (masked with a fresh key in the
// client role) to the pending buffer. c.mu is held.
func (c *Conn) appendFrameLocked(op opcode, rsv byte, p []byte) {
	if c.pending == nil {
		c.pending = c.takeBufLocked()
		if cap(c.pending.b) == 0 {
			c.pending.b = make([]byte, 0, c.opts.WriteBufferSize)
		}
	}
	masked := !c.server
	var key [4]byte
	if masked {
		// math/rand/v2's global source is ChaCha8 seeded from the OS: an
		// unpredictable key as RFC 6455 5.3 requires, without a syscall.
		binary.LittleEndian.PutUint32(key[:], rand.Uint32())
	}
	b := appendFrameHeader(c.pending.b, true, rsv, op, len(p), masked, key)
	if masked {
		// Mask while copying: one pass, and p itself is left untouched.
		start := len(b)
		b = slices.Grow(b, len(p))[:start+len(p)]
		maskCopy(b[start:], p, key, 0)
	} else {
		b = append(b, p...)
	}
	c.pending.b = b
}

// takeBufLocked returns an empty buffer for the queue: the Conn's spare
// (see keepBufLocked), else one from the pool. c.mu is held.
func (c *Conn) takeBufLocked() *msgBuf {
	if m := c.spare; m != nil {
		c.spare = nil
		return m
	}
	return getMsgBuf()
}

// writerLocked returns the Conn's directWriter, taking one from the pool
// if it has none. The caller holds the flusher role, or c.mu with no one
// holding it. c.mu is held.
func (c *Conn) writerLocked() *directWriter {
	if c.dw == nil {
		c.dw = getDirectWriter()
	}
	return c.dw
}

// awakeLocked reports whether the Conn keeps its write-side buffers (a
// spare queue buffer, its directWriter) between writes, as it keeps its
// read buffer: it is parkable (Options.Poller, a socket), open, and not
// parked. A parked connection then holds no buffer (Park gives them back),
// and Conns that cannot park (their goroutine may wait for input for
// hours) take them from the pools for each flush. c.mu is held.
func (c *Conn) awakeLocked() bool {
	return c.opts.Poller != nil && c.raw != nil && !c.closed && c.park.state.Load() != parkParked
}

// keepBufLocked takes back a queue buffer that was written out: it becomes
// the spare when the Conn is awake (awakeLocked) and has none, so that
// replying to a message costs no pool round trip; otherwise it goes back
// to the pool. c.mu is held.
func (c *Conn) keepBufLocked(m *msgBuf) {
	if c.spare == nil && c.awakeLocked() && cap(m.b) <= maxPooledBuf {
		m.b = m.b[:0]
		c.spare = m
		return
	}
	putMsgBuf(m)
}

// dropKeptLocked gives back what an awake Conn keeps between messages (see
// keepBufLocked): the spare buffer, and the writer unless a flusher holds
// it (the flusher gives it back itself). Park and closeTCP call it. c.mu
// is held.
func (c *Conn) dropKeptLocked() {
	if c.spare != nil {
		putMsgBuf(c.spare)
		c.spare = nil
	}
	if !c.flushing && c.dw != nil {
		putDirectWriter(c.dw)
		c.dw = nil
	}
}

// appendRawLocked appends pre-framed bytes. c.mu is held.
func (c *Conn) appendRawLocked(frame []byte) {
	if c.pending == nil {
		c.pending = c.takeBufLocked()
	}
	c.pending.b = append(c.pending.b, frame...)
}

// appendCloseLocked queues a close frame regardless of the queue bound and
// starts the flusher. c.mu is held; the caller sets closeSent.
func (c *Conn) appendCloseLocked(code StatusCode, reason string) {
	var payload [maxControlPayload]byte
	p := appendClosePayload(payload[:0], code, reason)
	c.appendFrameLocked(opClose, 0, p)
	c.forceKickLocked()
}

// closeAfterFlushLocked arranges for TCP to be closed once the queue is
// written (at once if it is empty and no flusher runs). c.mu is held; the
// close itself runs on another goroutine so the lock is not held across it.
func (c *Conn) closeAfterFlushLocked() {
	if c.closed {
		return
	}
	c.closeAfterFlush = true
	if !c.flushing {
		if c.pending != nil && len(c.pending.b) > 0 {
			c.forceKickLocked()
		} else {
			go c.closeTCP()
		}
	}
}

// kickLocked starts a flusher goroutine unless one runs or the Conn is
// corked. c.mu is held.
func (c *Conn) kickLocked() {
	if !c.corked.Load() {
		c.forceKickLocked()
	}
}

// forceKickLocked starts a flusher goroutine unless one runs, even when
// corked (close frames and the closing sequence). When a direct write holds
// the flusher role, the frame is marked urgent so that the direct writer
// starts the goroutine when it is done. c.mu is held.
func (c *Conn) forceKickLocked() {
	if c.closed {
		return
	}
	if c.flushing {
		c.urgent = true
		return
	}
	c.flushing = true
	go c.flushFn()
}

func (c *Conn) flushBackground() {
	c.mu.Lock()
	_ = c.flushLoopLocked()
}

// Cork holds queued frames back: until Uncork (or Flush), data frames are
// only appended to the queue, with no flusher goroutine started. The reading
// goroutine can cork around the handling of the messages already buffered
// and uncork when Buffered is 0, so that every reply is written with one
// syscall from its own goroutine instead of waking a flusher. Control frames
// (pong, ping, close) are not held, and a large data message (8 KiB or
// more, server role) on an empty queue is offered to the socket at once
// without blocking (see Write). Cork and Uncork are safe for concurrent
// use, but a Conn should have one corking owner.
func (c *Conn) Cork() {
	c.corked.Store(true)
}

// Uncork ends Cork and writes the queued frames from the calling goroutine
// (as Flush does), returning Flush's error.
func (c *Conn) Uncork() error {
	// A writer that still saw corked set appended under c.mu before Flush
	// takes it below, so Flush writes its frame; a later one kicks.
	c.corked.Store(false)
	return c.Flush()
}

// flushLoopLocked writes the queue until it is empty. c.mu is held on
// entry and released on return; the caller has set c.flushing, which
// flushLoopLocked clears. Each round takes everything pending and writes it
// with one write call; a spare buffer is swapped in so writers keep
// appending meanwhile. Buffers go back to the pool when drained.
func (c *Conn) flushLoopLocked() error {
	var spare *msgBuf
	for {
		if c.closed || c.pending == nil || len(c.pending.b) == 0 {
			closeNow := c.releaseFlushLocked()
			if spare != nil {
				c.keepBufLocked(spare)
			}
			err := c.writeErr
			c.mu.Unlock()
			if closeNow {
				c.closeTCP()
			}
			return err
		}
		buf := c.pending
		c.pending = spare
		if c.pending != nil {
			c.pending.b = c.pending.b[:0]
		}
		c.inflight = len(buf.b)
		c.mu.Unlock()
		err := c.writeNet(buf.b)
		spare = buf
		if err != nil {
			c.mu.Lock()
			if c.writeErr == nil {
				c.writeErr = fmt.Errorf("%w: write: %w", ErrClosed, err)
			}
			c.mu.Unlock()
			c.closeTCP()
		}
		c.mu.Lock()
	}
}

// writeNet writes b to the network. On a socket it first tries a
// non-blocking write, which needs no deadline and nearly always takes
// everything; what is left (or everything, on other conns) is written under
// a write deadline of WriteTimeout. The deadline is refreshed only when
// less than half of it is left, so a busy connection does not reset a
// timer on every write.
func (c *Conn) writeNet(b []byte) error {
	if c.raw != nil && !c.sockFull {
		if c.dw == nil {
			c.dw = getDirectWriter() // the flusher role (ours) guards dw
		}
		n := c.dw.try(c.raw, b, nil)
		if n == len(b) {
			return nil
		}
		b = b[n:]
	}
	// After a direct write the socket did not fully take, its buffer was
	// full: this flush went straight to the blocking write (which waits for
	// room) rather than trying again; the next one tries.
	c.sockFull = false
	// time.Until reads only the monotonic clock (writeDeadline carries it).
	if time.Until(c.writeDeadline) < c.opts.WriteTimeout/2 {
		c.writeDeadline = time.Now().Add(c.opts.WriteTimeout)
		if err := c.nc.SetWriteDeadline(c.writeDeadline); err != nil {
			return err
		}
	}
	_, err := c.nc.Write(b)
	return err
}
