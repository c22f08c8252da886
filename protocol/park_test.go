//go:build linux

package protocol

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newTestPoller(t testing.TB) *Poller {
	t.Helper()
	p, err := NewPoller()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// parkedServer serves every Conn like echo, parking it whenever it waits
// for input, and counts the goroutines reading at any moment. ended
// receives each Conn's final ReadMessage error.
type parkedServer struct {
	reading atomic.Int64
	wakes   atomic.Int64
	ended   chan error
}

func (s *parkedServer) serve(c *Conn) {
	var run func()
	run = func() {
		s.wakes.Add(1)
		s.reading.Add(1)
		defer s.reading.Add(-1)
		for {
			typ, p, err := c.ReadMessage()
			if errors.Is(err, ErrIdle) {
				if c.Park(run) == nil {
					return
				}
				continue
			}
			if err != nil {
				s.ended <- err
				return
			}
			if err := c.Write(typ, p); err != nil {
				s.ended <- err
				return
			}
		}
	}
	if c.Park(run) != nil {
		s.wakes.Add(-1) // run below is not a wake-up
		run()
	}
}

func startParked(t *testing.T, opts Options) (*parkedServer, string) {
	t.Helper()
	s := &parkedServer{ended: make(chan error, 1000)}
	return s, testServer(t, &Upgrader{Options: opts}, s.serve)
}

// eventually polls cond every 5 ms for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("after 5s: %s", what)
}

func expectEnd(t *testing.T, s *parkedServer) error {
	t.Helper()
	select {
	case err := <-s.ended:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("the server's ReadMessage did not end within 5s")
	}
	return nil
}

