package protocol

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Errors returned by Conn methods.
var (
	// ErrQueueFull: the frame would take the outbound queue past
	// Options.OutboundQueueBytes; it was not queued.
	ErrQueueFull = errors.New("protocol: outbound queue full")
	// ErrClosed: the connection is closing or closed; nothing was queued.
	ErrClosed = errors.New("protocol: connection closed")
	// ErrFailed is in the chain of the error ReadMessage returns when this
	// side failed the connection (protocol violation, limit, idle timeout);
	// the chain also holds the *CloseError with the code that was sent.
	ErrFailed = errors.New("protocol: connection failed")
	// ErrIdleTimeout is in the chain when Options.IdleTimeout expired.
	ErrIdleTimeout = errors.New("protocol: idle timeout")
)

// MessageType is the type of a data message: its opcode.
type MessageType int

// Data message types.
const (
	MessageText   MessageType = 1
	MessageBinary MessageType = 2
)

// String returns "text", "binary" or the number.
func (t MessageType) String() string {
	switch t {
	case MessageText:
		return "text"
	case MessageBinary:
		return "binary"
	}
	return "MessageType(" + strconv.Itoa(int(t)) + ")"
}

// Conn is one WebSocket connection, server or client side.
//
// ReadMessage (and Buffered) must be called from one goroutine at a time:
// the reading goroutine. Every other method is safe for concurrent use and
// never blocks on the network except Flush. Writes are queued in a bounded
// buffer and written by a short-lived flusher goroutine (started when data
// is queued, gone when the queue is empty) or inline by Flush; a large
// message on an empty queue may also be written by Write itself, with one
// non-blocking write (see Write).
//
// The closing handshake (RFC 6455 7.1) completes only while some goroutine
// keeps calling ReadMessage until it returns an error; otherwise
// Options.CloseTimeout ends it by closing TCP.
type Conn struct {
	flushFn     func() // c.flushBackground, bound once: a go statement on a method value allocates
	nc          net.Conn
	br          *bufio.Reader
	rd          connReader
	opts        Options
	server      bool
	inflate     bool // permessage-deflate negotiated
	subprotocol string
	extensions  string

	// Reading goroutine only.
	readErr error
	idleBuf *[IdleReadSize]byte // ReleaseReadBuffer: where an idle Conn reads
	rbuf    *msgBuf             // message being assembled / last message returned
	zbuf    *msgBuf             // compressed payload being assembled
	decomp  *decompressor

	// Write side, guarded by mu.
	mu              sync.Mutex
	flushDone       sync.Cond // L = &mu; broadcast when a flusher stops or the conn closes
	pending         *msgBuf   // queued bytes, nil when empty
	spare           *msgBuf   // an empty buffer for pending, kept while the reader is awake (keepBufLocked)
	inflight        int       // bytes taken by the flusher and being written
	flushing        bool      // a flusher (goroutine, Flush, or a direct write) owns the network writes
	urgent          bool      // a control frame was queued while a direct write held flushing
	closeSent       bool      // a close frame is queued or written
	closeAfterFlush bool      // close TCP once the queue is drained
	closed          bool      // TCP closed (closing it may be left to the reader: readHold)
	writeErr        error
	closeTimer      *time.Timer

	corked   atomic.Bool   // Cork: data frames wait for Uncork/Flush
	readHold atomic.Uint32 // holdNone, holdReading, holdClosed: see readInPlace

	// Flusher only (the one holding flushing).
	writeDeadline time.Time
	raw           syscall.RawConn // the socket, for non-blocking writes; nil when nc has none
	sockFull      bool            // the last direct write did not fit the socket buffer
	dw            *directWriter   // nil until a direct write; see writerLocked

	// Compression of outbound messages; compMu orders compression with
	// queueing so the peer inflates messages in the order they were deflated.
	compMu     sync.Mutex
	comp       *compressor
	compThresh int
	compIdle   *time.Timer // releases the compression context when quiet

	park parking // Park and the Poller

	done chan struct{}
}

// connConfig is what the handshake hands to newConn.
type connConfig struct {
	server      bool
	opts        Options
	subprotocol string
	extensions  string
	deflate     bool
	params      deflateParams
}

