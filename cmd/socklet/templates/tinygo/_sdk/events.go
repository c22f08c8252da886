package socklet

import "errors"

// This file turns the guest exports (wasm_exports.go, or the emulator in
// native builds) into Handler calls. Events are never concurrent, so the
// package-level buffers below need no locking.

// scratch receives every event payload: socklet_alloc returns it and the
// host writes the payload there before the event call. It is reused by the
// next event and grows to the largest payload seen.
var scratch = make([]byte, 0, 512)

// allocScratch returns room for size bytes at the start of scratch, always
// with a capacity of at least one byte so its address is never 0.
func allocScratch(size int) []byte {
	if cap(scratch) < size || cap(scratch) == 0 {
		c := 2 * cap(scratch)
		if c < size {
			c = size
		}
		if c == 0 {
			c = 1
		}
		scratch = make([]byte, 0, c)
	}
	return scratch[:size:cap(scratch)]
}

func onOpen(conn uint64) int32 {
	err := handler.OnOpen(Conn(conn))
	if err == nil {
		return 0
	}
	var r *RejectError
	if errors.As(err, &r) && r.Status >= 400 && r.Status <= 599 {
		return int32(r.Status)
	}
	Log(LevelError, "socklet: OnOpen refused the connection with 500: "+err.Error())
	return 500
}

func onText(conn uint64, msg []byte)     { handler.OnText(Conn(conn), msg) }
func onBinary(conn uint64, msg []byte)   { handler.OnBinary(Conn(conn), msg) }
func onPong(conn uint64, payload []byte) { handler.OnPong(Conn(conn), payload) }

func onClose(conn uint64, code int32, reason []byte) {
	handler.OnClose(Conn(conn), int(code), string(reason))
}

func onTimer(id uint64)    { handler.OnTimer(id) }
func onResume(conn uint64) { handler.OnResume(Conn(conn)) }
