//go:build linux

package protocol

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// The socket's own reads and writes (and the FIONREAD query) are made with
// syscall.RawSyscall, not syscall.Syscall. The socket is non-blocking, so
// none of them can block: they return EAGAIN instead, and the waiting is
// done by Go's netpoller, as for net.Conn. A raw system call skips the
// runtime's entersyscall/exitsyscall, and, what matters more, sysmon does
// not see a goroutine in a system call: a 64 KiB read or write takes long
// enough that sysmon would otherwise hand the goroutine's P to another
// thread (and wake one to take it) in the middle of the copy.

// socketOf returns the socket under nc for raw reads and writes, or nil when
// nc gives no access to one (TLS, net.Pipe, wrappers): the Conn then reads
// and writes through nc. The RawConn holds the descriptor open for the
// duration of each attempt, so a concurrent Close cannot make us write to a
// reused descriptor. On a TCP socket it also turns on TCP_INQ (see
// socketReader.inq).
func socketOf(nc net.Conn) syscall.RawConn {
	var sc syscall.Conn
	tcp := false
	switch c := nc.(type) {
	case *net.TCPConn:
		sc, tcp = c, true
	case *net.UnixConn:
		sc = c
	default:
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	if tcp {
		// Without it (a kernel before 4.18) reads carry no hint, and
		// payloadReady asks FIONREAD as before.
		_ = raw.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpINQ, 1)
		})
	}
	return raw
}

// tcpINQ is TCP_INQ, the socket option, which is also TCP_CM_INQ, the type
// of the control message it adds to each recvmsg(2) (linux/tcp.h).
const tcpINQ = 36

// directWriter is the state of non-blocking write attempts. A Conn takes
// one from a pool for the holder of its flusher role (Conn.flushing), so
// it is never used by two goroutines at once, and keeps it while its
// reader is awake (see Conn.keepBufLocked).
type directWriter struct {
	fn   func(fd uintptr) bool // d.attempt, bound at the first write: passing a method value allocates
	bufs [2][]byte             // what to write; cleared after each attempt
	hdr  [maxFrameHeaderSize]byte
	n    int // bytes the last attempt wrote
}

var directWriters = sync.Pool{New: func() any { return new(directWriter) }}

func getDirectWriter() *directWriter  { return directWriters.Get().(*directWriter) }
func putDirectWriter(d *directWriter) { directWriters.Put(d) }

// try writes as much of a then b to raw as the socket takes without
// blocking and returns how many bytes that was (0 on any error: the caller
// then queues everything and the flusher's blocking write reports the
// error, if it persists). It never waits for the network: the socket is
// non-blocking and the callback always reports done.
func (d *directWriter) try(raw syscall.RawConn, a, b []byte) int {
	if d.fn == nil {
		d.fn = d.attempt
	}
	d.bufs[0], d.bufs[1] = a, b
	d.n = 0
	err := raw.Write(d.fn)
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
		var r uintptr
		var e syscall.Errno
		if k == 1 {
			// One buffer (a flush of the queue, a prepared frame): write(2)
			// spares the kernel importing an iovec array.
			r, _, e = syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(iov[0].Base)), uintptr(iov[0].Len))
		} else {
			r, _, e = syscall.RawSyscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(k))
		}
		if e == syscall.EINTR {
			continue
		}
		if e == 0 {
			d.n = int(r)
		}
		return true
	}
}

// socketReader reads a Conn's socket (see the raw system calls above). The
// Conn's reader takes one from a pool at its first read and gives it back
// when the Conn parks: fn is bound once, as passing RawConn.Read a method
// value or a closure over locals would allocate at every read.
type socketReader struct {
	fn    func(fd uintptr) bool // r.attempt, bound at the first read
	buf   []byte                // what to read into; cleared after each read
	n     int
	errno syscall.Errno

	// inq is how many bytes the kernel still held for the socket after
	// the last read, from the TCP_INQ control message that read carried;
	// 0 when it carried none (it was a read(2), see recv; TCP_INQ is off;
	// the socket is not TCP). Only this reader consumes the socket, so the
	// count can only have grown since: a lower bound, which lets
	// payloadReady skip the FIONREAD ioctl, a system call per large
	// message. One exception: once the peer's FIN has arrived and every
	// byte before it was read, the kernel reports 1, so that the reader
	// goes on to read the EOF; a read trusting that byte meets the EOF at
	// once, without waiting.
	inq  int
	bulk bool // the last read that read anything filled its buffer: recv asks for inq

	// Conn.readInPlace's loop; see serve.
	serveFn func(fd uintptr) bool // r.serve, bound at the first use
	conn    *Conn
	room    RoomFunc
	handle  func(MessageType, []byte)
	fd      int   // the socket, while serve runs
	direct  bool  // serve is reading: readNet reads fd once (readOnce)
	drained bool  // the last readOnce was short: the socket had no more bytes
	closing bool  // serve left the socket's close to readInPlace
	err     error // the read error that stopped serve

	// recvmsg's arguments (see recv), last: the loop above does not touch them.
	msg syscall.Msghdr
	iov syscall.Iovec
	oob [cmsgInqSpace]byte
}

