//go:build !linux

package protocol

import (
	"net"
	"syscall"
)

// Non-blocking direct writes are implemented on Linux only; elsewhere
// socketOf reports no socket and every write goes through net.Conn.Write.

func socketOf(net.Conn) syscall.RawConn { return nil }

type directWriter struct{ hdr [maxFrameHeaderSize]byte }

func getDirectWriter() *directWriter { return new(directWriter) }
func putDirectWriter(*directWriter)  {}

func (d *directWriter) try(syscall.RawConn, []byte, []byte) int { return 0 }
