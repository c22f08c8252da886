package protocol

import (
	"bytes"
	"errors"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// roomRecorder is a RoomFunc that lends a fresh buffer of the size asked
// and remembers the calls.
type roomRecorder struct {
	calls  int
	typ    MessageType
	n      int
	buf    []byte
	before func() // runs inside the call, before the room is returned
}

func (r *roomRecorder) room(typ MessageType, n int) []byte {
	r.calls++
	r.typ, r.n = typ, n
	r.buf = make([]byte, n)
	if r.before != nil {
		r.before()
	}
	return r.buf
}

// sameSlice reports whether p is exactly b (same array, same length).
func sameSlice(p, b []byte) bool {
	return len(p) == len(b) && (len(p) == 0 || &p[0] == &b[0])
}

// acceptRaw returns the server Conn of a connection whose client is a
// rawPeer (masking its frames), for tests that drive ReadMessageTo from the
// test goroutine.
func acceptRaw(t *testing.T, opts Options) (*Conn, *rawPeer) {
	t.Helper()
	ch := make(chan *Conn, 1)
	url := testServer(t, &Upgrader{Options: opts}, func(c *Conn) { ch <- c })
	peer := rawConnect(t, url, "")
	var srv *Conn
	select {
	case srv = <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("no server Conn")
	}
	t.Cleanup(func() { srv.CloseNow() })
	_ = srv.nc.SetReadDeadline(time.Time{}) // serveOne's handshake deadline
	return srv, peer
}

// waitInq waits until c's read buffer and the kernel hold at least n
// bytes for c's socket, so that a test knows the whole input has arrived.
// No goroutine may be reading c.
func waitInq(t *testing.T, c *Conn, n int) {
	t.Helper()
	waitKernel(t, c.raw, n-c.Buffered())
}

// waitKernel waits until the kernel holds at least n bytes for the socket
// under raw (FIONREAD), for 5 s at most.
func waitKernel(t *testing.T, raw syscall.RawConn, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for socketInq(raw) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes in the kernel after 5s, want %d", socketInq(raw), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// readResult is what ReadMessageTo returned.
type readResult struct {
	typ MessageType
	p   []byte
	err error
}

func readToAsync(c *Conn, room RoomFunc) <-chan readResult {
	ch := make(chan readResult, 1)
	go func() {
		typ, p, err := c.ReadMessageTo(room)
		ch <- readResult{typ, p, err}
	}()
	return ch
}

func waitRead(t *testing.T, ch <-chan readResult) readResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("ReadMessageTo did not return within 10s")
		return readResult{}
	}
}

func needSocketInq(t *testing.T, c *Conn) {
	t.Helper()
	if socketInq(c.raw) < 0 {
		t.Skip("FIONREAD is implemented on Linux only")
	}
}

// TestReadMessageToDirect: a large single-frame message whose payload has
// arrived is read into the room (masked, from a client; text and binary, at
// the sizes around the threshold), and smaller ones are not offered.
func TestReadMessageToDirect(t *testing.T) {
	srv, peer := acceptRaw(t, Options{})
	needSocketInq(t, srv)
	for _, tc := range []struct {
		op   byte
		n    int
		room bool
	}{
		{1, directReadMin - 1, false},
		{2, directReadMin - 1, false},
		{1, directReadMin, true},
		{2, directReadMin, true},
		{2, directReadMin + 3, true},
		{1, 64 << 10, true},
		{2, 64 << 10, true},
	} {
		payload := bytes.Repeat([]byte("héllo wörld, "), tc.n/13+1)[:tc.n]
		for k := 1; !utf8.Valid(payload); k++ {
			payload[tc.n-k] = '.' // a character cut at the end: valid text of the same length
		}
		frame := peer.frame(0x80|tc.op, payload)
		go func() { _, _ = peer.nc.Write(frame) }()
		waitInq(t, srv, len(frame))
		rec := &roomRecorder{}
		typ, p, err := srv.ReadMessageTo(rec.room)
		if err != nil {
			t.Fatalf("op %d, %d bytes: %v", tc.op, tc.n, err)
		}
		if typ != MessageType(tc.op) || !bytes.Equal(p, payload) {
			t.Fatalf("op %d, %d bytes: got type %v, %d bytes (equal: %v)", tc.op, tc.n, typ, len(p), bytes.Equal(p, payload))
		}
		if got := rec.calls == 1; got != tc.room {
			t.Fatalf("op %d, %d bytes: room called %d times, want direct=%v", tc.op, tc.n, rec.calls, tc.room)
		}
		if tc.room && (!sameSlice(p, rec.buf) || rec.typ != typ || rec.n != tc.n) {
			t.Fatalf("op %d, %d bytes: the message is not the room (room asked for %v, %d)", tc.op, tc.n, rec.typ, rec.n)
		}
	}
	// The Conn goes on as usual afterwards.
	go func() {
		for {
			if _, _, err := srv.ReadMessage(); err != nil {
				return
			}
		}
	}()
	peer.closeNormally()
}