// newConn wraps nc. Bytes already buffered in br (read past the handshake)
// are the first bytes the Conn reads; br itself is reused as the Conn's read
// buffer when large enough (the Conn then owns it).
func newConn(nc net.Conn, br *bufio.Reader, cfg connConfig) *Conn {
	c := &Conn{
		nc:          nc,
		opts:        cfg.opts.withDefaults(),
		server:      cfg.server,
		subprotocol: cfg.subprotocol,
		extensions:  cfg.extensions,
		done:        make(chan struct{}),
	}
	c.flushDone.L = &c.mu
	c.flushFn = c.flushBackground
	c.raw = socketOf(nc)
	c.rd.c = c
	if br != nil && br.Buffered() > 0 {
		p, _ := br.Peek(br.Buffered())
		c.rd.prefix = append([]byte(nil), p...)
	}
	if br != nil && br.Size() >= c.opts.ReadBufferSize {
		br.Reset(&c.rd)
		c.br = br
	} else {
		ReleaseReader(br)
		c.takeReadBuffer()
	}
	if cfg.deflate {
		c.inflate = true
		c.decomp = newDecompressor(cfg.params, cfg.server)
		c.comp = newCompressor(cfg.params, cfg.server, c.opts.Compression)
		c.compThresh = c.opts.Compression.Threshold
	}
	c.rd.start()
	return c
}

// AcquireReader returns a bufio.Reader of size bytes reading r, from the
// pool that Conns with Options.ReleaseReadBuffer give their idle read
// buffers back to. It is meant for reading an opening handshake: Upgrade
// and Dial take the reader over (a Conn keeps it as its read buffer), and
// a caller that does not upgrade gives it back with ReleaseReader.
func AcquireReader(r io.Reader, size int) *bufio.Reader {
	if br, _ := bufReaderPool(size).Get().(*bufio.Reader); br != nil {
		br.Reset(r)
		return br
	}
	return bufio.NewReaderSize(r, size)
}

// ReleaseReader puts br back in the pool of AcquireReader; br must not be
// used afterwards. A nil br is ignored.
func ReleaseReader(br *bufio.Reader) {
	if br != nil {
		br.Reset(nil)
		bufReaderPool(br.Size()).Put(br)
	}
}

// bufReaderPools holds idle bufio.Readers by size (ReleaseReadBuffer).
var bufReaderPools sync.Map // int -> *sync.Pool

func bufReaderPool(size int) *sync.Pool {
	if p, ok := bufReaderPools.Load(size); ok {
		return p.(*sync.Pool)
	}
	p, _ := bufReaderPools.LoadOrStore(size, new(sync.Pool))
	return p.(*sync.Pool)
}

// waitIdle releases the read buffer, blocks until bytes arrive, and takes
// a read buffer again. Called by ReadMessage when nothing is buffered. A
// non-nil error is a read error, or ErrIdle (not final: the Conn may be
// parked or read again).
//
// A Conn the Poller woke for input takes its read buffer and reads at once;
// a parkable Conn that still has its buffer waits with it; otherwise the
// wait reads at most IdleReadSize bytes into idleBuf, which is allocated on
// the first such wait (a Conn that only ever waits parked never has one).
func (c *Conn) waitIdle() error {
	if c.br != nil && c.opts.Poller != nil && c.raw != nil {
		// A parkable Conn keeps its buffer while a goroutine waits (Park
		// releases it): a Conn that is talking pays no pool round trip
		// and no second copy per message.
		c.rd.atRest = true
		_, err := c.br.Peek(1)
		c.rd.atRest = false
		return err
	}
	c.releaseReadBuffer()
	if c.rd.resumed && !c.rd.expireNow {
		c.takeReadBuffer()
		return nil
	}
	if c.idleBuf == nil {
		c.idleBuf = new([IdleReadSize]byte)
	}
	c.rd.atRest = true
	n, err := c.rd.Read(c.idleBuf[:])
	c.rd.atRest = false
	if n == 0 {
		if err == nil {
			err = io.ErrNoProgress
		}
		return err
	}
	c.rd.prefix = c.idleBuf[:n]
	c.takeReadBuffer()
	return nil
}

