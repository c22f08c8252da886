package protocolbench

import (
	"strconv"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/lxzan/gws"
	"github.com/socklet/socklet/protocol"
)

// BenchmarkWrite writes b.N binary messages of each size through a server
// connection (unmasked frames) to a conn that discards them; every message
// reaches the net.Conn before the next one is written.
//
// socklet queues a message with Write and writes the queue with Flush (the
// flusher-goroutine path); socklet-corked brackets the Write with
// Cork/Uncork, which writes inline from the caller, as the host does for
// the replies to a batch of buffered messages.
func BenchmarkWrite(b *testing.B) {
	for _, n := range readSizes {
		p := textPayload(n)
		b.Run(strconv.Itoa(n)+"/socklet", func(b *testing.B) {
			c := sockletServer(b, &fakeConn{}, false)
			defer c.CloseNow()
			measure(b, n)
			for b.Loop() {
				if err := c.Write(protocol.MessageBinary, p); err != nil {
					b.Fatal(err)
				}
				if err := c.Flush(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(strconv.Itoa(n)+"/socklet-corked", func(b *testing.B) {
			c := sockletServer(b, &fakeConn{}, false)
			defer c.CloseNow()
			measure(b, n)
			for b.Loop() {
				c.Cork()
				if err := c.Write(protocol.MessageBinary, p); err != nil {
					b.Fatal(err)
				}
				if err := c.Uncork(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(strconv.Itoa(n)+"/gorilla", func(b *testing.B) {
			c := gorillaServer(b, &fakeConn{}, false)
			measure(b, n)
			for b.Loop() {
				if err := c.WriteMessage(websocket.BinaryMessage, p); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(strconv.Itoa(n)+"/gws", func(b *testing.B) {
			c := gwsServer(b, &fakeConn{}, &gws.BuiltinEventHandler{}, false, false)
			measure(b, n)
			for b.Loop() {
				if err := c.WriteMessage(gws.OpcodeBinary, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
