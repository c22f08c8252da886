package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

// serverConnTo starts a test server with opts whose handler hands its Conn
// over (and then only reads), dials it, and returns both ends.
func serverConnTo(t *testing.T, opts Options) (srv, cli *Conn) {
	t.Helper()
	ch := make(chan *Conn, 1)
	url := testServer(t, &Upgrader{Options: opts}, func(c *Conn) {
		ch <- c
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	})
	cli = dialTest(t, url, &DialOptions{Options: Options{MaxMessageSize: 64 << 20}})
	srv = <-ch
	t.Cleanup(func() { srv.CloseNow() })
	return srv, cli
}

// seqMessage is a message of n bytes (n >= 8) that carries its writer and
// sequence number in its first 8 bytes and a pattern derived from them in
// the rest, so that a torn or misordered frame is detected.
func seqMessage(w, i, n int) []byte {
	p := make([]byte, n)
	binary.BigEndian.PutUint32(p, uint32(w))
	binary.BigEndian.PutUint32(p[4:], uint32(i))
	for j := 8; j < n; j++ {
		p[j] = byte(w*31 + i*7 + j)
	}
	return p
}

func checkSeqMessage(p []byte) (w, i int, err error) {
	if len(p) < 8 {
		return 0, 0, fmt.Errorf("message of %d bytes", len(p))
	}
	w, i = int(binary.BigEndian.Uint32(p)), int(binary.BigEndian.Uint32(p[4:]))
	if !bytes.Equal(p, seqMessage(w, i, len(p))) {
		return w, i, fmt.Errorf("writer %d message %d: payload corrupted", w, i)
	}
	return w, i, nil
}

// TestDirectWriteUsedOnTCP: a server Conn over TCP has the non-blocking
// direct writer (Linux), so the tests below exercise it.
func TestDirectWriteUsedOnTCP(t *testing.T) {
	srv, _ := serverConnTo(t, Options{})
	if runtime.GOOS == "linux" && srv.raw == nil {
		t.Fatal("no direct writer on a TCP Conn")
	}
	if srv.raw == nil {
		t.Skip("direct writes are implemented on Linux only")
	}
}

// TestDirectWriteOrderConcurrent: 8 goroutines write messages of sizes
// around directWriteMin (some direct, some queued, some direct and then
// partly queued when the socket buffer fills), with pings, flushes and
// cork/uncork mixed in. Each writer's messages arrive whole and in order,
// and every buffer the writers reuse after Write returns is not sent
// modified (run with -race).
func TestDirectWriteOrderConcurrent(t *testing.T) {
	srv, cli := serverConnTo(t, Options{OutboundQueueBytes: 1 << 20})
	const writers, each = 8, 150
	sizes := []int{8, 100, directWriteMin - 1, directWriteMin, 3 * directWriteMin, 200 << 10}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 0, 200<<10) // reused for every message
			for i := range each {
				msg := append(buf[:0], seqMessage(w, i, sizes[(w+i)%len(sizes)])...)
				for {
					err := srv.Write(MessageBinary, msg)
					if err == nil {
						break
					}
					if !errors.Is(err, ErrQueueFull) {
						t.Errorf("writer %d: %v", w, err)
						return
					}
					time.Sleep(time.Millisecond)
				}
				clear(msg) // the caller may reuse p at once
				switch i % 7 {
				case 3:
					_ = srv.Ping([]byte("p"))
				case 5:
					if err := srv.Flush(); err != nil {
						t.Errorf("flush: %v", err)
					}
				case 6:
					if w == 0 {
						srv.Cork()
						runtime.Gosched()
						_ = srv.Uncork()
					}
				}
			}
		}()
	}
	next := make([]int, writers)
	for range writers * each {
		_, p, err := cli.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		w, i, err := checkSeqMessage(p)
		if err != nil {
			t.Fatal(err)
		}
		if w >= writers || next[w] != i {
			t.Fatalf("writer %d: got message %d, want %d", w, i, next[w])
		}
		next[w]++
	}
	wg.Wait()
}

