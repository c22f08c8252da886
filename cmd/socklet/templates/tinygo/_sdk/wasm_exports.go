//go:build wasm || tinygo.wasm

// The host calls these functions; staticcheck does not know //go:wasmexport.
//lint:file-ignore U1000 every function here is a wasm export

package socklet

import "unsafe"

// The guest exports of ABI v1. abi/sdk_go_test.go checks every declaration
// here against abi.Exports. Both compilers export //go:wasmexport functions
// of any package, so a plugin's main package only has to import this one.

//go:wasmexport socklet_abi_v1
func exportABIv1() {}

//go:wasmexport socklet_alloc
func exportAlloc(size uint32) uint32 {
	if size >= 1<<30 { // more than any host lets a message be; int is 32 bits in TinyGo
		return 0
	}
	b := allocScratch(int(size))
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b[:1]))))
}

// payload returns the n bytes the host wrote at ptr: a slice of scratch,
// where socklet_alloc told the host to write.
func payload(ptr, n uint32) []byte {
	if n == 0 {
		return scratch[:0]
	}
	base := uint32(uintptr(unsafe.Pointer(unsafe.SliceData(scratch[:1]))))
	if ptr >= base && uint64(ptr-base)+uint64(n) <= uint64(cap(scratch)) {
		off := ptr - base
		return scratch[off : off+n : off+n]
	}
	// Not where socklet_alloc pointed (the ABI does not allow it, but the
	// bytes are in linear memory all the same).
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), uintptr(ptr))), n)
}

//go:wasmexport socklet_on_open
func exportOpen(conn uint64) int32 { return onOpen(conn) }

//go:wasmexport socklet_on_text
func exportText(conn uint64, ptr, n uint32) { onText(conn, payload(ptr, n)) }

//go:wasmexport socklet_on_binary
func exportBinary(conn uint64, ptr, n uint32) { onBinary(conn, payload(ptr, n)) }

//go:wasmexport socklet_on_pong
func exportPong(conn uint64, ptr, n uint32) { onPong(conn, payload(ptr, n)) }

//go:wasmexport socklet_on_close
func exportClose(conn uint64, code int32, ptr, n uint32) { onClose(conn, code, payload(ptr, n)) }

//go:wasmexport socklet_on_timer
func exportTimer(id uint64) { onTimer(id) }

//go:wasmexport socklet_on_resume
func exportResume(conn uint64) { onResume(conn) }
