// Package sockettest is an in-memory socklet host for testing plugins with
// go test, natively, without a WebAssembly runtime or a server.
//
// A test creates a [Host] around a handler, drives events (Open, Text,
// Binary, Pong, Close, Advance for timers, Reload) and inspects what the
// plugin did: the messages queued to each connection ([Host.Drain]), its
// publications, logs, timers, topics and attachments. Host functions behave
// as the real host's do: the same statuses for the same mistakes (bad
// handles, closed connections, invalid UTF-8, limits), and outputs that do
// not fit their buffer return the needed length, so the SDK's retry path
// runs too. Payloads are written into the plugin's reused event buffer, and
// that buffer is overwritten after each event, so a handler that keeps a
// payload past its call fails visibly in tests.
//
// A Host replaces the process-wide plugin state of package socklet (its
// handler and host): tests using it must not run in parallel.
package sockettest
