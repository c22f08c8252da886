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
	subprotocol string
	extensions  string

	// Reading goroutine only.
	readErr error
	idleBuf *[IdleReadSize]byte // ReleaseReadBuffer: where an idle Conn reads
	rbuf    *msgBuf             // message being assembled / last message returned
	zbuf    *msgBuf             // compressed payload being assembled
	decomp  *decompressor
	inflate bool // permessage-deflate negotiated

	// Write side, guarded by mu.
	mu              sync.Mutex
	flushDone       sync.Cond // L = &mu; broadcast when a flusher stops or the conn closes
	pending         *msgBuf   // queued bytes, nil when empty
	inflight        int       // bytes taken by the flusher and being written
	flushing        bool      // a flusher (goroutine, Flush, or a direct write) owns the network writes
	urgent          bool      // a control frame was queued while a direct write held flushing
	closeSent       bool      // a close frame is queued or written
	closeAfterFlush bool      // close TCP once the queue is drained
	closed          bool      // TCP closed
	writeErr        error
	closeTimer      *time.Timer

	corked atomic.Bool // Cork: data frames wait for Uncork/Flush

	// Flusher only (the one holding flushing).
	writeDeadline time.Time
	raw           syscall.RawConn // the socket, for non-blocking writes; nil when nc has none
	sockFull      bool            // the last direct write did not fit the socket buffer

	// Compression of outbound messages; compMu orders compression with
	// queueing so the peer inflates messages in the order they were deflated.
	compMu     sync.Mutex
	comp       *compressor
	compThresh int
	compIdle   *time.Timer // releases the compression context when quiet

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
		c.br = bufio.NewReaderSize(&c.rd, c.opts.ReadBufferSize)
	}
	if cfg.deflate {
		c.inflate = true
		c.decomp = newDecompressor(cfg.params, cfg.server)
		c.comp = newCompressor(cfg.params, cfg.server, c.opts.Compression)
		c.compThresh = c.opts.Compression.Threshold
	}
	if c.opts.ReleaseReadBuffer {
		c.idleBuf = new([IdleReadSize]byte)
	}
	c.rd.start()
	return c
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

// waitIdle releases the read buffer, blocks until bytes arrive (reading at
// most IdleReadSize of them into idleBuf), and takes a read buffer again.
// Called by ReadMessage when nothing is buffered. A non-nil error is a read
// error and the Conn keeps no read buffer.
func (c *Conn) waitIdle() error {
	size := c.br.Size()
	c.br.Reset(nil)
	pool := bufReaderPool(size)
	pool.Put(c.br)
	c.br = nil
	n, err := c.rd.Read(c.idleBuf[:])
	if n == 0 {
		if err == nil {
			err = io.ErrNoProgress
		}
		return err
	}
	c.rd.prefix = c.idleBuf[:n]
	if br, _ := pool.Get().(*bufio.Reader); br != nil {
		br.Reset(&c.rd)
		c.br = br
	} else {
		c.br = bufio.NewReaderSize(&c.rd, size)
	}
	return nil
}

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
	if c.closeTimer != nil {
		c.closeTimer.Stop()
	}
	c.flushDone.Broadcast()
	c.mu.Unlock()
	_ = c.nc.Close()
	if c.comp != nil {
		c.compMu.Lock()
		if c.compIdle != nil {
			c.compIdle.Stop()
		}
		c.comp.release()
		c.compMu.Unlock()
	}
	close(c.done)
	return true
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
// implements the idle timeout and keepalive pings with a read deadline that
// is only touched when it expires (no per-read cost).
type connReader struct {
	c      *Conn
	prefix []byte
	tick   time.Duration // 0: no deadline handling
	quiet  time.Duration // time without any byte read, in ticks
	active bool          // bytes read since the last tick
}

func (r *connReader) start() {
	o := &r.c.opts
	switch {
	case o.PingInterval > 0 && o.IdleTimeout > 0:
		r.tick = min(o.PingInterval, o.IdleTimeout)
	case o.PingInterval > 0:
		r.tick = o.PingInterval
	default:
		r.tick = o.IdleTimeout
	}
	if r.tick > 0 {
		_ = r.c.nc.SetReadDeadline(time.Now().Add(r.tick))
	}
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
	for {
		n, err := r.c.nc.Read(p)
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
		if r.active {
			r.active = false
			r.quiet = 0
		} else {
			r.quiet += r.tick
		}
		o := &r.c.opts
		if o.IdleTimeout > 0 && r.quiet >= o.IdleTimeout {
			return 0, ErrIdleTimeout
		}
		if o.PingInterval > 0 && r.quiet >= o.PingInterval {
			_ = r.c.queueControl(opPing, nil)
		}
		if err := r.c.nc.SetReadDeadline(time.Now().Add(r.tick)); err != nil {
			return 0, err
		}
	}
}
