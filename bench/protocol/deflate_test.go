package protocolbench

import (
	"testing"

	"github.com/gorilla/websocket"
	"github.com/lxzan/gws"
	"github.com/socklet/socklet/protocol"
)

// BenchmarkCompress writes a 1 KiB JSON text message compressed
// (permessage-deflate, no context takeover, flate level 1) through a server
// connection of each library.
func BenchmarkCompress(b *testing.B) {
	p := jsonMessage()
	b.Run("socklet", func(b *testing.B) {
		nc := &fakeConn{}
		c := sockletServer(b, nc, true)
		defer c.CloseNow()
		measure(b, len(p))
		for b.Loop() {
			c.Cork()
			if err := c.Write(protocol.MessageText, p); err != nil {
				b.Fatal(err)
			}
			if err := c.Uncork(); err != nil {
				b.Fatal(err)
			}
		}
		reportRatio(b, nc, len(p))
	})
	b.Run("gorilla", func(b *testing.B) {
		nc := &fakeConn{}
		c := gorillaServer(b, nc, true)
		measure(b, len(p))
		for b.Loop() {
			if err := c.WriteMessage(websocket.TextMessage, p); err != nil {
				b.Fatal(err)
			}
		}
		reportRatio(b, nc, len(p))
	})
	b.Run("gws", func(b *testing.B) {
		nc := &fakeConn{}
		c := gwsServer(b, nc, &gws.BuiltinEventHandler{}, true, false)
		measure(b, len(p))
		for b.Loop() {
			if err := c.WriteMessage(gws.OpcodeText, p); err != nil {
				b.Fatal(err)
			}
		}
		reportRatio(b, nc, len(p))
	})
}

// reportRatio reports the bytes written per message (the handshake
// response included, negligible over many messages).
func reportRatio(b *testing.B, nc *fakeConn, n int) {
	b.ReportMetric(float64(nc.written)/float64(b.N), "wire-B/msg")
}

// BenchmarkDecompress reads b.N compressed 1 KiB JSON text messages
// (masked client frames, each compressed on its own) through a server
// connection of each library.
func BenchmarkDecompress(b *testing.B) {
	p := jsonMessage()
	frame := clientFrame(1, true, deflateMessage(p))
	n := len(p)
	b.Run("socklet", func(b *testing.B) {
		nc := &fakeConn{r: &frameReader{frame: frame, count: b.N}}
		c := sockletServer(b, nc, true)
		defer c.CloseNow()
		measure(b, n)
		for range b.N {
			_, q, err := c.ReadMessage()
			if err != nil || len(q) != n {
				b.Fatal(err, len(q))
			}
		}
	})
	b.Run("gorilla", func(b *testing.B) {
		nc := &fakeConn{r: &frameReader{frame: frame, count: b.N}}
		c := gorillaServer(b, nc, true)
		measure(b, n)
		for range b.N {
			_, q, err := c.ReadMessage()
			if err != nil || len(q) != n {
				b.Fatal(err, len(q))
			}
		}
	})
	b.Run("gws", func(b *testing.B) {
		benchGWSRead(b, frame, n, true, false)
	})
}