// TestDirectWriteCorked: while corked, a large message on an empty queue
// goes out at once (it does not wait for Uncork), and one behind queued
// frames waits its turn: order is kept either way.
func TestDirectWriteCorked(t *testing.T) {
	srv, cli := serverConnTo(t, Options{})
	if srv.raw == nil {
		t.Skip("no direct writes on this platform: a corked message waits for Uncork")
	}
	big := seqMessage(0, 1, 64<<10)
	srv.Cork()
	if err := srv.Write(MessageBinary, big); err != nil {
		t.Fatal(err)
	}
	if _, p, err := cli.ReadMessage(); err != nil || !bytes.Equal(p, big) {
		t.Fatalf("large corked write on an empty queue: %v", err)
	}
	small := seqMessage(0, 2, 16)
	big3 := seqMessage(0, 3, 64<<10)
	if err := srv.Write(MessageBinary, small); err != nil {
		t.Fatal(err)
	}
	if err := srv.Write(MessageBinary, big3); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	queued := srv.pending != nil && len(srv.pending.b) > len(big3)
	srv.mu.Unlock()
	if !queued {
		t.Fatal("a large message behind a queued one was not queued")
	}
	if err := srv.Uncork(); err != nil {
		t.Fatal(err)
	}
	for _, want := range [][]byte{small, big3} {
		if _, p, err := cli.ReadMessage(); err != nil || !bytes.Equal(p, want) {
			t.Fatalf("after Uncork: %v", err)
		}
	}
}

// TestDirectWriteQueueLimit: the peer does not read. Large writes go to the
// socket until its buffers are full; then the rest of a partly written
// frame is queued and later writes hit the bound (ErrQueueFull, nothing
// queued). When the peer reads again, exactly the accepted messages arrive,
// whole and in order.
func TestDirectWriteQueueLimit(t *testing.T) {
	const bound = 256 << 10
	srv, cli := serverConnTo(t, Options{OutboundQueueBytes: bound})
	accepted := 0
	full := false
	for i := range 100000 {
		err := srv.Write(MessageBinary, seqMessage(0, i, 48<<10))
		if errors.Is(err, ErrQueueFull) {
			full = true
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		accepted++
	}
	if !full {
		t.Fatal("queue never filled")
	}
	srv.mu.Lock()
	queued := srv.inflight
	if srv.pending != nil {
		queued += len(srv.pending.b)
	}
	srv.mu.Unlock()
	if queued > bound {
		t.Fatalf("%d bytes queued, bound %d", queued, bound)
	}
	if queued == 0 {
		t.Fatal("ErrQueueFull with an empty queue")
	}
	// A control frame still fits in the slack.
	if err := srv.Ping([]byte("still here")); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		for i := range accepted {
			_, p, err := cli.ReadMessage()
			if err == nil {
				var w, n int
				w, n, err = checkSeqMessage(p)
				if err == nil && (w != 0 || n != i) {
					err = fmt.Errorf("got message %d, want %d", n, i)
				}
			}
			if err != nil {
				got <- err
				return
			}
		}
		got <- nil
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("accepted messages not delivered")
	}
	if err := srv.Flush(); err != nil {
		t.Fatal(err)
	}
}

// TestClientWriteLeavesBufferAlone: the client role masks every frame with
// a fresh key; the caller's buffer is never modified, whatever the size,
// and the server reads the original bytes.
func TestClientWriteLeavesBufferAlone(t *testing.T) {
	url := testServer(t, &Upgrader{}, echo)
	c := dialTest(t, url, nil)
	for _, n := range []int{1, 7, 125, 126, directWriteMin, 65536, 1 << 20} {
		p := seqMessage(1, n, max(n, 8))
		orig := bytes.Clone(p)
		if err := c.Write(MessageBinary, p); err != nil {
			t.Fatal(err)
		}
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p, orig) {
			t.Fatalf("n=%d: Write modified the caller's buffer", n)
		}
		if _, got, err := c.ReadMessage(); err != nil || !bytes.Equal(got, orig) {
			t.Fatalf("n=%d: echo: %v", n, err)
		}
	}
}

