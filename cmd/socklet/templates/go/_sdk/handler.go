package socklet

// Handler receives the events of a plugin's connections. The host calls one
// method at a time, never concurrently. Embed [Default] to implement only the
// events a plugin cares about.
type Handler interface {
	// OnOpen is called when a client asks to connect, before the handshake
	// response. nil accepts the connection; an error from [Reject] refuses it
	// with that HTTP status; any other error refuses it with 500 and is
	// logged. Sends are not possible yet (the connection is not open).
	OnOpen(c Conn) error
	// OnText is called with each whole text message (valid UTF-8). msg is
	// valid only during the call.
	OnText(c Conn, msg []byte)
	// OnBinary is called with each whole binary message. msg is valid only
	// during the call.
	OnBinary(c Conn, msg []byte)
	// OnPong is called with the payload of each pong frame. payload is valid
	// only during the call.
	OnPong(c Conn, payload []byte)
	// OnClose is called exactly once for every accepted connection, however
	// it ended; code is 1006 when no close frame was received. c is no
	// longer valid after it returns.
	OnClose(c Conn, code int, reason string)
	// OnTimer is called when the timer id set with [SetTimer] fires.
	OnTimer(id uint64)
	// OnResume is called when the live connection c was carried over to this
	// instance by a hot reload or a crash recovery: Go state from the old
	// instance is gone, the connection's topics and attachment are not.
	OnResume(c Conn)
}

// Default implements every [Handler] method by doing nothing (OnOpen
// accepts). Embed it in a handler type to override only some events.
type Default struct{}

// OnOpen accepts the connection.
func (Default) OnOpen(Conn) error { return nil }

// OnText ignores the message.
func (Default) OnText(Conn, []byte) {}

// OnBinary ignores the message.
func (Default) OnBinary(Conn, []byte) {}

// OnPong ignores the pong.
func (Default) OnPong(Conn, []byte) {}

// OnClose does nothing.
func (Default) OnClose(Conn, int, string) {}

// OnTimer ignores the timer.
func (Default) OnTimer(uint64) {}

// OnResume does nothing.
func (Default) OnResume(Conn) {}

var handler Handler = Default{}

// Serve makes h the plugin's handler. Call it from an init function of
// package main (main itself never runs in a plugin). A later call replaces
// the handler; Serve(nil) restores [Default].
func Serve(h Handler) {
	if h == nil {
		h = Default{}
	}
	handler = h
}