func TestParkEchoWithoutGoroutine(t *testing.T) {
	p := newTestPoller(t)
	s, url := startParked(t, Options{Poller: p, ParkAfter: 20 * time.Millisecond})
	c := dialTest(t, url, nil)
	eventually(t, "the new Conn is parked", func() bool { return p.Parked() == 1 && s.reading.Load() == 0 })
	for i := range 3 {
		msg := fmt.Sprintf("message %d", i)
		if err := c.Write(MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.ReadMessage()
		if err != nil || string(got) != msg {
			t.Fatalf("echo %d: %q, %v", i, got, err)
		}
		// ParkAfter without input: the reader parks again and ends.
		eventually(t, "the Conn parks again", func() bool { return s.reading.Load() == 0 })
	}
	if w := s.wakes.Load(); w != 3 {
		t.Errorf("woken %d times for 3 messages, want 3", w)
	}
	c.Close(StatusNormalClosure, "")
	var ce *CloseError
	if err := expectEnd(t, s); !errors.As(err, &ce) || ce.Code != StatusNormalClosure {
		t.Fatalf("server's end: %v, want close 1000", err)
	}
	eventually(t, "the closed Conn leaves the Poller", func() bool { return p.registered() == 0 })
}

// TestParkGivesBuffersBack: while its reader is awake a parkable Conn keeps
// a spare queue buffer, its directWriter and its socketReader between
// messages (no pool round trip per reply); once parked it holds none.
func TestParkGivesBuffersBack(t *testing.T) {
	p := newTestPoller(t)
	type held struct{ spare, writer, reader bool }
	heldNow := func(c *Conn) held {
		c.mu.Lock()
		defer c.mu.Unlock()
		return held{c.spare != nil, c.dw != nil, c.rd.sock != nil}
	}
	report := make(chan held, 2)
	url := testServer(t, &Upgrader{Options: Options{Poller: p, ParkAfter: 20 * time.Millisecond}}, func(c *Conn) {
		typ, msg, err := c.ReadMessage()
		if err != nil {
			t.Error(err)
			return
		}
		if err := c.Write(typ, msg); err != nil {
			t.Error(err)
			return
		}
		if err := c.Flush(); err != nil {
			t.Error(err)
			return
		}
		report <- heldNow(c) // c.rd is this goroutine's
		if _, _, err := c.ReadMessage(); !errors.Is(err, ErrIdle) {
			t.Errorf("ReadMessage without input: %v, want ErrIdle", err)
			return
		}
		// The wake-up (the client's close, at the end) must not touch c.rd:
		// the race detector cannot see that it follows this goroutine's
		// last look at it through the network.
		if err := c.Park(func() { c.CloseNow() }); err != nil {
			t.Error(err)
			return
		}
		report <- heldNow(c)
	})
	c := dialTest(t, url, nil)
	if err := c.Write(MessageBinary, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.ReadMessage(); err != nil || string(got) != "ping" {
		t.Fatalf("echo: %q, %v", got, err)
	}
	if h := <-report; h != (held{true, true, true}) {
		t.Errorf("awake after a reply: spare, writer, reader held = %v, want all", h)
	}
	if h := <-report; h != (held{}) {
		t.Errorf("parked: spare, writer, reader held = %v, want none", h)
	}
}

// TestParkManyIdle: parked Conns hold no goroutine.
func TestParkManyIdle(t *testing.T) {
	const n = 200
	p := newTestPoller(t)
	s, url := startParked(t, Options{Poller: p})
	base := runtime.NumGoroutine()
	conns := make([]*Conn, n)
	for i := range conns {
		conns[i] = dialTest(t, url, nil)
	}
	eventually(t, "every Conn parked", func() bool { return p.Parked() == n })
	// The accept loop, the Poller and stray runtime goroutines: not n.
	if g := runtime.NumGoroutine() - base; g > 10 {
		t.Errorf("%d goroutines more with %d parked Conns", g, n)
	}
	// Every one of them still answers.
	for i, c := range conns {
		if err := c.Write(MessageBinary, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range conns {
		_, got, err := c.ReadMessage()
		if err != nil || len(got) != 1 || got[0] != byte(i) {
			t.Fatalf("conn %d: %v %v", i, got, err)
		}
	}
	// ParkAfter (1 s) without another message parks every one again.
	eventually(t, "every Conn parked again", func() bool { return p.Parked() == n && s.reading.Load() == 0 })
}

// TestParkKeepalive: a parked Conn still sends its keepalive pings and
// fails with 1001 at its idle timeout.
func TestParkKeepalive(t *testing.T) {
	p := newTestPoller(t)
	s, url := startParked(t, Options{Poller: p, ParkAfter: 10 * time.Millisecond, PingInterval: 60 * time.Millisecond, IdleTimeout: 250 * time.Millisecond})
	peer := rawConnect(t, url, "")
	start := time.Now()
	peer.expect(byte(opPing), nil)
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("first ping after %v, want about 60ms", d)
	}
	pings := 1
	for {
		f, err := peer.read()
		if err != nil {
			t.Fatal(err)
		}
		if f.op != byte(opPing) {
			if f.op != byte(opClose) || len(f.payload) < 2 || StatusCode(f.payload[0])<<8|StatusCode(f.payload[1]) != StatusGoingAway {
				t.Fatalf("want pings then close 1001, got op %d %q", f.op, f.payload)
			}
			break
		}
		pings++
	}
	if pings < 3 || pings > 5 {
		t.Errorf("%d pings in 250ms at a 60ms interval", pings)
	}
	if d := time.Since(start); d < 240*time.Millisecond || d > 2*time.Second {
		t.Errorf("idle timeout after %v, want about 250ms", d)
	}
	if err := expectEnd(t, s); !errors.Is(err, ErrIdleTimeout) {
		t.Fatalf("server's end: %v, want ErrIdleTimeout", err)
	}
}

// TestParkPongKeepsAlive: input (a pong) resets the quiet time of a parked Conn.
func TestParkPongKeepsAlive(t *testing.T) {
	p := newTestPoller(t)
	s, url := startParked(t, Options{Poller: p, ParkAfter: 10 * time.Millisecond, PingInterval: 50 * time.Millisecond, IdleTimeout: 150 * time.Millisecond})
	peer := rawConnect(t, url, "")
	deadline := time.Now().Add(400 * time.Millisecond)
	for time.Now().Before(deadline) {
		peer.expect(byte(opPing), nil)
		peer.send(true, 0, byte(opPong), nil)
	}
	select {
	case err := <-s.ended:
		t.Fatalf("a Conn answering pings ended: %v", err)
	default:
	}
	peer.closeNormally()
	expectEnd(t, s)
}

func TestParkServerCloseWhileParked(t *testing.T) {
	p := newTestPoller(t)
	var mu sync.Mutex
	var srv *Conn
	s := &parkedServer{ended: make(chan error, 1)}
	url := testServer(t, &Upgrader{Options: Options{Poller: p}}, func(c *Conn) {
		mu.Lock()
		srv = c
		mu.Unlock()
		s.serve(c)
	})
	peer := rawConnect(t, url, "")
	eventually(t, "parked", func() bool { return p.Parked() == 1 })
	mu.Lock()
	_ = srv.Close(4001, "bye")
	mu.Unlock()
	peer.expectClose(4001)
	peer.send(true, 0, byte(opClose), []byte{0x0f, 0xa1})
	var ce *CloseError
	if err := expectEnd(t, s); !errors.As(err, &ce) || ce.Code != 4001 {
		t.Fatalf("server's end: %v, want the echoed 4001", err)
	}
	peer.expectTCPClosed()
}

func TestParkPeerDropsTCP(t *testing.T) {
	p := newTestPoller(t)
	s, url := startParked(t, Options{Poller: p})
	peer := rawConnect(t, url, "")
	eventually(t, "parked", func() bool { return p.Parked() == 1 })
	peer.nc.Close()
	var ce *CloseError
	if err := expectEnd(t, s); !errors.As(err, &ce) || ce.Code != StatusAbnormalClosure {
		t.Fatalf("server's end: %v, want 1006", err)
	}
}

// TestParkCloseNowWhileParked: closing TCP from our side wakes the reader.
func TestParkCloseNowWhileParked(t *testing.T) {
	p := newTestPoller(t)
	conns := make(chan *Conn, 1)
	s := &parkedServer{ended: make(chan error, 1)}
	url := testServer(t, &Upgrader{Options: Options{Poller: p}}, func(c *Conn) {
		conns <- c
		s.serve(c)
	})
	_ = rawConnect(t, url, "")
	c := <-conns
	eventually(t, "parked", func() bool { return p.Parked() == 1 })
	if err := c.CloseNow(); err != nil {
		t.Fatal(err)
	}
	if err := expectEnd(t, s); err == nil {
		t.Fatal("no error after CloseNow")
	}
	if p.registered() != 0 {
		t.Fatal("a closed Conn is still registered")
	}
}

func TestParkRefused(t *testing.T) {
	p := newTestPoller(t)
	t.Run("no poller", func(t *testing.T) {
		a, b := net.Pipe()
		defer b.Close()
		c := newConn(a, nil, connConfig{server: true})
		defer c.CloseNow()
		if err := c.Park(func() {}); !errors.Is(err, ErrNotPollable) {
			t.Fatalf("Park: %v, want ErrNotPollable", err)
		}
	})
	t.Run("not a socket", func(t *testing.T) {
		a, b := net.Pipe()
		defer b.Close()
		c := newConn(a, nil, connConfig{server: true, opts: Options{Poller: p}})
		defer c.CloseNow()
		if err := c.Park(func() {}); !errors.Is(err, ErrNotPollable) {
			t.Fatalf("Park: %v, want ErrNotPollable", err)
		}
	})
	t.Run("input buffered", func(t *testing.T) {
		nc, _ := tcpPair(t)
		frame := []byte{0x81, 0x80, 1, 2, 3, 4} // an empty masked text message
		br := bufio.NewReader(bytes.NewReader(frame))
		_, _ = br.Peek(len(frame))
		c := newConn(nc, br, connConfig{server: true, opts: Options{Poller: p}})
		defer c.CloseNow()
		if err := c.Park(func() { t.Error("woken") }); err == nil {
			t.Fatal("parked with a message buffered")
		}
		if typ, msg, err := c.ReadMessage(); err != nil || typ != MessageText || len(msg) != 0 {
			t.Fatalf("ReadMessage: %v %q %v", typ, msg, err)
		}
	})
}

// TestPollerCloseWakesParked: closing the Poller hands every parked Conn
// back to a goroutine, which goes on serving it.
func TestPollerCloseWakesParked(t *testing.T) {
	p, err := NewPoller()
	if err != nil {
		t.Fatal(err)
	}
	s, url := startParked(t, Options{Poller: p, ParkAfter: 10 * time.Millisecond})
	c := dialTest(t, url, nil)
	eventually(t, "parked", func() bool { return p.Parked() == 1 })
	p.Close()
	eventually(t, "woken", func() bool { return s.reading.Load() == 1 })
	if err := c.Write(MessageText, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.ReadMessage(); err != nil || string(got) != "still here" {
		t.Fatalf("after Poller.Close: %q %v", got, err)
	}
}

// TestParkHammer: many Conns sending at random intervals around ParkAfter,
// so that parking, waking, keepalive timers and input race; every message
// is echoed once, in order. Run it under -race.
func TestParkHammer(t *testing.T) {
	const conns, msgs = 40, 30
	p := newTestPoller(t)
	_, url := startParked(t, Options{Poller: p, ParkAfter: 3 * time.Millisecond, PingInterval: 7 * time.Millisecond})
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dialTest(t, url, nil)
			for j := range msgs {
				time.Sleep(time.Duration(rand.IntN(6000)) * time.Microsecond)
				want := fmt.Sprintf("%d/%d", i, j)
				if err := c.Write(MessageText, []byte(want)); err != nil {
					errs <- err
					return
				}
				_, got, err := c.ReadMessage()
				if err != nil || string(got) != want {
					errs <- fmt.Errorf("conn %d message %d: %q, %v", i, j, got, err)
					return
				}
			}
			c.Close(StatusNormalClosure, "")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
