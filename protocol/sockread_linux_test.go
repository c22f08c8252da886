package protocol

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// readWith reads into a buffer of n bytes from c, with the socketReader
// when raw, else with net.Conn.Read.
func readWith(c *net.TCPConn, sr *socketReader, raw bool, n int) (string, error) {
	p := make([]byte, n)
	var k int
	var err error
	if raw {
		k, err = sr.read(socketOf(c), p)
	} else {
		k, err = c.Read(p)
	}
	return string(p[:k]), err
}

// TestSocketReaderLikeNetConn checks that the raw socket reader returns
// what net.Conn.Read returns in every situation connReader tells apart:
// data (waiting for it, and a short read), an expired deadline, the peer's
// FIN, a reset, and a local Close while waiting.
func TestSocketReaderLikeNetConn(t *testing.T) {
	for _, raw := range []bool{false, true} {
		name := map[bool]string{false: "net.Conn", true: "socketReader"}[raw]
		t.Run(name, func(t *testing.T) {
			var sr socketReader

			srv, cli := tcpPair(t)
			go func() {
				time.Sleep(20 * time.Millisecond) // the reader waits first
				cli.Write([]byte("hello"))
			}()
			if got, err := readWith(srv, &sr, raw, 3); got != "hel" || err != nil {
				t.Fatalf("waiting read = %q, %v; want \"hel\", nil", got, err)
			}
			if got, err := readWith(srv, &sr, raw, 64); got != "lo" || err != nil {
				t.Fatalf("short read = %q, %v; want \"lo\", nil", got, err)
			}

			srv.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			if _, err := readWith(srv, &sr, raw, 8); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("read past the deadline: %v; want os.ErrDeadlineExceeded", err)
			}
			srv.SetReadDeadline(time.Time{})

			cli.Write([]byte("bye"))
			cli.CloseWrite()
			if got, err := readWith(srv, &sr, raw, 8); got != "bye" || err != nil {
				t.Fatalf("read before FIN = %q, %v", got, err)
			}
			if got, err := readWith(srv, &sr, raw, 8); got != "" || err != io.EOF {
				t.Fatalf("read at FIN = %q, %v; want io.EOF", got, err)
			}

			srv, cli = tcpPair(t)
			cli.SetLinger(0)
			cli.Close() // sends RST
			time.Sleep(20 * time.Millisecond)
			if _, err := readWith(srv, &sr, raw, 8); !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("read after RST: %v; want ECONNRESET", err)
			}

			srv, _ = tcpPair(t)
			go func() {
				time.Sleep(20 * time.Millisecond)
				srv.Close()
			}()
			if _, err := readWith(srv, &sr, raw, 8); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("read interrupted by Close: %v; want net.ErrClosed", err)
			}
			if sr.buf != nil {
				t.Fatal("socketReader kept the caller's buffer")
			}
		})
	}
}

// TestSocketReaderNoAlloc: a read allocates nothing once the reader is
// bound.
func TestSocketReaderNoAlloc(t *testing.T) {
	srv, cli := tcpPair(t)
	raw := socketOf(srv)
	var sr socketReader
	p := make([]byte, 16)
	msg := []byte("x")
	allocs := testing.AllocsPerRun(100, func() {
		cli.Write(msg)
		if n, err := sr.read(raw, p); n != 1 || err != nil {
			t.Fatalf("read = %d, %v", n, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per read, want 0", allocs)
	}
}
