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
	msg := []byte("x")
	// A 16-byte buffer: short reads, read(2). A 1-byte one: every read
	// fills it, so the next is recvmsg (see recv).
	for _, size := range []int{16, 1} {
		p := make([]byte, size)
		allocs := testing.AllocsPerRun(100, func() {
			cli.Write(msg)
			if n, err := sr.read(raw, p); n != 1 || err != nil {
				t.Fatalf("read = %d, %v", n, err)
			}
		})
		if allocs != 0 {
			t.Fatalf("%v allocations per read into %d bytes, want 0", allocs, size)
		}
	}
}

// TestSocketReaderInqHint checks the TCP_INQ count a read leaves in
// socketReader.inq, which payloadReady trusts as a lower bound of what the
// kernel holds. A read whose last read that read anything filled its
// buffer asks for the count (recvmsg); others do not (read(2)) and leave 0. The count is
// exactly the bytes left after the read, and 1 when only the peer's FIN is
// left: the one overstatement, which the next read meets at once as EOF.
func TestSocketReaderInqHint(t *testing.T) {
	srv, cli := tcpPair(t)
	raw := socketOf(srv)
	var sr socketReader
	read := func(size, want, wantInq int) {
		t.Helper()
		if n, err := sr.read(raw, make([]byte, size)); n != want || err != nil {
			t.Fatalf("read of %d = %d, %v; want %d, nil", size, n, err, want)
		}
		if got := sr.kernelHas(); got != wantInq {
			t.Fatalf("after a read of %d bytes, kernelHas = %d; want %d", want, got, wantInq)
		}
	}

	cli.Write(make([]byte, 1000))
	waitKernel(t, raw, 1000)
	read(300, 300, 0)   // the first read: read(2)
	read(300, 300, 400) // after a full read: recvmsg
	read(300, 300, 100) // recvmsg again
	read(300, 100, 0)   // the rest, short: the kernel holds nothing

	cli.Write(make([]byte, 600))
	waitKernel(t, raw, 600)
	read(300, 300, 0) // after a short read: read(2)
	read(300, 300, 0) // after a full read: recvmsg, the kernel holds nothing
	var e syscall.Errno
	_ = raw.Control(func(fd uintptr) { _, e = sr.recv(fd, make([]byte, 100)) })
	if e != syscall.EAGAIN {
		t.Fatalf("a read of the empty socket: errno %v; want EAGAIN", e)
	}
	cli.Write(make([]byte, 500))
	waitKernel(t, raw, 500)
	read(100, 100, 400) // an EAGAIN does not make the read after it read(2)
	read(1000, 400, 0)

	cli.Write([]byte("bye"))
	cli.CloseWrite()
	waitKernel(t, raw, 3)
	time.Sleep(20 * time.Millisecond) // the FIN follows the bytes on loopback
	read(1, 1, 0)                     // after a short read: read(2)
	read(2, 2, 1)                     // recvmsg: only the FIN is left
	if n, err := sr.read(raw, make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("read at FIN = %d, %v; want io.EOF", n, err)
	}
}
