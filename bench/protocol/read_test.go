package protocolbench

import (
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/lxzan/gws"
)

var readSizes = []int{16, 1024, 64 << 10}

// BenchmarkRead reads b.N masked binary client frames of each size through
// a server connection of each library (whole messages: parse the header,
// copy the payload out of the read buffer, unmask).
func BenchmarkRead(b *testing.B) {
	for _, n := range readSizes {
		payload := textPayload(n)
		frame := clientFrame(2, false, payload)
		b.Run(strconv.Itoa(n)+"/socklet", func(b *testing.B) {
			benchSockletRead(b, frame, n)
		})
		b.Run(strconv.Itoa(n)+"/gorilla", func(b *testing.B) {
			benchGorillaRead(b, frame, n, false)
		})
		b.Run(strconv.Itoa(n)+"/gws", func(b *testing.B) {
			benchGWSRead(b, frame, n, false, false)
		})
	}
}

// BenchmarkReadText reads text messages of 64 KiB: the difference from
// BenchmarkRead/65536 is UTF-8 validation. socklet always validates (RFC
// 6455 8.1); gws validates with CheckUtf8Enabled (utf8.Valid); gorilla
// never does, so the application calls utf8.Valid itself.
func BenchmarkReadText(b *testing.B) {
	n := 64 << 10
	for _, in := range []struct {
		name string
		p    []byte
	}{{"ascii", textPayload(n)}, {"mixed", mixedPayload(n)}} {
		frame := clientFrame(1, false, in.p)
		b.Run(in.name+"/socklet", func(b *testing.B) { benchSockletRead(b, frame, n) })
		b.Run(in.name+"/gorilla+utf8.Valid", func(b *testing.B) { benchGorillaRead(b, frame, n, true) })
		b.Run(in.name+"/gws+CheckUtf8", func(b *testing.B) { benchGWSRead(b, frame, n, false, true) })
	}
}

func benchSockletRead(b *testing.B, frame []byte, n int) {
	nc := &fakeConn{r: &frameReader{frame: frame, count: b.N}}
	c := sockletServer(b, nc, false)
	defer c.CloseNow()
	measure(b, n)
	for range b.N {
		_, p, err := c.ReadMessage()
		if err != nil || len(p) != n {
			b.Fatal(err, len(p))
		}
	}
}

func benchGorillaRead(b *testing.B, frame []byte, n int, validate bool) {
	nc := &fakeConn{r: &frameReader{frame: frame, count: b.N}}
	c := gorillaServer(b, nc, false)
	c.SetReadLimit(1 << 24)
	measure(b, n)
	for range b.N {
		typ, p, err := c.ReadMessage()
		if err != nil || len(p) != n {
			b.Fatal(err, len(p))
		}
		if validate && typ == websocket.TextMessage && !utf8.Valid(p) {
			b.Fatal("invalid UTF-8")
		}
	}
}

func benchGWSRead(b *testing.B, frame []byte, n int, deflate, checkUTF8 bool) {
	nc := &fakeConn{r: &frameReader{frame: frame, count: b.N}}
	h := &gwsHandler{f: func(m *gws.Message) {
		if m.Data.Len() != n {
			b.Errorf("gws: read %d bytes, want %d", m.Data.Len(), n)
		}
	}}
	c := gwsServer(b, nc, h, deflate, checkUTF8)
	measure(b, n)
	c.ReadLoop() // returns at the io.EOF after b.N frames
	b.StopTimer()
	if h.n != b.N {
		b.Fatalf("gws: %d messages, want %d", h.n, b.N)
	}
}
