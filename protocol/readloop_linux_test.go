//go:build linux

package protocol

import (
	"net"
	"syscall"
	"testing"
	"unsafe"
)

// BenchmarkEmptyRead is the read ReadMessages saves per wait: a read of an
// empty socket through RawConn.Read, answered EAGAIN. Its cost on a
// machine is mostly the system call's entry and exit.
func BenchmarkEmptyRead(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	raw := socketOf(nc)
	var buf [4096]byte
	var errno syscall.Errno
	read := func(fd uintptr) bool {
		_, _, errno = syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
		return true
	}
	for b.Loop() {
		if err := raw.Read(read); err != nil {
			b.Fatal(err)
		}
	}
	if errno != syscall.EAGAIN {
		b.Fatalf("the read returned %v, want EAGAIN", errno)
	}
}
