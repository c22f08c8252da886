package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
)

func TestEchoRoundTrip(t *testing.T) {
	url := testServer(t, &Upgrader{}, echo)
	c := dialTest(t, url, nil)
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 1 << 20} {
		msg := bytes.Repeat([]byte("a"), n)
		if err := c.Write(MessageBinary, msg); err != nil {
			t.Fatal(err)
		}
		typ, p, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("len %d: %v", n, err)
		}
		if typ != MessageBinary || !bytes.Equal(p, msg) {
			t.Fatalf("len %d: got type %v len %d", n, typ, len(p))
		}
	}
	if err := c.Write(MessageText, []byte("héllo")); err != nil {
		t.Fatal(err)
	}
	typ, p, err := c.ReadMessage()
	if err != nil || typ != MessageText || string(p) != "héllo" {
		t.Fatalf("got %v %q %v", typ, p, err)
	}
}

func TestCloseHandshakeClientInitiated(t *testing.T) {
	srvErr := make(chan error, 1)
	var srv *Conn
	var mu sync.Mutex
	url := testServer(t, &Upgrader{}, func(c *Conn) {
		mu.Lock()
		srv = c
		mu.Unlock()
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				srvErr <- err
				return
			}
		}
	})
	c := dialTest(t, url, nil)
	if err := c.Close(StatusNormalClosure, "bye"); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.ReadMessage()
	if CloseStatus(err) != StatusNormalClosure {
		t.Fatalf("client got %v", err)
	}
	serr := <-srvErr
	var ce *CloseError
	if !errors.As(serr, &ce) || ce.Code != StatusNormalClosure || ce.Reason != "bye" {
		t.Fatalf("server got %v", serr)
	}
	waitDone(t, c)
	mu.Lock()
	waitDone(t, srv)
	mu.Unlock()
	if err := c.Write(MessageText, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	url := testServer(t, &Upgrader{}, echo)
	c := dialTest(t, url, nil)
	const writers, each = 8, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				msg := fmt.Appendf(nil, "w%d-%d", w, i)
				for {
					err := c.Write(MessageText, msg)
					if err == nil {
						break
					}
					if !errors.Is(err, ErrQueueFull) {
						t.Error(err)
						return
					}
					c.Flush()
				}
			}
		}()
	}
	next := make([]int, writers)
	for range writers * each {
		_, p, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var w, i int
		if _, err := fmt.Sscanf(string(p), "w%d-%d", &w, &i); err != nil {
			t.Fatal(err)
		}
		if next[w] != i {
			t.Fatalf("writer %d: got %d want %d (order)", w, i, next[w])
		}
		next[w]++
	}
	wg.Wait()
}

// TestLargeFrameHeaderDoesNotPreallocate: a header announcing a large frame
// allocates in proportion to the bytes received, not to the announced length.
func TestLargeFrameHeaderDoesNotPreallocate(t *testing.T) {
	hdr := appendFrameHeader(nil, true, 0, opBinary, 8<<20, true, [4]byte{1, 2, 3, 4})
	nc := &idleConn{data: append(hdr, make([]byte, 1000)...), closed: make(chan struct{}),
		wrote: make(chan struct{}, 1), drained: make(chan struct{})}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c := newConn(nc, nil, connConfig{server: true})
	done := make(chan error, 1)
	go func() {
		_, _, err := c.ReadMessage()
		done <- err
	}()
	<-nc.drained // ReadMessage now waits for the rest of the frame
	runtime.ReadMemStats(&after)
	c.CloseNow()
	if err := <-done; CloseStatus(err) != StatusAbnormalClosure {
		t.Fatalf("got %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("allocated %d bytes for a frame of which 1000 bytes arrived", grew)
	}
}