// TestReadMessageToCountFromRead: the read that finishes a large message's
// payload brings the kernel's count of what follows (TCP_INQ), so the next
// large message is found whole without asking FIONREAD.
func TestReadMessageToCountFromRead(t *testing.T) {
	srv, peer := acceptRaw(t, Options{})
	needSocketInq(t, srv)
	payload := bytes.Repeat([]byte{1, 2, 3, 4}, 5<<10) // 20 KiB: two fit in the kernel's buffer
	frame := peer.frame(0x82, payload)
	go func() { _, _ = peer.nc.Write(append(append([]byte(nil), frame...), frame...)) }()
	waitInq(t, srv, 2*len(frame))
	rec := &roomRecorder{}
	for i := range 2 {
		if _, p, err := srv.ReadMessageTo(rec.room); err != nil || !bytes.Equal(p, payload) {
			t.Fatalf("message %d: %d bytes, %v", i, len(p), err)
		}
		if i == 0 {
			if got := srv.rd.sock.kernelHas(); got != len(frame) {
				t.Fatalf("after the first message, the last read's count is %d; want the second frame's %d", got, len(frame))
			}
		}
	}
	if rec.calls != 2 {
		t.Fatalf("room called %d times; want 2", rec.calls)
	}
	go func() {
		for {
			if _, _, err := srv.ReadMessage(); err != nil {
				return
			}
		}
	}()
	peer.closeNormally()
}

// TestReadMessageToClientRole: a client reads unmasked server frames into
// the room the same way.
func TestReadMessageToClientRole(t *testing.T) {
	payload := bytes.Repeat([]byte{0, 1, 2, 0xff, 7}, 20000)
	text := bytes.Repeat([]byte("ça va? "), 3000)
	sent := make(chan struct{})
	url := rawServer(t, "", func(p *rawPeer) {
		p.send(true, 0, 2, payload)
		p.send(true, 0, 1, text)
		close(sent)
		_, _ = p.read() // until the client closes
	})
	cli := dialTest(t, url, nil)
	needSocketInq(t, cli)
	<-sent
	waitInq(t, cli, 10+len(payload)+4+len(text))
	for _, want := range []struct {
		typ MessageType
		p   []byte
	}{{MessageBinary, payload}, {MessageText, text}} {
		rec := &roomRecorder{}
		typ, p, err := cli.ReadMessageTo(rec.room)
		if err != nil {
			t.Fatal(err)
		}
		if typ != want.typ || !bytes.Equal(p, want.p) || rec.calls != 1 || !sameSlice(p, rec.buf) {
			t.Fatalf("got %v of %d bytes (equal %v), room calls %d", typ, len(p), bytes.Equal(p, want.p), rec.calls)
		}
	}
}

