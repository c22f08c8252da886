package protocol

import "sync"

// msgBuf is a reusable byte buffer. Buffers live in a process-wide pool so
// that an idle connection holds none: the Conn takes one when a message
// arrives or a frame is queued and returns it when done.
type msgBuf struct{ b []byte }

// maxPooledBuf: a buffer grown past this (by a large message or batch) is dropped
// rather than pooled, so a burst of huge messages does not pin memory.
const maxPooledBuf = 256 << 10

var msgBufPool = sync.Pool{New: func() any { return new(msgBuf) }}

// getMsgBuf returns an empty buffer, with capacity from earlier use if any.
func getMsgBuf() *msgBuf { return msgBufPool.Get().(*msgBuf) }

// putMsgBuf returns m to the pool; m must not be used afterwards.
func putMsgBuf(m *msgBuf) {
	if cap(m.b) > maxPooledBuf {
		m.b = nil
	}
	m.b = m.b[:0]
	msgBufPool.Put(m)
}

// grow makes room for n more bytes and returns the extended slice's new
// tail, b[len:len+n], which the caller fills.
func (m *msgBuf) grow(n int) []byte {
	l := len(m.b)
	if cap(m.b)-l < n {
		c := 2 * cap(m.b)
		if c < l+n {
			c = l + n
		}
		if c < 512 {
			c = 512
		}
		nb := make([]byte, l, c)
		copy(nb, m.b)
		m.b = nb
	}
	m.b = m.b[:l+n]
	return m.b[l:]
}
