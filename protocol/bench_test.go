package protocol

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

var coreBenchSizes = []int{16, 128, 1024, 16 << 10}

// loopReader returns data over and over, as a peer sending the same frames
// forever would.
type loopReader struct {
	data []byte
	off  int
}

func (r *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.data[r.off:])
		n += c
		r.off = (r.off + c) % len(r.data)
	}
	return n, nil
}

// benchConn is a net.Conn reading from a loopReader and discarding writes.
type benchConn struct {
	r io.Reader
}

func (c *benchConn) Read(p []byte) (int, error)         { return c.r.Read(p) }
func (c *benchConn) Write(p []byte) (int, error)        { return len(p), nil }
func (c *benchConn) Close() error                       { return nil }
func (c *benchConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (c *benchConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (c *benchConn) SetDeadline(t time.Time) error      { return nil }
func (c *benchConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *benchConn) SetWriteDeadline(t time.Time) error { return nil }

// maskedFrames returns count masked client frames of a text payload of n bytes.
func maskedFrames(n, count int) []byte {
	key := [4]byte{9, 8, 7, 6}
	payload := []byte(strings.Repeat("abcdefgh", n/8+1)[:n])
	var b []byte
	for range count {
		b = appendFrameHeader(b, true, 0, opText, n, true, key)
		s := len(b)
		b = append(b, payload...)
		maskBytes(key, 0, b[s:])
	}
	return b
}

func BenchmarkFrameRead(b *testing.B) {
	for _, n := range coreBenchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			br := bufio.NewReaderSize(&loopReader{data: maskedFrames(n, 64)}, DefaultReadBufferSize)
			buf := make([]byte, n)
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				h, err := readFrameHeader(br)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(br, buf[:h.length]); err != nil {
					b.Fatal(err)
				}
				maskBytes(h.key, 0, buf[:h.length])
			}
		})
	}
}

func BenchmarkFrameWrite(b *testing.B) {
	for _, n := range coreBenchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			payload := make([]byte, n)
			dst := make([]byte, 0, n+16)
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				dst = appendFrameHeader(dst[:0], true, 0, opBinary, n, false, [4]byte{})
				dst = append(dst, payload...)
			}
		})
	}
}

func BenchmarkMask(b *testing.B) {
	for _, n := range []int{16, 128, 4096, 1 << 20} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			p := make([]byte, n)
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				maskBytes([4]byte{1, 2, 3, 4}, 1, p)
			}
		})
	}
}

func BenchmarkUTF8(b *testing.B) {
	inputs := map[string][]byte{
		"ascii-4k":   bytes.Repeat([]byte("plain ascii text"), 256),
		"mixed-4k":   bytes.Repeat([]byte("κόσμε €𝄞 abc"), 4096/20),
		"ascii-128b": bytes.Repeat([]byte("x"), 128),
	}
	for name, p := range inputs {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				if !validUTF8(p) {
					b.Fatal("invalid")
				}
			}
		})
	}
}

// BenchmarkReadMessage reads whole text messages (masked, validated) through
// a server Conn.
func BenchmarkReadMessage(b *testing.B) {
	for _, n := range coreBenchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			c := newConn(&benchConn{r: &loopReader{data: maskedFrames(n, 64)}}, nil, connConfig{server: true})
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, _, err := c.ReadMessage(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWriteMessage queues a whole message and writes it (Write +
// Flush from the calling goroutine, i.e. one write call per message), and,
// in the corked variant, 16 messages per write call.
func BenchmarkWriteMessage(b *testing.B) {
	for _, n := range coreBenchSizes {
		payload := make([]byte, n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			c := newConn(&benchConn{}, nil, connConfig{server: true})
			c.Cork()
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				if err := c.Write(MessageBinary, payload); err != nil {
					b.Fatal(err)
				}
				if err := c.Flush(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(strconv.Itoa(n)+"-batch16", func(b *testing.B) {
			c := newConn(&benchConn{}, nil, connConfig{server: true})
			c.Cork()
			b.ReportAllocs()
			b.SetBytes(int64(n))
			i := 0
			for b.Loop() {
				if err := c.Write(MessageBinary, payload); err != nil {
					b.Fatal(err)
				}
				if i++; i%16 == 0 {
					if err := c.Flush(); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run(strconv.Itoa(n)+"-client", func(b *testing.B) {
			c := newConn(&benchConn{}, nil, connConfig{server: false})
			c.Cork()
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				if err := c.Write(MessageBinary, payload); err != nil {
					b.Fatal(err)
				}
				if err := c.Flush(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWritePrepared writes one prepared message (server role).
func BenchmarkWritePrepared(b *testing.B) {
	pm, _ := NewPreparedMessage(MessageText, bytes.Repeat([]byte("x"), 128))
	c := newConn(&benchConn{}, nil, connConfig{server: true})
	c.Cork()
	b.ReportAllocs()
	for b.Loop() {
		if err := c.WritePrepared(pm); err != nil {
			b.Fatal(err)
		}
		if err := c.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEchoLoopback is a whole echo round trip over loopback TCP
// between our client and server (each message written and read back).
func BenchmarkEchoLoopback(b *testing.B) {
	for _, release := range []bool{false, true} {
		name := "default"
		if release {
			name = "release-read-buffer"
		}
		b.Run(name, func(b *testing.B) { benchEchoLoopback(b, Options{ReleaseReadBuffer: release}) })
	}
}

func benchEchoLoopback(b *testing.B, opts Options) {
	url := testServer(b, &Upgrader{Options: opts}, func(c *Conn) {
		for {
			typ, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			c.Cork()
			if c.Write(typ, p) != nil {
				return
			}
			if c.Buffered() == 0 {
				if c.Uncork() != nil {
					return
				}
			}
		}
	})
	c := dialTest(b, url, nil)
	msg := bytes.Repeat([]byte("e"), 128)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Write(MessageText, msg); err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteTCP writes server-role binary messages to a loopback TCP
// peer that discards them, corked (Cork, Write, Uncork, as the host replies)
// or not (Write then Flush, as a publish to another connection): the direct
// path (writev from the caller, no queue copy) against the queue with copy
// and, uncorked, a flusher goroutine ("queued": the direct writer switched
// off).
func BenchmarkWriteTCP(b *testing.B) {
	for _, n := range []int{16, 16 << 10, 64 << 10} {
		for _, corked := range []bool{true, false} {
			for _, direct := range []bool{true, false} {
				name := strconv.Itoa(n) + "/direct"
				if !direct {
					name = strconv.Itoa(n) + "/queued"
				}
				if !corked {
					name += "-uncorked"
				}
				b.Run(name, func(b *testing.B) {
					ch := make(chan *Conn, 1)
					url := testServer(b, &Upgrader{}, func(c *Conn) {
						ch <- c
						<-c.Done()
					})
					peer := rawConnect(b, url, "")
					_ = peer.nc.SetDeadline(time.Time{})
					go func() { _, _ = io.Copy(io.Discard, peer.br) }()
					c := <-ch
					defer c.CloseNow()
					if !direct {
						c.raw = nil
					}
					p := make([]byte, n)
					b.ReportAllocs()
					b.SetBytes(int64(n))
					// CPU of the whole process, the discarding peer included:
					// on a loaded machine wall time says little.
					cpu := processCPU()
					defer func() { b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op") }()
					for b.Loop() {
						if corked {
							c.Cork()
						}
						if err := c.Write(MessageBinary, p); err != nil {
							b.Fatal(err)
						}
						var err error
						if corked {
							err = c.Uncork()
						} else {
							err = c.Flush()
						}
						if err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}
