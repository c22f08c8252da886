//go:build linux

package protocol

import (
	"net"
	"syscall"
	"unsafe"
)

// directWriter makes non-blocking writev attempts on a TCP or Unix socket
// through its syscall.RawConn, which holds the descriptor open for the
// duration of the attempt (a concurrent Close cannot make us write to a
// reused descriptor). Used only by the Conn's flusher of the moment (the
// holder of Conn.flushing), so its fields need no lock.
type directWriter struct {
	raw  syscall.RawConn
	fn   func(fd uintptr) bool // d.attempt, bound once: passing a method value allocates
	bufs [2][]byte             // what to write; cleared after each attempt
	hdr  [maxFrameHeaderSize]byte
	n    int  // bytes the last attempt wrote
	full bool // the last direct frame did not fit the socket buffer
}

// newDirectWriter returns nil when nc gives no access to a socket
// descriptor (TLS, net.Pipe, wrappers): the Conn then always writes through
// nc.Write.
func newDirectWriter(nc net.Conn) *directWriter {
	var sc syscall.Conn
	switch c := nc.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	d := &directWriter{raw: raw}
	d.fn = d.attempt
	return d
}

// try writes as much of a then b as the socket takes without blocking and
// returns how many bytes that was (0 on any error: the caller then queues
// everything and the flusher's blocking write reports the error, if it
// persists). It never waits for the network: the socket is non-blocking
// and the callback always reports done.
func (d *directWriter) try(a, b []byte) int {
	d.bufs[0], d.bufs[1] = a, b
	d.n = 0
	err := d.raw.Write(d.fn)
	d.bufs = [2][]byte{} // do not keep the caller's memory reachable
	if err != nil {
		// Typically a write deadline that expired while no blocking write
		// refreshed it; the blocking path sets a fresh one.
		return 0
	}
	return d.n
}

func (d *directWriter) attempt(fd uintptr) bool {
	var iov [2]syscall.Iovec
	k := 0
	for _, b := range d.bufs {
		if len(b) > 0 {
			iov[k].Base = &b[0]
			iov[k].SetLen(len(b))
			k++
		}
	}
	if k == 0 {
		return true
	}
	for {
		r, _, e := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(k))
		if e == syscall.EINTR {
			continue
		}
		if e == 0 {
			d.n = int(r)
		}
		return true
	}
}