// releaseReadBuffer gives the read buffer back to its pool (nothing may be
// buffered in it).
func (c *Conn) releaseReadBuffer() {
	ReleaseReader(c.br)
	c.br = nil
}

func (c *Conn) takeReadBuffer() { c.br = AcquireReader(&c.rd, c.opts.ReadBufferSize) }

// Subprotocol returns the negotiated subprotocol, "" when none.
func (c *Conn) Subprotocol() string { return c.subprotocol }

// Extensions returns the negotiated Sec-WebSocket-Extensions value, "" when none.
func (c *Conn) Extensions() string { return c.extensions }

// RemoteAddr returns the peer's network address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// LocalAddr returns the local network address.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// SetPongHandler replaces Options.OnPong: f is called from the reading
// goroutine for every pong, with a payload valid only during the call. Call
// it before the first ReadMessage or from the reading goroutine.
func (c *Conn) SetPongHandler(f func(payload []byte)) { c.opts.OnPong = f }

// Done is closed once TCP is closed and the Conn is finished.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Buffered returns the number of inbound bytes already read from the network
// and not yet consumed, so the caller can handle several messages before
// flushing replies. Reading goroutine only.
func (c *Conn) Buffered() int {
	if c.readErr != nil || c.br == nil {
		return 0
	}
	return c.br.Buffered() + len(c.rd.prefix)
}

// CloseNow closes TCP at once without a closing handshake. It returns
// ErrClosed if TCP was already closed.
func (c *Conn) CloseNow() error {
	if !c.closeTCP() {
		return ErrClosed
	}
	return nil
}

// closeTCP closes the network connection once; it reports whether this call
// closed it.
func (c *Conn) closeTCP() bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	c.closed = true
	if !c.flushing && c.pending != nil {
		putMsgBuf(c.pending)
		c.pending = nil
	}
	c.dropKeptLocked()
	if c.closeTimer != nil {
		c.closeTimer.Stop()
	}
	c.flushDone.Broadcast()
	c.unregisterLocked()
	c.mu.Unlock()
	if c.readHold.Swap(holdClosed) == holdReading {
		// The reader is inside the socket's RawConn.Read (ReadMessages),
		// perhaps this very goroutine: Close would wait for it to leave.
		// It closes the socket when it does.
		return true
	}
	c.closeSocket()
	return true
}

// closeSocket is the end of closeTCP: it closes the socket, wakes a parked
// reader, releases the compressor and closes Done.
func (c *Conn) closeSocket() {
	_ = c.nc.Close()
	c.unpark(false) // a parked reader learns of the close
	if c.comp != nil {
		c.compMu.Lock()
		if c.compIdle != nil {
			c.compIdle.Stop()
		}
		c.comp.release()
		c.compMu.Unlock()
	}
	close(c.done)
}

// startCloseTimerLocked arms the CloseTimeout that ends the closing
// handshake. c.mu is held.
func (c *Conn) startCloseTimerLocked() {
	if c.closeTimer == nil && !c.closed {
		c.closeTimer = time.AfterFunc(c.opts.CloseTimeout, func() { c.closeTCP() })
	}
}

// connReader is the reader under the Conn's bufio.Reader: it first returns
// the bytes buffered before the upgrade, then reads the network, and
// implements the idle timeout, keepalive pings and parking with a read
// deadline that is only touched when it expires (no per-read cost).
type connReader struct {
	c      *Conn
	prefix []byte
	tick   time.Duration // deadline period; 0: no deadline handling

	// Reading goroutine only (or Park's caller, which is that goroutine).
	active     bool          // bytes read since the last tick
	quietSince time.Time     // start of the current stretch without input, to a tick
	lastPing   time.Time     // when the last keepalive ping was queued
	atRest     bool          // the read is waitIdle's: at a message boundary, nothing buffered
	resumed    bool          // Park ran: re-arm the deadline before the next read
	expireNow  bool          // woken for keepalive: handle a tick before reading
	awaitEOF   bool          // a client got the close frame: start awaitEOF (startAwaitEOF)
	sock       *socketReader // nil until the first read of a socket, and while parked
}