var socketReaders = sync.Pool{New: func() any { return new(socketReader) }}

// cmsgInqSpace is the room one TCP_CM_INQ control message (an int32)
// takes; cmsgInqData is the offset of its value.
const (
	cmsgInqData  = (syscall.SizeofCmsghdr + cmsgAlign - 1) &^ (cmsgAlign - 1)
	cmsgInqSpace = cmsgInqData + (4+cmsgAlign-1)&^(cmsgAlign-1)
	cmsgAlign    = int(unsafe.Sizeof(uintptr(0)))
)

// kernelHas is inq: how many bytes the kernel is known to hold for the
// socket (at least; see inq).
func (r *socketReader) kernelHas() int { return r.inq }

// forget drops what r knows of its socket, before it goes back to the pool.
func (r *socketReader) forget() { r.inq, r.bulk = 0, false }

// read reads into p (len(p) > 0) from raw, waiting in the netpoller while
// the socket is empty, as net.Conn.Read does: deadlines, a Close and EOF
// give the same errors.
func (r *socketReader) read(raw syscall.RawConn, p []byte) (int, error) {
	if r.fn == nil {
		r.fn = r.attempt
	}
	r.buf, r.n, r.errno = p, 0, 0
	err := raw.Read(r.fn)
	r.buf = nil // do not keep the read buffer reachable
	switch {
	case err != nil:
		return 0, err
	case r.errno != 0:
		return 0, os.NewSyscallError("read", r.errno)
	case r.n == 0:
		return 0, io.EOF
	}
	return r.n, nil
}

// attempt is one non-blocking read; false asks RawConn.Read to wait for
// input and call it again.
func (r *socketReader) attempt(fd uintptr) bool {
	n, e := r.recv(fd, r.buf)
	switch e {
	case 0:
		r.n = n
	case syscall.EAGAIN:
		return false
	default:
		r.errno = e
	}
	return true
}

// recv is one non-blocking read of fd into p (len(p) > 0), retried when a
// signal interrupts it. After a read that filled its buffer, as the reads
// of a large message do (an EAGAIN in between does not count), it is
// recvmsg(2), which brings the TCP_INQ count into r.inq; after a short
// read it is read(2), which costs less: on the 1000x1x32B echo,
// recvmsg for every read cost 0.4 µs more per message (docs/benchmarks.md,
// "What to change", item 12).
func (r *socketReader) recv(fd uintptr, p []byte) (int, syscall.Errno) {
	r.inq = 0
	if !r.bulk {
		n, e := sysRead(fd, p)
		if e == 0 {
			r.bulk = n == len(p)
		}
		return n, e
	}
	r.iov.Base = &p[0]
	r.iov.SetLen(len(p))
	r.msg.Iov, r.msg.Iovlen = &r.iov, 1
	r.msg.Control = &r.oob[0]
	var n uintptr
	var e syscall.Errno
	for {
		r.msg.SetControllen(len(r.oob))
		n, _, e = syscall.RawSyscall(syscall.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&r.msg)), 0)
		if e != syscall.EINTR {
			break
		}
	}
	if e == 0 && int(r.msg.Controllen) >= cmsgInqData+4 {
		h := (*syscall.Cmsghdr)(unsafe.Pointer(&r.oob[0]))
		if h.Level == syscall.IPPROTO_TCP && h.Type == tcpINQ {
			r.inq = int(*(*int32)(unsafe.Pointer(&r.oob[cmsgInqData])))
		}
	}
	r.iov.Base, r.msg.Iov, r.msg.Control = nil, nil, nil // do not keep p reachable
	if e == 0 {
		r.bulk = int(n) == len(p)
	}
	return int(n), e
}

// sysRead is one non-blocking read(2) of fd into p (len(p) > 0), retried
// when a signal interrupts it.
func sysRead(fd uintptr, p []byte) (int, syscall.Errno) {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		if e != syscall.EINTR {
			return int(n), e
		}
	}
}
