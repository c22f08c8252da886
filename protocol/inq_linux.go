//go:build linux

package protocol

import (
	"sync"
	"syscall"
	"unsafe"
)

// inqProbe is the state of one FIONREAD query. It comes from a pool for the
// query only (as directWriter does): passing RawConn.Control a closure
// over a local would allocate at every call.
type inqProbe struct {
	fn func(fd uintptr) // p.query, bound once
	n  int
}

var inqProbes = sync.Pool{New: func() any {
	p := new(inqProbe)
	p.fn = p.query
	return p
}}

// socketInq returns how many bytes the kernel holds ready to read on raw
// (ioctl FIONREAD, which is SIOCINQ on a TCP socket), or -1 when it cannot
// tell (no socket, or the ioctl failed, e.g. because the socket was closed).
// It does not block and does not consume anything. The RawConn holds the
// descriptor open during the query, so a concurrent Close cannot make it
// ask a reused descriptor.
func socketInq(raw syscall.RawConn) int {
	if raw == nil {
		return -1
	}
	p := inqProbes.Get().(*inqProbe)
	p.n = -1
	err := raw.Control(p.fn)
	n := p.n
	inqProbes.Put(p)
	if err != nil {
		return -1
	}
	return n
}

func (p *inqProbe) query(fd uintptr) {
	var v int32
	_, _, e := syscall.RawSyscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&v)))
	if e == 0 && v >= 0 {
		p.n = int(v)
	}
}
