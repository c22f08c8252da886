package plugins

import (
	"errors"
	"time"

	"github.com/socklet/socklet/abi"
)

// Conn is the transport of one connection, implemented by the host. Every
// method is non-blocking and safe for concurrent use.
type Conn interface {
	// Info returns a fact about the connection; "" when it has none.
	Info(key abi.Info) string
	// Header returns the handshake request header name (case-insensitive),
	// several values joined by ", ", and whether it was present.
	Header(name string) (value string, ok bool)
	// Write queues a text (text true) or binary message. It copies p before
	// returning. It returns an error that matches ErrQueueFull, ErrClosed or
	// ErrTooLarge with errors.Is, or another error.
	Write(text bool, p []byte) error
	// WriteFrame queues a frame built by the route's Framer; the same frame
	// is written to many connections and must not be modified.
	WriteFrame(f Frame) error
	// Ping queues a ping with payload p (at most 125 bytes); it copies p.
	Ping(p []byte) error
	// Close starts the closing handshake. The host later calls
	// Route.Closed from the connection's reading goroutine, never from
	// within Close.
	Close(code int, reason string) error
}

// Frame is a message framed once for many connections by a [Framer].
type Frame any

// Framer builds a frame once per publish. Prepare owns p (the runtime passes
// a copy).
type Framer interface {
	Prepare(text bool, p []byte) (Frame, error)
}

// Errors a Conn returns (possibly wrapped); the runtime maps them to ABI
// statuses.
var (
	// ErrQueueFull: the connection's outbound queue is full (StatusQueueFull).
	ErrQueueFull = errors.New("plugins: outbound queue full")
	// ErrClosed: the connection is closing or closed (StatusClosed).
	ErrClosed = errors.New("plugins: connection closed")
	// ErrTooLarge: the message exceeds a limit of the host (StatusTooLarge).
	ErrTooLarge = errors.New("plugins: message too large")
)

// Errors of the runtime.
var (
	// ErrInvalidModule is matched (errors.Is) by every error that says a
	// module is not a valid ABI v1 plugin; see [InvalidModuleError].
	ErrInvalidModule = errors.New("plugins: invalid module")
	// ErrUnknownHandle: the handle is not a live connection of this route.
	ErrUnknownHandle = errors.New("plugins: unknown connection handle")
	// ErrRouteClosed: the route was closed.
	ErrRouteClosed = errors.New("plugins: route closed")
	// ErrUnavailable: the route is backed off after crashing in a loop, or
	// the connection's instance is down; the host may answer 503.
	ErrUnavailable = errors.New("plugins: plugin unavailable")
	// ErrTrap: a guest call trapped, ran out of memory or exited; the
	// instance was rebuilt (or the route backed off).
	ErrTrap = errors.New("plugins: plugin trapped")
	// ErrTimeout: a guest call overran RouteConfig.EventTimeout; the
	// instance was rebuilt (or the route backed off).
	ErrTimeout = errors.New("plugins: plugin call timed out")
	// ErrAlloc: socklet_alloc returned 0 or room outside memory; the event
	// was dropped and its connection closed with 1011.
	ErrAlloc = errors.New("plugins: socklet_alloc failed")
)

// Observer receives runtime facts for metrics. Its methods may be called
// concurrently and must not block.
type Observer interface {
	// Event: one guest call of kind (open, text, binary, pong, close,
	// timer, resume) on route took d. instance is the place in the route's
	// pool of the instance called, 0 to RouteConfig.Instances-1: calls
	// with the same instance never overlap (Event is called under the
	// instance's lock), so an observer may keep one shard of its state per
	// instance and find it uncontended.
	Event(route string, instance int, kind string, d time.Duration)
	// Trap: an instance of route failed with err and is discarded.
	Trap(route string, err error)
	// Restart: an instance of route was rebuilt.
	Restart(route string)
}
