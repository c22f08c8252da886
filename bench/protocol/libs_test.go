package protocolbench

import (
	"bufio"
	"context"
	"net"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/lxzan/gws"
	"github.com/socklet/socklet/protocol"
)

// The constructors below give a server (or client) connection of each
// library over nc, built through the library's exported API as a real
// server would build it, with 4 KiB read buffers everywhere.

func sockletServer(b *testing.B, nc net.Conn, deflate bool) *protocol.Conn {
	b.Helper()
	u := &protocol.Upgrader{Options: protocol.Options{
		ReadBufferSize: 4096,
		Compression:    protocol.CompressionOptions{Enabled: deflate, Threshold: 1},
	}}
	hs, err := u.Negotiate(upgradeRequest(deflate))
	if err != nil {
		b.Fatal(err)
	}
	c, err := u.Upgrade(nc, bufio.NewReaderSize(nc, 4096), hs, nil)
	if err != nil {
		b.Fatal(err)
	}
	if deflate && !hs.Compressed() {
		b.Fatal("socklet: deflate not negotiated")
	}
	return c
}

func gorillaServer(b *testing.B, nc net.Conn, deflate bool) *websocket.Conn {
	b.Helper()
	u := websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096, EnableCompression: deflate}
	c, err := u.Upgrade(&hijackWriter{nc: nc}, upgradeRequest(deflate), nil)
	if err != nil {
		b.Fatal(err)
	}
	if deflate {
		c.EnableWriteCompression(true)
		if err := c.SetCompressionLevel(1); err != nil {
			b.Fatal(err)
		}
	}
	return c
}

// gwsHandler counts messages and hands each to f.
type gwsHandler struct {
	gws.BuiltinEventHandler
	n int
	f func(*gws.Message)
}

func (h *gwsHandler) OnMessage(_ *gws.Conn, m *gws.Message) {
	h.n++
	if h.f != nil {
		h.f(m)
	}
	m.Close()
}

func gwsServer(b *testing.B, nc net.Conn, h gws.Event, deflate, checkUTF8 bool) *gws.Conn {
	b.Helper()
	u := gws.NewUpgrader(h, &gws.ServerOption{
		ReadBufferSize:   4096,
		CheckUtf8Enabled: checkUTF8,
		PermessageDeflate: gws.PermessageDeflate{
			Enabled:   deflate,
			Level:     1,
			Threshold: 1,
		},
	})
	c, err := u.UpgradeFromConn(nc, bufio.NewReaderSize(nc, 4096), upgradeRequest(deflate))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// Client connections (for client-role, masked writes).

func dialer(nc net.Conn) func(context.Context, string, string) (net.Conn, error) {
	return func(context.Context, string, string) (net.Conn, error) { return nc, nil }
}

func sockletClient(b *testing.B, nc *fakeConn) *protocol.Conn {
	b.Helper()
	c, _, err := protocol.Dial(context.Background(), "ws://127.0.0.1/bench", &protocol.DialOptions{NetDialContext: dialer(nc)})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func gorillaClient(b *testing.B, nc *fakeConn) *websocket.Conn {
	b.Helper()
	d := websocket.Dialer{NetDialContext: dialer(nc), ReadBufferSize: 4096, WriteBufferSize: 4096}
	c, _, err := d.Dial("ws://127.0.0.1/bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func gwsClient(b *testing.B, nc *fakeConn) *gws.Conn {
	b.Helper()
	c, _, err := gws.NewClientFromConn(&gws.BuiltinEventHandler{}, &gws.ClientOption{Addr: "ws://127.0.0.1/bench"}, nc)
	if err != nil {
		b.Fatal(err)
	}
	return c
}
