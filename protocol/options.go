package protocol

import (
	"compress/flate"
	"time"
)

// Defaults applied by Options when a field is zero. They are documented in
// docs/protocol.md; change both together.
const (
	// DefaultMaxMessageSize bounds a whole inbound message (after inflate).
	DefaultMaxMessageSize = 16 << 20
	// DefaultReadBufferSize is the size of the per-connection bufio.Reader.
	DefaultReadBufferSize = 4 << 10
	// DefaultWriteBufferSize is the initial capacity of the pending write buffer.
	DefaultWriteBufferSize = 4 << 10
	// DefaultOutboundQueueBytes bounds the bytes queued for writing per connection.
	DefaultOutboundQueueBytes = 4 << 20
	// DefaultCloseTimeout bounds the closing handshake.
	DefaultCloseTimeout = 5 * time.Second
	// DefaultWriteTimeout bounds one write call to the network.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultHandshakeTimeout bounds the opening handshake (both roles).
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultCompressionThreshold: shorter messages are sent uncompressed.
	DefaultCompressionThreshold = 512
	// DefaultParkAfter is how long a Conn with a Poller waits for a message
	// before ReadMessage returns ErrIdle.
	DefaultParkAfter = time.Second
	// DefaultCompressionLevel is the flate level used when Level is zero.
	DefaultCompressionLevel = flate.BestSpeed

	// minReadBufferSize keeps room for a whole control frame (2+4+125 bytes) in
	// the read buffer, so control payloads are read without copying.
	minReadBufferSize = 256

	// IdleReadSize is the size of the buffer an idle Conn reads into when
	// Options.ReleaseReadBuffer is set.
	IdleReadSize = 256
)

// Options configures a Conn. The zero value selects the documented defaults
// (the Default* constants). Options is plain data: the Conn keeps a resolved
// copy and never modifies the caller's struct.
type Options struct {
	// MaxMessageSize bounds an inbound message; for a compressed message it
	// bounds both the compressed and the inflated size. A larger message
	// fails the connection with 1009. Default DefaultMaxMessageSize.
	MaxMessageSize int64
	// MaxFrameSize bounds one inbound frame's payload length; a larger frame
	// fails the connection with 1009 as soon as its header is read. Default
	// MaxMessageSize.
	MaxFrameSize int64
	// ReadBufferSize is the size of the read buffer (at least 256). Default
	// DefaultReadBufferSize.
	ReadBufferSize int
	// ReleaseReadBuffer makes an idle Conn give its read buffer back to a
	// shared pool while it waits for the next message: the wait reads into
	// a small per-connection buffer (IdleReadSize bytes) and the read buffer
	// is taken again when bytes arrive. An idle Conn then holds about 1 KiB
	// of heap instead of ReadBufferSize more. The cost: one more read
	// syscall when a message arrives after a wait and its first frame is
	// longer than IdleReadSize, and a pool round trip per wait. Default
	// false.
	ReleaseReadBuffer bool
	// WriteBufferSize is the initial capacity of the pending write buffer,
	// taken from a pool when data is queued and returned when drained.
	// Default DefaultWriteBufferSize.
	WriteBufferSize int
	// OutboundQueueBytes bounds the bytes queued and not yet written. A data
	// frame that would exceed it is refused with ErrQueueFull. Default
	// DefaultOutboundQueueBytes.
	OutboundQueueBytes int
	// CloseTimeout bounds the closing handshake: after a close frame is sent,
	// TCP is closed at the latest this long afterwards. Default
	// DefaultCloseTimeout.
	CloseTimeout time.Duration
	// WriteTimeout bounds one write to the network; when it expires the
	// connection is closed. Default DefaultWriteTimeout.
	WriteTimeout time.Duration
	// IdleTimeout: when no byte at all has been read for this long, the
	// connection is closed with 1001 ("idle timeout"). Zero disables it.
	IdleTimeout time.Duration
	// PingInterval: when no byte has been read for this long, a ping is sent
	// (and again every interval while quiet). Zero disables keepalive pings.
	// Combine with IdleTimeout to drop peers that stopped answering.
	PingInterval time.Duration
	// Poller, when set, lets the Conn wait for input without a goroutine:
	// ReadMessage returns ErrIdle after ParkAfter without input and Park
	// hands the Conn to the Poller (see Park). It implies
	// ReleaseReadBuffer. Conns over a connection that is not a socket (TLS,
	// net.Pipe) cannot be parked: Park returns ErrNotPollable.
	Poller *Poller
	// ParkAfter is how long ReadMessage waits for a message before it
	// returns ErrIdle (only with Poller). Default DefaultParkAfter.
	ParkAfter time.Duration
	// Compression configures permessage-deflate (RFC 7692).
	Compression CompressionOptions
	// OnPong is called from the reading goroutine for every pong received.
	// payload is valid only during the call.
	OnPong func(payload []byte)
}

// CompressionOptions configures permessage-deflate. It is disabled unless
// Enabled is true.
type CompressionOptions struct {
	Enabled bool
	// ServerNoContextTakeover and ClientNoContextTakeover request (client) or
	// impose (server) the no_context_takeover parameters.
	ServerNoContextTakeover, ClientNoContextTakeover bool
	// ServerMaxWindowBits and ClientMaxWindowBits are 8..15; 0 means 15.
	ServerMaxWindowBits, ClientMaxWindowBits int
	// Threshold: messages shorter than this many bytes are sent uncompressed.
	// 0 means DefaultCompressionThreshold; 1 compresses every non-empty message.
	Threshold int
	// Level is the flate level (1..9); 0 means DefaultCompressionLevel.
	Level int
}

// withDefaults returns o with every zero field replaced by its default and
// out-of-range fields clamped.
func (o Options) withDefaults() Options {
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.MaxFrameSize <= 0 || o.MaxFrameSize > o.MaxMessageSize {
		o.MaxFrameSize = o.MaxMessageSize
	}
	if o.ReadBufferSize <= 0 {
		o.ReadBufferSize = DefaultReadBufferSize
	}
	if o.ReadBufferSize < minReadBufferSize {
		o.ReadBufferSize = minReadBufferSize
	}
	if o.WriteBufferSize <= 0 {
		o.WriteBufferSize = DefaultWriteBufferSize
	}
	if o.OutboundQueueBytes <= 0 {
		o.OutboundQueueBytes = DefaultOutboundQueueBytes
	}
	if o.CloseTimeout <= 0 {
		o.CloseTimeout = DefaultCloseTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.IdleTimeout < 0 {
		o.IdleTimeout = 0
	}
	if o.PingInterval < 0 {
		o.PingInterval = 0
	}
	if o.Poller != nil {
		o.ReleaseReadBuffer = true
		if o.ParkAfter <= 0 {
			o.ParkAfter = DefaultParkAfter
		}
	}
	o.Compression = o.Compression.withDefaults()
	return o
}

func (c CompressionOptions) withDefaults() CompressionOptions {
	if c.Threshold <= 0 {
		c.Threshold = DefaultCompressionThreshold
	}
	if c.Level == 0 {
		c.Level = DefaultCompressionLevel
	}
	return c
}
