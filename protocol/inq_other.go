//go:build !linux

package protocol

import "syscall"

// socketInq reports -1 ("unknown") outside Linux: ReadMessageTo then
// counts only the bytes already in the read buffer, which for messages of
// directReadMin bytes or more means it always takes the ordinary path.
func socketInq(syscall.RawConn) int { return -1 }
