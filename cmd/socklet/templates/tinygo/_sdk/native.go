//go:build !wasm && !tinygo.wasm

package socklet

import "github.com/socklet/socklet/sdk/go/internal/hostabi"

// In a native build (go test), host functions go to the emulator of package
// sockettest, and the emulator drives events through hostabi.Plugin.

func init() {
	hostabi.Plugin = hostabi.Guest{
		Alloc:  allocScratch,
		Open:   onOpen,
		Text:   onText,
		Binary: onBinary,
		Pong:   onPong,
		Close:  onClose,
		Timer:  onTimer,
		Resume: onResume,
	}
}

func host() hostabi.Host {
	if hostabi.Current == nil {
		panic("socklet: no host: a native build of a plugin runs only under sockettest.New")
	}
	return hostabi.Current
}

func hostSendText(conn uint64, msg []byte) int32   { return host().SendText(conn, msg) }
func hostSendBinary(conn uint64, msg []byte) int32 { return host().SendBinary(conn, msg) }
func hostPing(conn uint64, payload []byte) int32   { return host().Ping(conn, payload) }

func hostClose(conn uint64, code int32, reason string) int32 {
	return host().Close(conn, code, []byte(reason))
}

func hostSubscribe(conn uint64, topic string) int32 {
	return host().Subscribe(conn, []byte(topic))
}

func hostUnsubscribe(conn uint64, topic string) int32 {
	return host().Unsubscribe(conn, []byte(topic))
}

func hostPublishText(topic string, msg []byte, except uint64) int32 {
	return host().PublishText([]byte(topic), msg, except)
}

func hostPublishBinary(topic string, msg []byte, except uint64) int32 {
	return host().PublishBinary([]byte(topic), msg, except)
}

func hostConnInfo(conn uint64, key int32, buf []byte) int32 {
	return host().ConnInfo(conn, key, buf)
}

func hostConnHeader(conn uint64, name string, buf []byte) int32 {
	return host().ConnHeader(conn, []byte(name), buf)
}

func hostAttach(conn uint64, data []byte) int32    { return host().Attach(conn, data) }
func hostAttachment(conn uint64, buf []byte) int32 { return host().Attachment(conn, buf) }
func hostConfig(key string, buf []byte) int32      { return host().Config([]byte(key), buf) }
func hostLog(level int32, msg string) int32        { return host().Log(level, []byte(msg)) }
func hostTimer(delayMs int32, id uint64) int32     { return host().Timer(delayMs, id) }
func hostTimerCancel(id uint64) int32              { return host().TimerCancel(id) }
func hostNowMs() int64                             { return host().NowMs() }
