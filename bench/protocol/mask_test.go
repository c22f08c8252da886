package protocolbench

import (
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/lxzan/gws"
	"github.com/socklet/socklet/protocol"
)

// BenchmarkMask measures masking the only way all three libraries expose
// it: client-role writes of a binary message, which frame, copy and mask
// the payload. At 64 KiB the cost is dominated by masking (and the copy
// into the write buffer). None of the libraries exports its masking
// function; protocol's internal BenchmarkMask measures socklet's alone.
func BenchmarkMask(b *testing.B) {
	for _, n := range []int{1024, 64 << 10} {
		p := textPayload(n)
		b.Run(strconv.Itoa(n)+"/socklet", func(b *testing.B) {
			c := sockletClient(b, &fakeConn{respond: true, r: &frameReader{}})
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
			c := gorillaClient(b, &fakeConn{respond: true, r: &frameReader{}})
			measure(b, n)
			for b.Loop() {
				if err := c.WriteMessage(websocket.BinaryMessage, p); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(strconv.Itoa(n)+"/gws", func(b *testing.B) {
			c := gwsClient(b, &fakeConn{respond: true, r: &frameReader{}})
			measure(b, n)
			for b.Loop() {
				if err := c.WriteMessage(gws.OpcodeBinary, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUTF8Valid is the validator gorilla (close reasons) and gws
// (CheckUtf8Enabled) use: the standard library's utf8.Valid. socklet's
// validator is unexported: compare with BenchmarkReadText (socklet minus
// BenchmarkRead/65536) and with go test -bench UTF8 ./protocol/.
func BenchmarkUTF8Valid(b *testing.B) {
	for _, in := range []struct {
		name string
		p    []byte
	}{{"ascii-64KiB", textPayload(64 << 10)}, {"mixed-64KiB", mixedPayload(64 << 10)}, {"ascii-4KiB", textPayload(4 << 10)}, {"mixed-4KiB", mixedPayload(4 << 10)}} {
		b.Run(in.name, func(b *testing.B) {
			measure(b, len(in.p))
			for b.Loop() {
				if !utf8.Valid(in.p) {
					b.Fatal("invalid")
				}
			}
		})
	}
}
