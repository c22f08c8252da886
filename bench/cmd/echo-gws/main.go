// Command echo-gws is the reference echo server on lxzan/gws, written the
// way its documentation suggests for an echo: the event-driven API with
// ParallelEnabled (messages of one connection handled by a small pool of
// goroutines) and the built-in server. Every path is an echo endpoint.
// -parallel=false handles each connection's messages in its read loop.
package main

import (
	"flag"
	"log"

	"github.com/lxzan/gws"
)

type echo struct{ gws.BuiltinEventHandler }

// OnMessage writes the message back and returns its buffer to gws's pool.
func (echo) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	_ = c.WriteMessage(m.Opcode, m.Bytes())
}

// OnPing answers pings (the built-in handler ignores them).
func (echo) OnPing(c *gws.Conn, p []byte) { _ = c.WritePong(p) }

func main() {
	addr := flag.String("addr", "127.0.0.1:18082", "listen `ADDR`")
	parallel := flag.Bool("parallel", true, "ParallelEnabled: handle a connection's messages on a goroutine pool (gws's advice for echo)")
	flag.Parse()
	srv := gws.NewServer(echo{}, &gws.ServerOption{
		ParallelEnabled: *parallel,
		Recovery:        gws.Recovery,
	})
	log.Printf("echo-gws listening on %s", *addr)
	log.Fatal(srv.Run(*addr))
}