// TestReadMessageToInPieces: when the payload is still arriving, the
// message takes the ordinary path (the room is never asked for while the
// read would wait) and arrives whole; the next one, sent at once, is direct.
func TestReadMessageToInPieces(t *testing.T) {
	srv, peer := acceptRaw(t, Options{})
	needSocketInq(t, srv)
	payload := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	frame := peer.frame(0x82, payload)
	rec := &roomRecorder{}
	ch := readToAsync(srv, rec.room)
	cut := 30 << 10
	peer.write(frame[:cut])
	time.Sleep(50 * time.Millisecond) // the reader has the header and waits for the rest
	peer.write(frame[cut:])
	r := waitRead(t, ch)
	if r.err != nil || r.typ != MessageBinary || !bytes.Equal(r.p, payload) {
		t.Fatalf("got %v, %d bytes, %v", r.typ, len(r.p), r.err)
	}
	if rec.calls != 0 {
		t.Fatalf("room called %d times for a payload still arriving", rec.calls)
	}

	go func() { _, _ = peer.nc.Write(frame) }()
	waitInq(t, srv, len(frame))
	typ, p, err := srv.ReadMessageTo(rec.room)
	if err != nil || typ != MessageBinary || !bytes.Equal(p, payload) || rec.calls != 1 {
		t.Fatalf("second message: %v, %d bytes, room calls %d, %v", typ, len(p), rec.calls, err)
	}
}

// readToError runs the same bytes through ReadMessage and ReadMessageTo
// (whole input in the kernel before the read) and returns the number of
// times the room was asked for and both errors.
func readToError(t *testing.T, opts Options, frames []byte) (calls int, plain, direct error) {
	t.Helper()
	for i, useRoom := range []bool{false, true} {
		srv, peer := acceptRaw(t, opts)
		needSocketInq(t, srv)
		go func() { _, _ = peer.nc.Write(frames) }()
		waitInq(t, srv, min(len(frames), 100<<10))
		rec := &roomRecorder{}
		var err error
		for err == nil {
			if useRoom {
				_, _, err = srv.ReadMessageTo(rec.room)
			} else {
				_, _, err = srv.ReadMessage()
			}
		}
		if i == 0 {
			plain = err
		} else {
			direct, calls = err, rec.calls
		}
		// What the peer receives: the close frame with the code.
		var ce *CloseError
		if errors.As(err, &ce) && errors.Is(err, ErrFailed) {
			peer.expectClose(ce.Code)
		}
	}
	return calls, plain, direct
}

// TestReadMessageToInvalidUTF8: invalid text read into the room fails the
// connection with 1007, exactly as ReadMessage does, wherever the bad
// bytes are (start, middle, a sequence cut at the end).
func TestReadMessageToInvalidUTF8(t *testing.T) {
	good := bytes.Repeat([]byte("abcdéfgh"), 4096)
	for name, bad := range map[string][]byte{
		"start":     append([]byte{0xff}, good[1:]...),
		"middle":    append(append(append([]byte{}, good[:20000]...), 0xc0, 0x80), good[20002:]...),
		"surrogate": append(append(append([]byte{}, good[:30000]...), 0xed, 0xa0, 0x80), good[30003:]...),
		"truncated": append(append([]byte{}, good[:len(good)-1]...), 0xe2),
	} {
		t.Run(name, func(t *testing.T) {
			peer := &rawPeer{t: t, client: true}
			frames := peer.frame(0x81, bad)
			calls, plain, direct := readToError(t, Options{}, frames)
			if calls != 1 {
				t.Fatalf("room called %d times, want 1", calls)
			}
			if CloseStatus(direct) != StatusInvalidFramePayloadData || !errors.Is(direct, ErrFailed) {
				t.Fatalf("ReadMessageTo: %v, want a failure with 1007", direct)
			}
			if plain.Error() != direct.Error() {
				t.Fatalf("ReadMessage: %v\nReadMessageTo: %v", plain, direct)
			}
		})
	}
}

// TestReadMessageToLimits: a message over MaxMessageSize or a frame over
// MaxFrameSize fails with 1009 before the room is asked for.
func TestReadMessageToLimits(t *testing.T) {
	peer := &rawPeer{t: t, client: true}
	frames := peer.frame(0x82, make([]byte, 40<<10))
	for _, opts := range []Options{{MaxMessageSize: 32 << 10}, {MaxFrameSize: 16 << 10}} {
		calls, plain, direct := readToError(t, opts, frames)
		if calls != 0 {
			t.Fatalf("%+v: room called %d times", opts, calls)
		}
		if CloseStatus(direct) != StatusMessageTooBig || plain.Error() != direct.Error() {
			t.Fatalf("%+v: ReadMessage: %v, ReadMessageTo: %v, want 1009 from both", opts, plain, direct)
		}
	}
}

