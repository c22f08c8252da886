package protocol

import (
	"bytes"
	"errors"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"
)

// readMessagesAsync runs ReadMessages on c in a goroutine, recording each
// message as a string (handle, if not nil, runs after recording), and
// sends the result when it returns.
func readMessagesAsync(c *Conn, handle func(MessageType, []byte)) <-chan messagesResult {
	ch := make(chan messagesResult, 1)
	go func() {
		var r messagesResult
		r.err = c.ReadMessages(nil, func(typ MessageType, p []byte) {
			r.msgs = append(r.msgs, typ.String()+":"+string(p))
			if handle != nil {
				handle(typ, p)
			}
		})
		ch <- r
	}()
	return ch
}

type messagesResult struct {
	msgs []string
	err  error
}

func waitMessages(t *testing.T, ch <-chan messagesResult) messagesResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("ReadMessages did not return within 10s")
		return messagesResult{}
	}
}

// TestReadMessagesCloseInHandler: a handler that closes its own Conn
// (which, inside the socket's RawConn.Read, would wait for itself) returns,
// and the socket is closed once it has.
func TestReadMessagesCloseInHandler(t *testing.T) {
	srv, peer := acceptRaw(t, Options{})
	ch := readMessagesAsync(srv, func(_ MessageType, p []byte) {
		if string(p) == "b" {
			if err := srv.CloseNow(); err != nil {
				t.Errorf("CloseNow: %v", err)
			}
		}
	})
	peer.send(true, 0, 1, []byte("a"))
	peer.send(true, 0, 1, []byte("b"))
	r := waitMessages(t, ch)
	if len(r.msgs) != 2 || r.msgs[1] != "text:b" {
		t.Fatalf("messages %q, want a and b", r.msgs)
	}
	var ce *CloseError
	if !errors.As(r.err, &ce) || ce.Code != StatusAbnormalClosure {
		t.Fatalf("ReadMessages: %v, want an abnormal closure", r.err)
	}
	select {
	case <-srv.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed")
	}
	peer.expectTCPClosed()
}

