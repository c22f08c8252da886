// Command goecho is the standard-Go (wasip1 reactor) fixture of the plugins
// tests. It echoes text, checks the ABI's ordering guarantees itself (an
// event for a connection it did not see open or resume panics, which traps
// the instance), and uses WASI: stdout, clock and random, and checks that
// it has no file system, environment or arguments.
//
// Build (from plugins/): see ../README.md.
package main

import (
	"os"
	"time"
	"unsafe"
)

//go:wasmimport socklet send_text
func sendText(conn int64, ptr unsafe.Pointer, n int32) int32

// conns counts the messages of each connection this instance knows.
var conns = map[int64]int{}

// room is where the host writes event payloads.
var room []byte

func main() {}

//go:wasmexport socklet_abi_v1
func abiV1() {}

//go:wasmexport socklet_alloc
func alloc(size int32) unsafe.Pointer {
	if int(size) > len(room) {
		room = make([]byte, size)
	}
	return unsafe.Pointer(unsafe.SliceData(room))
}

//go:wasmexport socklet_on_open
func onOpen(conn int64) int32 {
	if _, ok := conns[conn]; ok {
		panic("open twice")
	}
	conns[conn] = 0
	return 0
}

//go:wasmexport socklet_on_resume
func onResume(conn int64) {
	conns[conn] = 0
}

//go:wasmexport socklet_on_text
func onText(conn int64, ptr unsafe.Pointer, n int32) {
	if _, ok := conns[conn]; !ok {
		panic("message before open")
	}
	conns[conn]++
	switch string(unsafe.Slice((*byte)(ptr), n)) {
	case "print":
		os.Stdout.WriteString("hello from go\n")
		reply(conn, "printed")
	case "clock":
		if time.Now().Year() >= 2024 {
			reply(conn, "clock ok")
		}
	case "random":
		// The Go runtime seeds its map hash and math/rand from WASI
		// random_get; two fresh maps iterate the same keys in different
		// orders only if that randomness is real, so just report that the
		// call path works.
		reply(conn, "random ok")
	case "sandbox":
		// No file system, no environment, one argument: the route.
		_, ferr := os.ReadFile("/etc/hostname")
		if ferr != nil && len(os.Environ()) == 0 && len(os.Args) == 1 {
			reply(conn, "sandbox ok: "+os.Args[0])
		} else {
			reply(conn, "sandbox open")
		}
	case "panic":
		panic("asked to")
	default:
		sendText(conn, ptr, n)
	}
}

//go:wasmexport socklet_on_close
func onClose(conn int64, code int32, ptr unsafe.Pointer, n int32) {
	if _, ok := conns[conn]; !ok {
		panic("close of an unknown connection")
	}
	delete(conns, conn)
}

func reply(conn int64, s string) {
	sendText(conn, unsafe.Pointer(unsafe.StringData(s)), int32(len(s)))
}
