// Package plugins runs socklet's WebAssembly plugins on wazero.
//
// It owns everything that touches Wasm and the per-route state that must
// outlive a guest instance: the connection table (handle, transport, bound
// instance, attachment, subscriptions), topics and timers. The host (package
// host) owns the sockets and implements [Conn].
//
// # Model
//
// A [Runtime] is one wazero runtime for the process. [Runtime.Compile]
// compiles and validates a module once (identical bytes share one
// [Module]). A [Route] is a pool of instances of one module serving one
// route: each connection is bound to one instance for its life (sticky), and
// calls into one instance are serialized by a mutex. The reading goroutine
// of a connection runs the guest itself: [Route.Text] blocks until the bound
// instance is free and the guest returned, so the readers waiting on a busy
// instance are the route's bounded event queue, and a blocked reader reads
// no more from its socket (TCP backpressure). Every guest call has a
// deadline (RouteConfig.EventTimeout) enforced by a watchdog, and every
// instance a memory limit (RouteConfig.MemoryLimit) enforced by its own
// linear memory allocator.
//
// A trap, a deadline or a memory fault discards that instance only. It is
// rebuilt from the compiled module; its connections are resumed
// (socklet_on_resume) when the plugin exports it, else closed with 1011. The
// event that failed is not delivered again. A route whose instances fail too
// often is backed off (see [CrashLimit]).
//
// docs/abi.md is the specification of the ABI this package implements.
package plugins
