//go:build linux

package protocol

import (
	"syscall"
	"testing"
	"unsafe"
)

// BenchmarkEmptyRead is the read ReadMessages saves per wait: a read of an
// empty socket through RawConn.Read, answered EAGAIN. Its cost on a
// machine is mostly the system call's entry and exit.
func BenchmarkEmptyRead(b *testing.B) {
	_, nc := tcpPair(b)
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
