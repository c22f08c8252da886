// Package hostabi connects package socklet to the host emulator of package
// sockettest in native (non-wasm) builds. It mirrors ABI v1 with Go slices in
// place of (ptr, len) pairs; every method has the semantics of the host
// function of the same name, including "an output that does not fit returns
// the length it needs and writes nothing".
package hostabi

// Host is the host side of ABI v1 as seen by a native build of the SDK.
type Host interface {
	SendText(conn uint64, msg []byte) int32
	SendBinary(conn uint64, msg []byte) int32
	Ping(conn uint64, payload []byte) int32
	Close(conn uint64, code int32, reason []byte) int32
	Subscribe(conn uint64, topic []byte) int32
	Unsubscribe(conn uint64, topic []byte) int32
	PublishText(topic, msg []byte, except uint64) int32
	PublishBinary(topic, msg []byte, except uint64) int32
	ConnInfo(conn uint64, key int32, buf []byte) int32
	ConnHeader(conn uint64, name, buf []byte) int32
	Attach(conn uint64, data []byte) int32
	Attachment(conn uint64, buf []byte) int32
	Config(key, buf []byte) int32
	Log(level int32, msg []byte) int32
	Timer(delayMs int32, id uint64) int32
	TimerCancel(id uint64) int32
	NowMs() int64
}

// Guest is the guest side of ABI v1: the exports of a plugin. Package
// socklet fills [Plugin] in its native build.
type Guest struct {
	// Alloc returns room for size bytes, as socklet_alloc; the caller
	// writes the payload there and passes that slice to the event.
	Alloc  func(size int) []byte
	Open   func(conn uint64) int32
	Text   func(conn uint64, msg []byte)
	Binary func(conn uint64, msg []byte)
	Pong   func(conn uint64, payload []byte)
	Close  func(conn uint64, code int32, reason []byte)
	Timer  func(id uint64)
	Resume func(conn uint64)
}

// Current is the host the SDK calls; nil outside a sockettest emulator.
var Current Host

// Plugin is the plugin's exports, set by package socklet's initializer.
var Plugin Guest