func (r *connReader) start() {
	o := &r.c.opts
	for _, d := range []time.Duration{o.PingInterval, o.IdleTimeout, r.parkAfter()} {
		if d > 0 && (r.tick == 0 || d < r.tick) {
			r.tick = d
		}
	}
	r.quietSince = time.Now()
	r.lastPing = r.quietSince
	if r.tick > 0 {
		_ = r.c.nc.SetReadDeadline(r.quietSince.Add(r.tick))
	}
}

// parkAfter is how long a Conn waits for a message before ReadMessage
// returns ErrIdle; 0 when it never does.
func (r *connReader) parkAfter() time.Duration {
	if r.c.opts.Poller == nil {
		return 0
	}
	return r.c.opts.ParkAfter
}

func (r *connReader) Read(p []byte) (int, error) {
	if len(r.prefix) > 0 {
		n := copy(p, r.prefix)
		r.prefix = r.prefix[n:]
		if len(r.prefix) == 0 {
			r.prefix = nil
		}
		return n, nil
	}
	if r.resumed {
		r.resumed = false
		if r.tick > 0 && !r.expireNow {
			if err := r.c.nc.SetReadDeadline(time.Now().Add(r.tick)); err != nil {
				return 0, err
			}
		}
	}
	for {
		if r.expireNow {
			r.expireNow = false
		} else {
			n, err := r.readNet(p)
			if n > 0 {
				r.active = true
				if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
					err = nil
				}
				return n, err
			}
			if err == nil || r.tick == 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
				return n, err
			}
		}
		if err := r.expired(time.Now()); err != nil {
			return 0, err
		}
		if err := r.c.nc.SetReadDeadline(time.Now().Add(r.tick)); err != nil {
			return 0, err
		}
	}
}

// readNet reads from the network: from the socket itself when the Conn
// has one (see socketReader), else through net.Conn.
func (r *connReader) readNet(p []byte) (int, error) {
	if r.c.raw == nil || len(p) == 0 {
		return r.c.nc.Read(p)
	}
	s := r.socket()
	if s.direct {
		return s.readOnce(p)
	}
	return s.read(r.c.raw, p)
}

// socket returns the Conn's socketReader, taking one from the pool if
// it has none.
func (r *connReader) socket() *socketReader {
	if r.sock == nil {
		r.sock = socketReaders.Get().(*socketReader)
	}
	return r.sock
}

// releaseSocket gives the socketReader back to its pool (Park).
func (r *connReader) releaseSocket() {
	if r.sock != nil {
		r.sock.forget()
		socketReaders.Put(r.sock)
		r.sock = nil
	}
}

// expired does the work of a tick: idle timeout, keepalive ping, and the
// ErrIdle that lets the caller park the Conn.
func (r *connReader) expired(now time.Time) error {
	if r.active {
		r.active = false
		r.quietSince = now
	}
	quiet := now.Sub(r.quietSince)
	o := &r.c.opts
	if o.IdleTimeout > 0 && quiet >= o.IdleTimeout {
		return ErrIdleTimeout
	}
	if o.PingInterval > 0 && quiet >= o.PingInterval && now.Sub(r.lastPing) >= o.PingInterval {
		r.lastPing = now
		_ = r.c.queueControl(opPing, nil)
	}
	if d := r.parkAfter(); d > 0 && r.atRest && quiet >= d {
		return ErrIdle
	}
	return nil
}

// nextKeepalive returns how long a parked Conn may sleep before its next
// ping or its idle timeout is due; 0 when neither is configured.
func (r *connReader) nextKeepalive(now time.Time) time.Duration {
	o := &r.c.opts
	var next time.Time
	if o.IdleTimeout > 0 {
		next = r.quietSince.Add(o.IdleTimeout)
	}
	if o.PingInterval > 0 {
		p := r.quietSince.Add(o.PingInterval)
		if l := r.lastPing.Add(o.PingInterval); l.After(p) {
			p = l
		}
		if next.IsZero() || p.Before(next) {
			next = p
		}
	}
	if next.IsZero() {
		return 0
	}
	return max(next.Sub(now), time.Millisecond)
}
