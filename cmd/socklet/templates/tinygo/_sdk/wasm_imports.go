//go:build wasm || tinygo.wasm

package socklet

import "unsafe"

// The raw host functions of ABI v1 (module "socklet"). abi/sdk_go_test.go
// checks every declaration here against abi.Imports. Pointers are
// unsafe.Pointer (i32 in wasm), lengths uint32, handles uint64 (i64).

//go:wasmimport socklet send_text
func rawSendText(conn uint64, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport socklet send_binary
func rawSendBinary(conn uint64, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport socklet ping
func rawPing(conn uint64, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport socklet close
func rawClose(conn uint64, code int32, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport socklet subscribe
func rawSubscribe(conn uint64, topicPtr unsafe.Pointer, topicLen uint32) int32

//go:wasmimport socklet unsubscribe
func rawUnsubscribe(conn uint64, topicPtr unsafe.Pointer, topicLen uint32) int32

//go:wasmimport socklet publish_text
func rawPublishText(topicPtr unsafe.Pointer, topicLen uint32, ptr unsafe.Pointer, n uint32, except uint64) int32

//go:wasmimport socklet publish_binary
func rawPublishBinary(topicPtr unsafe.Pointer, topicLen uint32, ptr unsafe.Pointer, n uint32, except uint64) int32

//go:wasmimport socklet conn_info
func rawConnInfo(conn uint64, key int32, buf unsafe.Pointer, bufCap uint32) int32

//go:wasmimport socklet conn_header
func rawConnHeader(conn uint64, namePtr unsafe.Pointer, nameLen uint32, buf unsafe.Pointer, bufCap uint32) int32

//go:wasmimport socklet attach
func rawAttach(conn uint64, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport socklet attachment
func rawAttachment(conn uint64, buf unsafe.Pointer, bufCap uint32) int32

//go:wasmimport socklet config
func rawConfig(keyPtr unsafe.Pointer, keyLen uint32, buf unsafe.Pointer, bufCap uint32) int32

//go:wasmimport socklet log
func rawLog(level int32, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport socklet timer
func rawTimer(delayMs int32, id uint64) int32

//go:wasmimport socklet timer_cancel
func rawTimerCancel(id uint64) int32

//go:wasmimport socklet now_ms
func rawNowMs() int64

// bytesPtr and strPtr return the address of a payload: nil (0) for an empty
// one, which the ABI accepts as (0, 0).
func bytesPtr(b []byte) (unsafe.Pointer, uint32) {
	return unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b))
}

func strPtr(s string) (unsafe.Pointer, uint32) {
	return unsafe.Pointer(unsafe.StringData(s)), uint32(len(s))
}

func hostSendText(conn uint64, msg []byte) int32 {
	p, n := bytesPtr(msg)
	return rawSendText(conn, p, n)
}

func hostSendBinary(conn uint64, msg []byte) int32 {
	p, n := bytesPtr(msg)
	return rawSendBinary(conn, p, n)
}

func hostPing(conn uint64, payload []byte) int32 {
	p, n := bytesPtr(payload)
	return rawPing(conn, p, n)
}

func hostClose(conn uint64, code int32, reason string) int32 {
	p, n := strPtr(reason)
	return rawClose(conn, code, p, n)
}

func hostSubscribe(conn uint64, topic string) int32 {
	p, n := strPtr(topic)
	return rawSubscribe(conn, p, n)
}

func hostUnsubscribe(conn uint64, topic string) int32 {
	p, n := strPtr(topic)
	return rawUnsubscribe(conn, p, n)
}

func hostPublishText(topic string, msg []byte, except uint64) int32 {
	tp, tn := strPtr(topic)
	p, n := bytesPtr(msg)
	return rawPublishText(tp, tn, p, n, except)
}

func hostPublishBinary(topic string, msg []byte, except uint64) int32 {
	tp, tn := strPtr(topic)
	p, n := bytesPtr(msg)
	return rawPublishBinary(tp, tn, p, n, except)
}

func hostConnInfo(conn uint64, key int32, buf []byte) int32 {
	p, n := bytesPtr(buf)
	return rawConnInfo(conn, key, p, n)
}

func hostConnHeader(conn uint64, name string, buf []byte) int32 {
	np, nn := strPtr(name)
	p, n := bytesPtr(buf)
	return rawConnHeader(conn, np, nn, p, n)
}

func hostAttach(conn uint64, data []byte) int32 {
	p, n := bytesPtr(data)
	return rawAttach(conn, p, n)
}

func hostAttachment(conn uint64, buf []byte) int32 {
	p, n := bytesPtr(buf)
	return rawAttachment(conn, p, n)
}

func hostConfig(key string, buf []byte) int32 {
	kp, kn := strPtr(key)
	p, n := bytesPtr(buf)
	return rawConfig(kp, kn, p, n)
}

func hostLog(level int32, msg string) int32 {
	p, n := strPtr(msg)
	return rawLog(level, p, n)
}

func hostTimer(delayMs int32, id uint64) int32 { return rawTimer(delayMs, id) }
func hostTimerCancel(id uint64) int32          { return rawTimerCancel(id) }
func hostNowMs() int64                         { return rawNowMs() }