// TestReadMessageToNotOffered: fragmented messages (however large), a
// compressed one, and a control frame in the middle take the ordinary
// path; the data arrives intact.
func TestReadMessageToNotOffered(t *testing.T) {
	srv, peer := acceptRaw(t, Options{})
	needSocketInq(t, srv)
	big := bytes.Repeat([]byte("x"), 20<<10)
	var frames []byte
	frames = append(frames, peer.frame(0x02, big)...) // binary, not final
	frames = append(frames, peer.frame(0x89, []byte("ping"))...)
	frames = append(frames, peer.frame(0x80, big)...) // final continuation
	go func() { _, _ = peer.nc.Write(frames) }()
	rec := &roomRecorder{}
	typ, p, err := srv.ReadMessageTo(rec.room)
	if err != nil || typ != MessageBinary || len(p) != 2*len(big) || rec.calls != 0 {
		t.Fatalf("fragmented: %v, %d bytes, room calls %d, %v", typ, len(p), rec.calls, err)
	}
	peer.expect(0xA, []byte("ping"))
}

// TestReadMessageToCompressed: a compressed message is inflated into the
// Conn's buffer, never read into the room.
func TestReadMessageToCompressed(t *testing.T) {
	ch := make(chan *Conn, 1)
	url := testServer(t, &Upgrader{Options: Options{Compression: CompressionOptions{Enabled: true, Threshold: 1}}}, func(c *Conn) { ch <- c })
	cli := dialTest(t, url, &DialOptions{Options: Options{Compression: CompressionOptions{Enabled: true, Threshold: 1}}})
	srv := <-ch
	t.Cleanup(func() { srv.CloseNow() })
	// Random-looking bytes stay large once compressed.
	payload := make([]byte, 64<<10)
	x := uint32(1)
	for i := range payload {
		x = x*1664525 + 1013904223
		payload[i] = byte(x >> 24)
	}
	if err := cli.Write(MessageBinary, payload); err != nil {
		t.Fatal(err)
	}
	rec := &roomRecorder{}
	typ, p, err := srv.ReadMessageTo(rec.room)
	if err != nil || typ != MessageBinary || !bytes.Equal(p, payload) || rec.calls != 0 {
		t.Fatalf("compressed: %v, %d bytes, room calls %d, %v", typ, len(p), rec.calls, err)
	}
}

// TestReadMessageToDroppedMidPayload: the connection ends inside the
// payload. On the ordinary path (the payload never all arrived) and on the
// direct path (the socket closed between the check and the read, made to
// happen from inside the RoomFunc), ReadMessageTo reports an abnormal
// closure, and keeps reporting it.
func TestReadMessageToDroppedMidPayload(t *testing.T) {
	payload := bytes.Repeat([]byte("z"), 64<<10)
	t.Run("arriving", func(t *testing.T) {
		srv, peer := acceptRaw(t, Options{})
		frame := peer.frame(0x82, payload)
		peer.write(frame[:20<<10])
		peer.nc.Close()
		rec := &roomRecorder{}
		_, _, err := srv.ReadMessageTo(rec.room)
		if CloseStatus(err) != StatusAbnormalClosure || rec.calls != 0 {
			t.Fatalf("got %v (room calls %d), want an abnormal closure", err, rec.calls)
		}
	})
	t.Run("direct", func(t *testing.T) {
		srv, peer := acceptRaw(t, Options{})
		needSocketInq(t, srv)
		frame := peer.frame(0x82, payload)
		go func() { _, _ = peer.nc.Write(frame) }()
		waitInq(t, srv, len(frame))
		rec := &roomRecorder{before: func() { srv.CloseNow() }}
		_, p, err := srv.ReadMessageTo(rec.room)
		if CloseStatus(err) != StatusAbnormalClosure || p != nil || rec.calls != 1 {
			t.Fatalf("got %v, %d bytes (room calls %d), want an abnormal closure", err, len(p), rec.calls)
		}
		if _, _, err2 := srv.ReadMessageTo(rec.room); err2 != err || rec.calls != 1 {
			t.Fatalf("second read: %v, want the same error", err2)
		}
	})
}

