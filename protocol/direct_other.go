//go:build !linux

package protocol

import (
	"errors"
	"net"
	"sync"
	"syscall"
)

// Non-blocking direct writes and raw reads are implemented on Linux only;
// elsewhere socketOf reports no socket, and every write and read goes
// through net.Conn.

func socketOf(net.Conn) syscall.RawConn { return nil }

type directWriter struct{ hdr [maxFrameHeaderSize]byte }

func getDirectWriter() *directWriter { return new(directWriter) }
func putDirectWriter(*directWriter)  {}

func (d *directWriter) try(syscall.RawConn, []byte, []byte) int { return 0 }

type socketReader struct{ direct bool }

var socketReaders = sync.Pool{New: func() any { return new(socketReader) }}

func (*socketReader) read(syscall.RawConn, []byte) (int, error) { return 0, errors.ErrUnsupported }

func (*socketReader) readOnce([]byte) (int, error) { return 0, errors.ErrUnsupported }

func (*socketReader) kernelHas() int { return 0 }
func (*socketReader) forget()        {}

// readInPlace is never called: without a socket, inPlaceReady is false.
func (c *Conn) readInPlace(RoomFunc, func(MessageType, []byte)) error { return nil }
