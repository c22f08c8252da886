// Package socklet is the Go SDK for writing socklet plugins: WebSocket
// connection handlers compiled to WebAssembly and run by a socklet server.
//
// A plugin implements [Handler] (embed [Default] to get do-nothing methods),
// registers it with [Serve] from an init function, and is built with either
// compiler:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o echo.wasm .
//	tinygo build -target=<sdk>/targets/socklet-wasm.json -no-debug -o echo.wasm .
//
// A minimal echo plugin:
//
//	package main
//
//	import socklet "github.com/socklet/socklet/sdk/go"
//
//	type echo struct{ socklet.Default }
//
//	func (echo) OnText(c socklet.Conn, msg []byte)   { _ = c.SendText(msg) }
//	func (echo) OnBinary(c socklet.Conn, msg []byte) { _ = c.SendBinary(msg) }
//
//	func init() { socklet.Serve(echo{}) }
//
//	func main() {}
//
// Serve must be called from init, not main: a module built with
// -buildmode=c-shared (standard Go) or the socklet-wasm target (TinyGo) is a
// reactor whose _initialize export, called once by the host, runs package
// initializers but never main.
//
// # Execution model
//
// The host calls one instance of a plugin for many connections, one event at
// a time: handlers never run concurrently, so plugin state needs no locks.
// Do not start goroutines; nothing runs between events. Payloads given to a
// handler ([Handler.OnText], [Handler.OnBinary], [Handler.OnPong]) live in a
// buffer the SDK reuses for the next event: they are valid only during the
// call. Copy them (string(msg), bytes.Clone) to keep them.
//
// State kept in Go variables is lost when the host replaces the instance (hot
// reload, crash recovery). Topics and attachments ([Conn.Attach]) live in the
// host and survive; [Handler.OnResume] is the place to rebuild Go state for
// a connection carried over to a new instance.
//
// # Errors
//
// Host functions return errors of type [Error], one per ABI status
// ([ErrQueueFull], [ErrClosed], ...), comparable with == or errors.Is. A send
// never blocks: when a connection's outbound queue is full the message is not
// queued and the send returns [ErrQueueFull].
//
// # Testing
//
// Built natively (not for wasm), the package talks to the host emulator of
// package sockettest, so plugin logic is tested with go test.
package socklet