// TestReadMessageToRoomDeclines: a RoomFunc that returns nil, or a slice of
// the wrong length, leaves the message to the ordinary path.
func TestReadMessageToRoomDeclines(t *testing.T) {
	srv, peer := acceptRaw(t, Options{})
	needSocketInq(t, srv)
	payload := bytes.Repeat([]byte("q"), 2*directReadMin)
	for _, room := range []RoomFunc{
		func(MessageType, int) []byte { return nil },
		func(_ MessageType, n int) []byte { return make([]byte, n-1) },
	} {
		frame := peer.frame(0x82, payload)
		go func() { _, _ = peer.nc.Write(frame) }()
		waitInq(t, srv, len(frame))
		typ, p, err := srv.ReadMessageTo(room)
		if err != nil || typ != MessageBinary || !bytes.Equal(p, payload) {
			t.Fatalf("got %v, %d bytes, %v", typ, len(p), err)
		}
	}
}

// TestReadMessageToAllocs: reading into a room allocates nothing.
func TestReadMessageToAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	srv, peer := acceptRaw(t, Options{})
	needSocketInq(t, srv)
	payload := bytes.Repeat([]byte("a"), directReadMin)
	frame := peer.frame(0x82, payload)
	room := make([]byte, len(payload))
	calls := 0
	roomFn := RoomFunc(func(_ MessageType, n int) []byte { calls++; return room[:n] })
	const runs = 5
	var all []byte
	for range runs + 1 {
		all = append(all, frame...)
	}
	go func() { _, _ = peer.nc.Write(all) }()
	waitInq(t, srv, len(all))
	if _, _, err := srv.ReadMessageTo(roomFn); err != nil { // warm the pools
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(runs-1, func() {
		if _, _, err := srv.ReadMessageTo(roomFn); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 || calls != runs+1 {
		t.Fatalf("%v allocations per message; room called %d times, want %d", allocs, calls, runs+1)
	}
}

// BenchmarkReadMessageTo compares, over loopback TCP, reading a message and
// copying it to where it is used (ReadMessage + copy, what the host did)
// with reading it there (ReadMessageTo), at sizes around directReadMin.
// A writer goroutine keeps the socket full, so the direct path is taken
// whenever the size allows it. Wall time mostly measures the writer; the
// number to compare is reader-cpu-ns/op, the CPU time of the reading
// thread per message (Linux).
func BenchmarkReadMessageTo(b *testing.B) {
	for _, n := range []int{4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10} {
		for _, mode := range []string{"copy", "direct"} {
			b.Run(strconv.Itoa(n>>10)+"KiB/"+mode, func(b *testing.B) {
				benchReadTo(b, n, mode == "direct")
			})
		}
	}
}

func benchReadTo(b *testing.B, n int, direct bool) {
	ch := make(chan *Conn, 1)
	url := testServer(b, &Upgrader{}, func(c *Conn) { ch <- c })
	cli := rawConnect(b, url, "")
	srv := <-ch
	defer srv.CloseNow()
	_ = srv.nc.SetReadDeadline(time.Time{})
	_ = cli.nc.SetDeadline(time.Time{})
	frames := maskedFrames(n, max(1, (256<<10)/n))
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := cli.nc.Write(frames); err != nil {
				return
			}
		}
	}()
	dst := make([]byte, n)
	rooms := 0
	room := RoomFunc(func(_ MessageType, m int) []byte { rooms++; return dst[:m] })
	b.SetBytes(int64(n))
	b.ReportAllocs()
	// The writer's CPU is not the reader's: measure the reading thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadCPU()
	for b.Loop() {
		var err error
		if direct {
			_, _, err = srv.ReadMessageTo(room)
		} else {
			var p []byte
			_, p, err = srv.ReadMessage()
			copy(dst, p)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(threadCPU()-start)/float64(b.N), "reader-cpu-ns/op")
	b.ReportMetric(float64(rooms)/float64(b.N), "direct/op") // share of messages read into the room
	b.StopTimer()
	_ = cli.nc.Close()
}

// FuzzReadMessageTo checks ReadMessageTo against ReadMessage on the same
// bytes: the same messages, then the same error. The input's first byte is
// the first byte of a frame header (FIN, RSV, opcode) whose payload is the
// rest of the input repeated to over directReadMin bytes (masked, unless
// the input's length is odd), and the input itself follows as more frames.
// The read buffer holds the whole input, so the payload is "available" and
// the direct path is taken whenever the header allows it.
func FuzzReadMessageTo(f *testing.F) {
	f.Add([]byte("\x81hello"))
	f.Add([]byte("\x82\x00\x01\x02"))
	f.Add([]byte("\x81h\xc3\xa9llo\xe2\x82"))
	f.Add([]byte("\x01part\x81\x05"))
	f.Add([]byte("\xc1deflated?"))
	f.Add([]byte("\x89ping"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		key := [4]byte{7, 1, 9, 3}
		masked := len(data)%2 == 0
		body := data[1:]
		payload := make([]byte, 0, directReadMin+len(body)+len(body))
		for len(payload) < directReadMin+len(body) {
			payload = append(payload, body...)
		}
		in := appendFrameHeader(nil, data[0]&0x80 != 0, data[0]&0x70, opcode(data[0]&0x0f), len(payload), masked, key)
		s := len(in)
		in = append(in, payload...)
		if masked {
			maskBytes(key, 0, in[s:])
		}
		in = append(in, data...)

		type result struct {
			typ MessageType
			p   string
		}
		read := func(useRoom bool) (msgs []result, rooms int, err error) {
			nc := &fuzzConn{r: bytes.NewReader(in)}
			c := newConn(nc, nil, connConfig{server: true,
				opts: Options{MaxMessageSize: 1 << 20, ReadBufferSize: len(in), CloseTimeout: time.Millisecond}})
			defer c.CloseNow()
			room := RoomFunc(func(_ MessageType, n int) []byte { rooms++; return make([]byte, n) })
			for range 100 {
				var typ MessageType
				var p []byte
				if useRoom {
					typ, p, err = c.ReadMessageTo(room)
				} else {
					typ, p, err = c.ReadMessage()
				}
				if err != nil {
					return msgs, rooms, err
				}
				msgs = append(msgs, result{typ, string(p)})
			}
			return msgs, rooms, nil
		}
		want, _, wantErr := read(false)
		got, rooms, gotErr := read(true)
		if len(got) != len(want) {
			t.Fatalf("ReadMessageTo returned %d messages, ReadMessage %d", len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("message %d differs: %v of %d bytes, want %v of %d", i, got[i].typ, len(got[i].p), want[i].typ, len(want[i].p))
			}
		}
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("ReadMessageTo: %v\nReadMessage:   %v", gotErr, wantErr)
		}
		if op := data[0] & 0x8f; masked && data[0]&0x70 == 0 && (op == 0x81 || op == 0x82) && rooms == 0 {
			t.Fatalf("a final, uncompressed, masked data frame of %d bytes did not take the direct path", len(payload))
		}
	})
}

// BenchmarkDirectReadCosts measures the two costs directReadMin weighs: the
// FIONREAD ioctl the direct path adds, and the copy of n bytes it saves
// (warm caches: a lower bound of what the host saved).
func BenchmarkDirectReadCosts(b *testing.B) {
	b.Run("fionread", func(b *testing.B) {
		_, nc := tcpPair(b)
		raw := socketOf(nc)
		if socketInq(raw) < 0 {
			b.Skip("FIONREAD is implemented on Linux only")
		}
		for b.Loop() {
			socketInq(raw)
		}
	})
	for _, n := range []int{8 << 10, 16 << 10, 32 << 10, 64 << 10} {
		b.Run("copy/"+strconv.Itoa(n>>10)+"KiB", func(b *testing.B) {
			src, dst := make([]byte, n), make([]byte, n)
			b.SetBytes(int64(n))
			for b.Loop() {
				copy(dst, src)
			}
		})
	}
}
