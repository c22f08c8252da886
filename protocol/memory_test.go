package protocol

import (
	"net"
	"runtime"
	"sync"
	"testing"
	"time"
)

// idleConn is a net.Conn that delivers data once, then blocks in Read until
// closed; writes are discarded. It allocates nothing per call, so the heap
// measured around it is the Conn's.
type idleConn struct {
	data   []byte
	once   sync.Once
	closed chan struct{}
	wrote  chan struct{}
	// drained, when set, is closed once data is consumed and Read blocks.
	drained     chan struct{}
	drainedOnce sync.Once
}

func (c *idleConn) Read(p []byte) (int, error) {
	if len(c.data) > 0 {
		n := copy(p, c.data)
		c.data = c.data[n:]
		return n, nil
	}
	if c.drained != nil {
		c.drainedOnce.Do(func() { close(c.drained) })
	}
	<-c.closed
	return 0, net.ErrClosed
}
func (c *idleConn) Write(p []byte) (int, error) {
	select {
	case c.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}
func (c *idleConn) Close() error                       { c.once.Do(func() { close(c.closed) }); return nil }
func (c *idleConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (c *idleConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (c *idleConn) SetDeadline(t time.Time) error      { return nil }
func (c *idleConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *idleConn) SetWriteDeadline(t time.Time) error { return nil }

// TestIdleConnHeap measures the heap an idle server Conn holds while its
// reading goroutine waits in ReadMessage, after one 1000-byte message each
// way (so the message and write buffers were used and went back to their
// pools). It logs the figures (docs/protocol.md quotes them) and fails if an
// idle Conn pins a message or write buffer.
func TestIdleConnHeap(t *testing.T) {
	idleConnHeap(t, Options{}) // warm up pools and runtime structures
	for _, release := range []bool{false, true} {
		per := idleConnHeap(t, Options{ReleaseReadBuffer: release})
		t.Logf("heap per idle server Conn (ReleaseReadBuffer=%v): %d bytes", release, per)
		limit := int64(DefaultReadBufferSize + 1024)
		if release {
			limit = 1024 + 256
		}
		if per > limit {
			t.Errorf("ReleaseReadBuffer=%v: idle Conn holds %d bytes, want <= %d", release, per, limit)
		}
	}
}

// idleConnHeap returns the heap held per idle Conn (its reading goroutine's
// closure included; goroutine stacks are not heap).
func idleConnHeap(t *testing.T, opts Options) int64 {
	const n = 500
	frame := maskedFrames(1000, 1)
	ncs := make([]*idleConn, n)
	for i := range ncs {
		ncs[i] = &idleConn{data: frame, closed: make(chan struct{}), wrote: make(chan struct{}, 1)}
	}
	conns := make([]*Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.CloseNow()
		}
	}()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, nc := range ncs {
		c := newConn(nc, nil, connConfig{server: true, opts: opts})
		conns = append(conns, c)
		go func() {
			for {
				typ, p, err := c.ReadMessage()
				if err != nil {
					return
				}
				_ = c.Write(typ, p)
			}
		}()
	}
	for _, nc := range ncs {
		<-nc.wrote
	}
	// Let the flushers finish and the readers block again.
	for range 100 {
		runtime.Gosched()
	}
	time.Sleep(10 * time.Millisecond)
	runtime.GC()
	runtime.GC() // the second GC empties the pools' victim caches
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(conns)
	return (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
}