// TestReadMessagesCloseDuringHandler: CloseNow from another goroutine
// while a handler runs returns at once; the reader closes the socket (and
// Done) when the handler returns.
func TestReadMessagesCloseDuringHandler(t *testing.T) {
	srv, peer := acceptRaw(t, Options{})
	inHandler, release := make(chan struct{}), make(chan struct{})
	ch := readMessagesAsync(srv, func(MessageType, []byte) {
		close(inHandler)
		<-release
	})
	peer.send(true, 0, 2, []byte{1, 2, 3})
	select {
	case <-inHandler:
	case <-time.After(5 * time.Second):
		t.Fatal("the message was not handled")
	}
	closed := make(chan error, 1)
	go func() { closed <- srv.CloseNow() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("CloseNow: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("CloseNow waited for the handler")
	}
	select {
	case <-srv.Done():
		t.Fatal("Done closed while the handler still runs inside the socket's read")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	r := waitMessages(t, ch)
	if len(r.msgs) != 1 || r.err == nil {
		t.Fatalf("messages %q, error %v; want one message and an error", r.msgs, r.err)
	}
	<-srv.Done()
	peer.expectTCPClosed()
}

// TestReadMessagesClientClose: a client Conn that gets the server's close
// frame in the middle of its read buffer (here followed by a data frame,
// which the closing handshake ignores) echoes it, returns the server's
// code, and closes TCP once the server has.
func TestReadMessagesClientClose(t *testing.T) {
	for range 10 {
		nc, server := tcpPair(t)
		c := newConn(nc, nil, connConfig{opts: Options{PingInterval: 20 * time.Millisecond, CloseTimeout: 5 * time.Second}})
		ch := readMessagesAsync(c, nil)
		if _, err := server.Write([]byte("\x81\x02hi\x88\x02\x03\xe8\x81\x02hi")); err != nil {
			t.Fatal(err)
		}
		r := waitMessages(t, ch)
		var ce *CloseError
		if len(r.msgs) != 1 || !errors.As(r.err, &ce) || ce.Code != StatusNormalClosure {
			t.Fatalf("messages %q, error %v; want hi, then the server's 1000", r.msgs, r.err)
		}
		echo := make([]byte, 8)
		_ = server.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := io.ReadAtLeast(server, echo, 4); err != nil || echo[0] != 0x88 {
			t.Fatalf("the client's close echo: %x, %v", echo[:n], err)
		}
		server.Close()
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("the client did not close TCP after the server did")
		}
	}
}

// TestReadMessagesCorksReplies: the replies to messages that arrived
// together wait until the last of them is handled, then leave in order.
func TestReadMessagesCorksReplies(t *testing.T) {
	srv, peer := acceptRaw(t, Options{})
	peerRaw := socketOf(peer.nc)
	if socketInq(peerRaw) < 0 {
		t.Skip("FIONREAD is implemented on Linux only")
	}
	var early []int
	last := make(chan struct{})
	ch := readMessagesAsync(srv, func(typ MessageType, p []byte) {
		if err := srv.Write(typ, p); err != nil {
			t.Errorf("Write: %v", err)
		}
		if string(p) == "4" {
			close(last)
			return
		}
		time.Sleep(5 * time.Millisecond) // time for an uncorked reply to arrive
		early = append(early, socketInq(peerRaw))
	})
	var batch []byte
	for i := range 5 {
		batch = append(batch, peer.frame(0x81, []byte{byte('0' + i)})...)
	}
	peer.write(batch) // one segment: the server reads the five at once
	select {
	case <-last:
	case <-time.After(5 * time.Second):
		t.Fatal("the batch was not handled")
	}
	for i := range 5 {
		peer.expect(1, []byte{byte('0' + i)})
	}
	peer.closeNormally()
	waitMessages(t, ch)
	if len(early) != 4 {
		t.Fatalf("%d messages before the last, want 4", len(early))
	}
	for i, n := range early {
		if n != 0 {
			t.Fatalf("%d reply bytes reached the peer while message %d of the batch was handled", n, i)
		}
	}
}

// TestReadMessagesKeepalive: deadlines keep working under ReadMessages: an
// idle Conn sends keepalive pings, then reads the next message; the peer's
// close ends ReadMessages with its code, echoed.
func TestReadMessagesKeepalive(t *testing.T) {
	srv, peer := acceptRaw(t, Options{PingInterval: 30 * time.Millisecond})
	srv.rd.start() // acceptRaw cleared the deadline
	ch := readMessagesAsync(srv, func(typ MessageType, p []byte) {
		if err := srv.Write(typ, p); err != nil {
			t.Errorf("Write: %v", err)
		}
	})
	peer.send(true, 0, 1, []byte("before"))
	peer.expect(1, []byte("before"))
	peer.expect(9, nil)
	peer.expect(9, nil)
	peer.send(true, 0, 1, []byte("after"))
	for {
		f, err := peer.read()
		if err != nil {
			t.Fatal(err)
		}
		if f.op == 9 {
			continue // a ping sent before "after" arrived
		}
		if f.op != 1 || string(f.payload) != "after" {
			t.Fatalf("got op %d %q, want the echo of after", f.op, f.payload)
		}
		break
	}
	peer.closeNormally()
	r := waitMessages(t, ch)
	var ce *CloseError
	if !errors.As(r.err, &ce) || ce.Code != StatusNormalClosure {
		t.Fatalf("ReadMessages: %v, want the peer's 1000", r.err)
	}
}

// TestReadMessagesAbruptEnd: a peer that sends a message and at once
// closes TCP without a close frame (or resets it) may have its FIN or reset
// arrive before the message is read; ReadMessages still sees the end,
// within the Conn's read deadline period, and reports an abnormal closure.
func TestReadMessagesAbruptEnd(t *testing.T) {
	for _, reset := range []bool{false, true} {
		for i := range 20 {
			srv, peer := acceptRaw(t, Options{PingInterval: 20 * time.Millisecond})
			srv.rd.start()
			ch := readMessagesAsync(srv, nil)
			if i%2 == 1 {
				time.Sleep(time.Millisecond) // let the reader wait first
			}
			if reset {
				_ = peer.nc.(*net.TCPConn).SetLinger(0)
			}
			peer.write(append(peer.frame(0x81, []byte("last")), peer.frame(0x82, []byte{9})...))
			peer.nc.Close()
			r := waitMessages(t, ch)
			var ce *CloseError
			if len(r.msgs) != 2 && !reset || !errors.As(r.err, &ce) || ce.Code != StatusAbnormalClosure {
				t.Fatalf("reset %v, run %d: messages %q, error %v; want both, then an abnormal closure", reset, i, r.msgs, r.err)
			}
		}
	}
}

// TestReadMessagesIdle: with a Poller, ReadMessages returns ErrIdle after
// ParkAfter without input, as ReadMessage does, and reads on once the
// parked Conn is woken.
func TestReadMessagesIdle(t *testing.T) {
	p, err := NewPoller()
	if err != nil {
		t.Skip(err)
	}
	defer p.Close()
	srv, peer := acceptRaw(t, Options{Poller: p, ParkAfter: 30 * time.Millisecond, ReleaseReadBuffer: true})
	srv.rd.start()
	peer.send(true, 0, 1, []byte("one"))
	r := waitMessages(t, readMessagesAsync(srv, nil))
	if !errors.Is(r.err, ErrIdle) || len(r.msgs) != 1 {
		t.Fatalf("messages %q, error %v; want one, then ErrIdle", r.msgs, r.err)
	}
	woken := make(chan struct{})
	if err := srv.Park(func() { close(woken) }); err != nil {
		t.Fatalf("Park: %v", err)
	}
	// One write: ParkAfter must not expire between the two.
	peer.write(append(peer.frame(0x81, []byte("two")), peer.frame(0x81, []byte("three"))...))
	select {
	case <-woken:
	case <-time.After(5 * time.Second):
		t.Fatal("the Poller did not wake the Conn")
	}
	r = waitMessages(t, readMessagesAsync(srv, nil))
	if !errors.Is(r.err, ErrIdle) || len(r.msgs) != 2 || r.msgs[1] != "text:three" {
		t.Fatalf("messages %q, error %v; want two and three, then ErrIdle", r.msgs, r.err)
	}
}

// FuzzReadMessages: ReadMessages on a TCP socket, fed the input in pieces
// of random sizes at random moments, returns the messages and the error
// that ReadMessage returns for the same input read from memory. The read
// buffer is the smallest allowed, so that messages often span reads and
// ReadMessages switches between its in-place loop and ReadMessage's path.
func FuzzReadMessages(f *testing.F) {
	f.Add([]byte("\x81\x05hello\x82\x03abc"))
	f.Add([]byte("\x01\x03par\x89\x02hi\x80\x01t\x81\x00"))
	f.Add([]byte("\x81\x7e\x01\x00" + string(bytes.Repeat([]byte("x"), 256)) + "\x88\x02\x03\xe8"))
	f.Add([]byte("\x81\x03a\xff\xfe"))
	f.Add([]byte("\x8a\x01p\x81\x01q\x08\x00"))
	// A read deadline period (the pings' interval) lets the Conn wait
	// after a short read without reading again (see readInPlace).
	opts := Options{ReadBufferSize: minReadBufferSize, MaxMessageSize: 64 << 10, CloseTimeout: 50 * time.Millisecond,
		PingInterval: 10 * time.Millisecond}
	f.Fuzz(func(t *testing.T, in []byte) {
		var want messagesResult
		ref := newConn(&fuzzConn{r: bytes.NewReader(in)}, nil, connConfig{server: false, opts: opts})
		for range 50 {
			typ, p, err := ref.ReadMessage()
			if err != nil {
				want.err = err
				break
			}
			want.msgs = append(want.msgs, typ.String()+":"+string(p))
		}
		ref.CloseNow()
		if want.err == nil {
			return // too many messages for a quick comparison
		}

		nc, client := tcpPair(t)
		// Role client: the input's frames need no mask.
		c := newConn(nc, nil, connConfig{server: false, opts: opts})
		defer c.CloseNow()
		go func() { _, _ = io.Copy(io.Discard, client) }() // the Conn's pongs and closes
		h := fnv.New64a()
		h.Write(in)
		rng := rand.New(rand.NewPCG(h.Sum64(), 1))
		go func() {
			for b := in; len(b) > 0; {
				n := min(len(b), 1+rng.IntN(300))
				if _, err := client.Write(b[:n]); err != nil {
					return // the Conn failed and closed
				}
				b = b[n:]
				if rng.IntN(3) == 0 {
					time.Sleep(time.Duration(rng.IntN(200)) * time.Microsecond)
				}
			}
			_ = client.CloseWrite()
		}()
		got := waitMessages(t, readMessagesAsync(c, nil))
		if len(got.msgs) != len(want.msgs) {
			t.Fatalf("ReadMessages: %d messages, ReadMessage %d", len(got.msgs), len(want.msgs))
		}
		for i := range got.msgs {
			if got.msgs[i] != want.msgs[i] {
				t.Fatalf("message %d: %.60q, ReadMessage %.60q", i, got.msgs[i], want.msgs[i])
			}
		}
		if got.err.Error() != want.err.Error() {
			t.Fatalf("ReadMessages: %v\nReadMessage:  %v", got.err, want.err)
		}
	})
}

// FuzzMessageBuffered: when messageBuffered reports the next message
// whole, reading it needs no byte beyond the buffer; and when a message
// can be read from the buffer alone, messageBuffered reports it whole (or
// the in-place loop would never handle one). The input is cut at every
// length; the reader under the buffer fails with errWouldBlock past the
// cut, as the in-place loop's read would.
func FuzzMessageBuffered(f *testing.F) {
	f.Add([]byte("\x81\x05hello"))
	f.Add([]byte("\x01\x03par\x89\x02hi\x80\x01t"))
	f.Add([]byte("\x82\x7e\x00\x80" + string(bytes.Repeat([]byte{1}, 128))))
	f.Add([]byte("\x82\x7f\x00\x00\x00\x00\x00\x00\x00\x04abcd"))
	f.Add([]byte("\x09\x01p\x81\x00"))
	f.Add([]byte("\x89\x7e\x00\x80"))
	f.Fuzz(func(t *testing.T, in []byte) {
		for cut := 0; cut <= len(in) && cut <= 512; cut++ {
			r := io.MultiReader(bytes.NewReader(in[:cut]), wouldBlockReader{})
			c := newConn(&fuzzConn{r: r}, nil, connConfig{server: false, opts: Options{ReadBufferSize: 1024}})
			_, _ = c.br.Peek(cut)
			whole := c.messageBuffered()
			_, _, err := c.ReadMessage()
			if whole && errors.Is(err, errWouldBlock) {
				t.Fatalf("cut at %d of %q: reported whole, but reading needed more: %v", cut, in, err)
			}
			if !whole && err == nil {
				t.Fatalf("cut at %d of %q: a message was read from the buffer alone, but messageBuffered said it was not whole", cut, in)
			}
			c.CloseNow()
		}
	})
}

type wouldBlockReader struct{}

func (wouldBlockReader) Read([]byte) (int, error) { return 0, errWouldBlock }
