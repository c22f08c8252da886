// Command echo-gws is the reference echo server on lxzan/gws, written the
// way its documentation suggests for an echo: the event-driven API with
// ParallelEnabled (messages of one connection handled by a small pool of
// goroutines) and the built-in server. Every path is an echo endpoint.
// -parallel=false handles each connection's messages in its read loop.
// -stack N is an experiment, not a configuration of gws: see echo.frames.
package main

import (
	"flag"
	"log"

	"github.com/lxzan/gws"
)

type echo struct {
	gws.BuiltinEventHandler

	// frames is how many calls deep the echo is written from, each call
	// with 128 bytes of locals. It stands in for a handler with a deeper
	// call chain than this one: socklet's Wasm plugin call runs about 4 KiB
	// of stack below its read loop. Each connection's goroutine has a stack
	// of its own, so with many connections those stack lines are cold at
	// every message (docs/benchmarks.md, "What to change", item 11).
	frames int
}

// OnMessage writes the message back and returns its buffer to gws's pool.
func (e echo) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	descend(e.frames, c, m)
}

// descend writes m back to c from n calls deeper.
//
//go:noinline
func descend(n int, c *gws.Conn, m *gws.Message) byte {
	var locals [128]byte
	if n <= 0 {
		_ = c.WriteMessage(m.Opcode, m.Bytes())
		return 0
	}
	locals[n%len(locals)] = byte(n)
	return descend(n-1, c, m) ^ locals[(n+1)%len(locals)]
}

// OnPing answers pings (the built-in handler ignores them).
func (echo) OnPing(c *gws.Conn, p []byte) { _ = c.WritePong(p) }

func main() {
	addr := flag.String("addr", "127.0.0.1:18082", "listen `ADDR`")
	parallel := flag.Bool("parallel", true, "ParallelEnabled: handle a connection's messages on a goroutine pool (gws's advice for echo)")
	frames := flag.Int("stack", 0, "write each echo from `N` calls deeper, 128 bytes of stack each (an experiment; see echo.frames)")
	flag.Parse()
	srv := gws.NewServer(echo{frames: *frames}, &gws.ServerOption{
		ParallelEnabled: *parallel,
		Recovery:        gws.Recovery,
	})
	log.Printf("echo-gws listening on %s", *addr)
	log.Fatal(srv.Run(*addr))
}