// TestReadMessageShortReads reads masked client frames of the boundary
// lengths (and a fragmented message, and a text message) through a server
// Conn whose network returns one byte, or half of what is asked, per read.
func TestReadMessageShortReads(t *testing.T) {
	key := [4]byte{0xa1, 0xb2, 0xc3, 0xd4}
	lengths := []int{0, 125, 126, 65535, 65536, 1 << 20}
	var wire []byte
	var want [][]byte
	for _, n := range lengths {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(i*13 + n)
		}
		want = append(want, p)
		wire = appendFrameHeader(wire, true, 0, opBinary, n, true, key)
		s := len(wire)
		wire = append(wire, p...)
		maskBytes(key, 0, wire[s:])
	}
	// A 70000-byte text message in three fragments with a ping between.
	text := bytes.Repeat([]byte("héllo wörld "), 70000/14+1)[:70000]
	want = append(want, text)
	for k, part := range [][]byte{text[:1000], text[1000:66000], text[66000:]} {
		op := opContinuation
		if k == 0 {
			op = opText
		}
		wire = appendFrameHeader(wire, k == 2, 0, op, len(part), true, key)
		s := len(wire)
		wire = append(wire, part...)
		maskBytes(key, 0, wire[s:])
		if k == 0 {
			wire = appendFrameHeader(wire, true, 0, opPing, 0, true, key)
		}
	}
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"onebyte": iotest.OneByteReader,
		"half":    iotest.HalfReader,
	} {
		for _, release := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/release=%v", name, release), func(t *testing.T) {
				nc := &benchConn{r: wrap(bytes.NewReader(wire))}
				c := newConn(nc, nil, connConfig{server: true, opts: Options{ReleaseReadBuffer: release}})
				defer c.CloseNow()
				for k, w := range want {
					_, p, err := c.ReadMessage()
					if err != nil {
						t.Fatalf("message %d: %v", k, err)
					}
					if !bytes.Equal(p, w) {
						t.Fatalf("message %d: %d bytes differ from the %d sent", k, len(p), len(w))
					}
				}
			})
		}
	}
}

// TestDirectWriteCorkedThenClose: corked, large messages to a peer that does
// not read, until one is only partly taken by the socket and its rest is
// queued. Close then queues the close frame behind that rest and is not
// held by the cork: once the peer reads, it gets every message whole, then
// the close frame, and the server finishes.
func TestDirectWriteCorkedThenClose(t *testing.T) {
	srv, cli := serverConnTo(t, Options{OutboundQueueBytes: 64 << 20})
	if srv.raw == nil {
		t.Skip("no direct writes on this platform")
	}
	srv.Cork()
	sent := 0
	for ; sent < 10000; sent++ {
		srv.mu.Lock()
		queued := srv.pending != nil && len(srv.pending.b) > 0
		srv.mu.Unlock()
		if queued {
			break
		}
		if err := srv.Write(MessageBinary, seqMessage(0, sent, 48<<10)); err != nil {
			t.Fatal(err)
		}
	}
	if sent == 10000 {
		t.Fatal("the socket never filled")
	}
	if err := srv.Close(StatusNormalClosure, "bye"); err != nil {
		t.Fatal(err)
	}
	for i := range sent {
		_, p, err := cli.ReadMessage()
		if err != nil {
			t.Fatalf("message %d of %d: %v", i, sent, err)
		}
		if w, n, err := checkSeqMessage(p); err != nil || w != 0 || n != i {
			t.Fatalf("message %d: got %d (%v)", i, n, err)
		}
	}
	_, _, err := cli.ReadMessage()
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != StatusNormalClosure || ce.Reason != "bye" {
		t.Fatalf("after the messages: %v", err)
	}
	waitDone(t, srv)
}
