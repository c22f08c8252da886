package protocol

import (
	"compress/flate"
	"fmt"
	"runtime"
	"testing"
)

var benchModes = []struct {
	name string
	p    deflateParams
}{
	{"context", deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
	{"nocontext", deflateParams{serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
}

var benchSizes = []int{1 << 10, 64 << 10}

// benchMessages returns k distinct JSON-like messages of size n.
func benchMessages(n, k int) [][]byte {
	msgs := make([][]byte, k)
	for i := range msgs {
		msgs[i] = jsonLike(n, uint64(i))
	}
	return msgs
}

// BenchmarkCompress compresses JSON-like messages as a server Conn does,
// reusing the output buffer; ratio is compressed/original bytes.
func BenchmarkCompress(b *testing.B) {
	for _, m := range benchModes {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/%dKiB", m.name, n>>10), func(b *testing.B) {
				msgs := benchMessages(n, 16)
				c := newCompressor(m.p, true, CompressionOptions{Enabled: true, Threshold: 1, Level: flate.BestSpeed})
				var buf []byte
				var in, out int
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					payload, ok, err := c.compress(buf[:0], msgs[i%len(msgs)])
					if err != nil || !ok {
						b.Fatal(ok, err)
					}
					buf = payload
					in += n
					out += len(payload)
				}
				b.ReportMetric(float64(out)/float64(in), "ratio")
			})
		}
	}
}

// BenchmarkDecompress inflates the payloads of BenchmarkCompress. In context
// mode the payloads form a cycle that starts with an empty window, so they
// can be replayed in order for ever.
func BenchmarkDecompress(b *testing.B) {
	for _, m := range benchModes {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/%dKiB", m.name, n>>10), func(b *testing.B) {
				msgs := benchMessages(n, 16)
				c := newCompressor(m.p, true, CompressionOptions{Enabled: true, Threshold: 1, Level: flate.BestSpeed})
				payloads := make([][]byte, len(msgs))
				for i, msg := range msgs {
					p, ok, err := c.compress(nil, msg)
					if err != nil || !ok {
						b.Fatal(ok, err)
					}
					payloads[i] = p
				}
				d := newDecompressor(m.p, false)
				buf := make([]byte, 0, n)
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					out, err := d.decompress(buf[:0], payloads[i%len(payloads)], int64(n))
					if err != nil || len(out) != n {
						b.Fatal(len(out), err)
					}
				}
			})
		}
	}
}

// BenchmarkDeflateConnMemory measures the heap a server connection keeps
// between messages after it sent and received one 1 KiB compressed message:
// with context takeover the flate writer (per level) and the inbound history;
// without, nothing; with server_no_context_takeover only, the inbound
// history (2^client_max_window_bits bytes). Reported as B/conn.
func BenchmarkDeflateConnMemory(b *testing.B) {
	const conns = 64
	msg := jsonLike(1<<10, 1)
	modes := append(benchModes[:len(benchModes):len(benchModes)],
		struct {
			name string
			p    deflateParams
		}{"inboundcontext", deflateParams{serverNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
		struct {
			name string
			p    deflateParams
		}{"inboundcontext10bits", deflateParams{serverNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 10}},
	)
	for _, m := range modes {
		for _, level := range []int{flate.BestSpeed, flate.DefaultCompression, flate.BestCompression} {
			b.Run(fmt.Sprintf("%s/level%d", m.name, level), func(b *testing.B) {
				opts := CompressionOptions{Enabled: true, Threshold: 1, Level: level}
				payload, _, _ := newCompressor(m.p, false, opts).compress(nil, msg)
				var perConn float64
				b.ReportAllocs()
				for b.Loop() {
					var before, after runtime.MemStats
					runtime.GC()
					runtime.GC()
					runtime.ReadMemStats(&before)
					cs := make([]*compressor, conns)
					ds := make([]*decompressor, conns)
					for i := range cs {
						cs[i] = newCompressor(m.p, true, opts)
						if _, _, err := cs[i].compress(nil, msg); err != nil {
							b.Fatal(err)
						}
						ds[i] = newDecompressor(m.p, true)
						if _, err := ds[i].decompress(nil, payload, 1<<20); err != nil {
							b.Fatal(err)
						}
					}
					runtime.GC()
					runtime.GC() // twice: empties the sync.Pool victim cache
					runtime.ReadMemStats(&after)
					perConn = (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / conns
					runtime.KeepAlive(cs)
					runtime.KeepAlive(ds)
				}
				b.ReportMetric(perConn, "B/conn")
			})
		}
	}
}
