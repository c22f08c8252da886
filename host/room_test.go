package host

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/socklet/socklet/protocol"
)

// These tests cover messages read straight into the plugin's memory
// (serverConn.room, protocol.Conn.ReadMessageTo, plugins.Route.AcquireRoom)
// over real loopback sockets. A frame written with one write of at most
// 60 KiB reaches the server's socket in one piece, so its payload is all
// there when the server has read its header: such messages take the direct
// path; the tests check it with roomsLent.

// wsClient is a hand-written WebSocket client, to send exact bytes
// (invalid UTF-8, split frames) that protocol.Conn would not.
type wsClient struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func rawDial(t *testing.T, ts *testServer, path string) *wsClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", ts.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(nc, upgradeRequest(path)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	return &wsClient{t: t, nc: nc, br: br}
}

// frame returns a final masked client frame of opcode op.
func frame(op byte, payload []byte) []byte {
	b := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n < 65536:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	key := [4]byte{0x12, 0x9a, 0x5c, 0xe1}
	b = append(b, key[:]...)
	for i, c := range payload {
		b = append(b, c^key[i%4])
	}
	return b
}

func (c *wsClient) write(b []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read returns the next frame's opcode and payload (server frames are not
// masked).
func (c *wsClient) read() (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var e [2]byte
		if _, err := io.ReadFull(c.br, e[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		if _, err := io.ReadFull(c.br, e[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(e[:])
	}
	p := make([]byte, n)
	_, err := io.ReadFull(c.br, p)
	return h[0] & 0x0f, p, err
}

// expectClose reads the next frame and checks that it is a close with code.
func (c *wsClient) expectClose(code protocol.StatusCode) {
	c.t.Helper()
	op, p, err := c.read()
	if err != nil || op != 8 || len(p) < 2 {
		c.t.Fatalf("want close %d: op %d, %d bytes, %v", code, op, len(p), err)
	}
	if got := protocol.StatusCode(binary.BigEndian.Uint16(p)); got != code {
		c.t.Fatalf("close %d (%q), want %d", got, p[2:], code)
	}
}

// expectEcho reads the next frame and checks it is op with payload.
func (c *wsClient) expectEcho(op byte, payload []byte) {
	c.t.Helper()
	gop, p, err := c.read()
	if err != nil || gop != op || !bytes.Equal(p, payload) {
		c.t.Fatalf("want echo op %d of %d bytes: op %d, %d bytes (equal %v), %v", op, len(payload), gop, len(p), bytes.Equal(p, payload), err)
	}
}

// text returns n bytes of valid UTF-8 that vary with seed.
func text(seed, n int) []byte {
	p := make([]byte, 0, n)
	for i := 0; len(p) < n-1; i++ {
		if (seed+i)%5 == 0 {
			p = append(p, "é"...)
		} else {
			p = append(p, byte('a'+(seed+i)%26))
		}
	}
	for len(p) < n {
		p = append(p, '.')
	}
	return p
}

// TestRoomEcho: large text and binary messages reach the plugin straight
// from the socket and are echoed intact; below the threshold they are
// copied as before; a 1 MiB message (which arrives in pieces) is correct
// whichever path it takes.
func TestRoomEcho(t *testing.T) {
	ts := startServer(t, probeRoute)
	c := rawDial(t, ts, "/probe")
	for i, m := range []struct {
		op     byte
		n      int
		direct bool
	}{
		{2, 16 << 10, true},
		{1, 16 << 10, true},
		{2, 60 << 10, true},
		{1, 40 << 10, true},
		{2, 16<<10 - 1, false},
		{1, 100, false},
		{2, 1 << 20, false}, // may or may not be direct
		{1, 1 << 20, false},
		{2, 30 << 10, true}, // the room lent for 1 MiB is reused
	} {
		payload := text(i, m.n)
		if m.op == 2 {
			payload[0] = 0xff // not text
		}
		before := roomsLent.Load()
		c.write(frame(m.op, payload))
		c.expectEcho(m.op, payload)
		lent := roomsLent.Load() - before
		if m.direct && lent != 1 || !m.direct && m.n < 16<<10 && lent != 0 {
			t.Fatalf("message %d (op %d, %d bytes): %d rooms lent, want direct=%v", i, m.op, m.n, lent, m.direct)
		}
	}
}

// TestRoomInvalidUTF8: invalid UTF-8 in a large text message read into the
// plugin's memory closes the connection with 1007, as it always did: the
// plugin never sees the message, and its socklet_on_close gets 1007. The
// instance is free for other connections afterwards.
func TestRoomInvalidUTF8(t *testing.T) {
	ts := startServer(t, probeRoute)
	for i, bad := range [][]byte{
		append(text(1, 20<<10), 0xff),                  // at the end
		append([]byte{0xc0, 0x80}, text(2, 30<<10)...), // overlong, at the start
		append(text(3, 20<<10), 0xe2, 0x82),            // cut inside a character
	} {
		c := rawDial(t, ts, "/probe")
		before := roomsLent.Load()
		c.write(frame(1, bad))
		c.expectClose(protocol.StatusInvalidFramePayloadData)
		if roomsLent.Load()-before != 1 {
			t.Fatalf("case %d: the message did not take the direct path", i)
		}
		ts.logs.waitCount(t, "closed 1007", i+1)
	}
	// Another connection of the same (only) instance works.
	c := rawDial(t, ts, "/probe")
	p := text(9, 20<<10)
	c.write(frame(1, p))
	c.expectEcho(1, p)
}

// TestRoomLimits: a message over max_message_size closes with 1009 before
// any room is lent; an unmasked client frame with 1002, as before.
func TestRoomLimits(t *testing.T) {
	ts := startServer(t, probeRoute+"max_message_size = \"32KiB\"\n")
	c := rawDial(t, ts, "/probe")
	before := roomsLent.Load()
	p := text(1, 20<<10)
	c.write(frame(2, p))
	c.expectEcho(2, p)
	c.write(frame(2, text(2, 40<<10)))
	c.expectClose(protocol.StatusMessageTooBig)
	if n := roomsLent.Load() - before; n != 1 {
		t.Fatalf("%d rooms lent, want 1 (the message within the limit)", n)
	}

	c = rawDial(t, ts, "/probe")
	unmasked := append([]byte{0x82, 126, 0x50, 0x00}, text(3, 0x5000)...)
	c.write(unmasked)
	c.expectClose(protocol.StatusProtocolError)
	if n := roomsLent.Load() - before; n != 1 {
		t.Fatalf("%d rooms lent after an unmasked frame", n-1)
	}
	ts.logs.waitCount(t, "closed 1009", 1)
	ts.logs.waitCount(t, "closed 1002", 1)
}

// TestRoomInPieces: a message whose payload arrives in pieces is read the
// ordinary way (no room is lent while the rest is on its way) and echoed
// whole; the connection goes on with direct reads.
func TestRoomInPieces(t *testing.T) {
	ts := startServer(t, probeRoute)
	c := rawDial(t, ts, "/probe")
	p := text(4, 50<<10)
	f := frame(1, p)
	// The header is 8 bytes: cut inside it, the server waits for the
	// header, which comes with the whole payload: direct.
	for _, cut := range []int{2, 7, 8, 14, 5000, len(f) - 1} {
		before := roomsLent.Load()
		c.write(f[:cut])
		time.Sleep(30 * time.Millisecond)
		c.write(f[cut:])
		c.expectEcho(1, p)
		if n, want := roomsLent.Load()-before, int64(min(1, max(0, 8-cut))); n != want {
			t.Fatalf("cut at %d: %d rooms lent, want %d", cut, n, want)
		}
	}
	before := roomsLent.Load()
	c.write(f)
	c.expectEcho(1, p)
	if n := roomsLent.Load() - before; n != 1 {
		t.Fatalf("%d rooms lent for a whole message", n)
	}
}

// TestRoomDroppedMidPayload: a client that disconnects inside a large
// payload gets socklet_on_close 1006, and the instance it shares with other
// connections is not left held.
func TestRoomDroppedMidPayload(t *testing.T) {
	ts := startServer(t, probeRoute)
	other := rawDial(t, ts, "/probe")
	for i, cut := range []int{100, 30 << 10} {
		c := rawDial(t, ts, "/probe")
		f := frame(2, text(5, 50<<10))
		c.write(f[:cut])
		time.Sleep(20 * time.Millisecond)
		_ = c.nc.Close()
		ts.logs.waitCount(t, "closed 1006", i+1)
		p := text(6+i, 20<<10)
		other.write(frame(1, p))
		other.expectEcho(1, p)
	}
}

// TestRoomConcurrent: many connections share one instance (instances = 1)
// and send large and small, text and binary messages at once, some
// pipelined, some split; every echo comes back whole and in order (run
// with -race).
func TestRoomConcurrent(t *testing.T) {
	ts := startServer(t, probeRoute+"instances = 1\n")
	const conns, msgs = 16, 25
	before := roomsLent.Load()
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for w := range conns {
		c := rawDial(t, ts, "/probe")
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 3))
			type sent struct {
				op byte
				p  []byte
			}
			queue := make(chan sent, msgs)
			done := make(chan error, 1)
			go func() {
				for s := range queue {
					op, p, err := c.read()
					if err != nil || op != s.op || !bytes.Equal(p, s.p) {
						done <- fmt.Errorf("conn %d: echo op %d of %d bytes: got op %d, %d bytes, %v", w, s.op, len(s.p), op, len(p), err)
						return
					}
				}
				done <- nil
			}()
			for i := range msgs {
				n := []int{100, 8 << 10, 16 << 10, 33 << 10, 60 << 10, 200 << 10}[rng.IntN(6)]
				op := byte(1 + rng.IntN(2))
				p := text(w*1000+i, n)
				queue <- sent{op, p}
				f := frame(op, p)
				if rng.IntN(4) == 0 {
					cut := 1 + rng.IntN(len(f)-1)
					if _, err := c.nc.Write(f[:cut]); err != nil {
						errs <- err
						return
					}
					time.Sleep(time.Millisecond)
					f = f[cut:]
				}
				if _, err := c.nc.Write(f); err != nil {
					errs <- err
					return
				}
			}
			close(queue)
			if err := <-done; err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		ts.logs.mu.Lock()
		for _, l := range ts.logs.lines {
			t.Log(l)
		}
		ts.logs.mu.Unlock()
	}
	lent := roomsLent.Load() - before
	t.Logf("%d of %d messages read into the plugin's memory", lent, conns*msgs)
	if lent == 0 {
		t.Error("no message took the direct path")
	}
}
