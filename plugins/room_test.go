package plugins

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// pattern returns n bytes that differ with seed, so that a message
// delivered to the wrong connection or torn is detected.
func pattern(seed, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte('a' + (seed*7+i)%26)
	}
	return p
}

// TestAcquireRoomDelivers: a message written into the room is delivered by
// Deliver as Text/Binary would deliver it, and the instance is free again
// afterwards.
func TestAcquireRoomDelivers(t *testing.T) {
	obs := &countingObserver{}
	rt := newTestRuntime(t)
	r := newTestRoute(t, rt, compile(t, rt, "echo.wasm"), RouteConfig{Observer: obs})
	c := newRecorder()
	h := open(t, r, c)
	var l Lease
	for i, tc := range []struct {
		text bool
		n    int
	}{{false, 64 << 10}, {true, 20 << 10}, {false, 200 << 10}, {true, 1}} {
		want := pattern(i, tc.n)
		room, err := r.AcquireRoom(&l, tc.text, h, tc.n)
		if err != nil || len(room) != tc.n || !l.Held() {
			t.Fatalf("AcquireRoom(%d): %d bytes, held %v, %v", tc.n, len(room), l.Held(), err)
		}
		copy(room, want)
		if err := l.Deliver(); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
		if l.Held() {
			t.Fatal("the lease still holds after Deliver")
		}
		n, m := c.last()
		if n != i+1 || m.text != tc.text || m.data != string(want) {
			t.Fatalf("message %d: plugin echoed %d messages, last %v of %d bytes", i, n, m.text, len(m.data))
		}
		// The ordinary path still works, on the same instance.
		if err := r.Text(context.Background(), h, []byte("x")); err != nil {
			t.Fatal(err)
		}
		c.mu.Lock()
		c.msgs = c.msgs[:len(c.msgs)-1]
		c.mu.Unlock()
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.events["binary"] != 2 || obs.events["text"] != 6 {
		t.Errorf("observer events: %v", obs.events)
	}
}

// TestAcquireRoomRelease: a released lease delivers nothing and frees the
// instance for the other connections; Deliver and Release on an empty
// lease do nothing; a held lease cannot acquire again.
func TestAcquireRoomRelease(t *testing.T) {
	rt := newTestRuntime(t)
	r := newTestRoute(t, rt, compile(t, rt, "echo.wasm"), RouteConfig{})
	a, b := newRecorder(), newRecorder()
	ha, hb := open(t, r, a), open(t, r, b)
	var l Lease
	room, err := r.AcquireRoom(&l, false, ha, 32<<10)
	if err != nil || room == nil {
		t.Fatal(room == nil, err)
	}
	if _, err := r.AcquireRoom(&l, false, ha, 32<<10); !errors.Is(err, errLeaseHeld) {
		t.Fatalf("second AcquireRoom on a held lease: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Text(context.Background(), hb, []byte("b")) }()
	select {
	case err := <-done:
		t.Fatalf("b's event ran while a's lease held the instance (%v)", err)
	case <-time.After(20 * time.Millisecond):
	}
	copy(room, "not delivered")
	l.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	l.Release()
	if err := l.Deliver(); err != nil {
		t.Fatal(err)
	}
	if n, _ := a.last(); n != 0 {
		t.Fatalf("a released message was delivered: %v", a.messages())
	}
	if n, m := b.last(); n != 1 || m.data != "b" {
		t.Fatalf("b: %v", b.messages())
	}
}

// TestAcquireRoomOrdinaryPath: where the ordinary path would not call the
// plugin with a payload, AcquireRoom holds nothing and returns no error, and
// Text/Binary then give the answer they always gave.
func TestAcquireRoomOrdinaryPath(t *testing.T) {
	ctx := context.Background()
	rt := newTestRuntime(t)
	mod := compile(t, rt, "crash.wasm") // no socklet_on_binary
	r := newTestRoute(t, rt, mod, RouteConfig{})
	c := newRecorder()
	h := open(t, r, c)
	var l Lease
	check := func(what string, text bool, h Handle, n int, ordinary error) {
		t.Helper()
		room, err := r.AcquireRoom(&l, text, h, n)
		if room != nil || err != nil || l.Held() {
			t.Fatalf("%s: AcquireRoom gave %d bytes, held %v, %v", what, len(room), l.Held(), err)
		}
		var got error
		if text {
			got = r.Text(ctx, h, make([]byte, n))
		} else {
			got = r.Binary(ctx, h, make([]byte, n))
		}
		if !errors.Is(got, ordinary) && got != ordinary {
			t.Fatalf("%s: ordinary path: %v, want %v", what, got, ordinary)
		}
	}
	check("no export", false, h, 20<<10, nil)
	check("empty", true, h, 0, nil)
	check("unknown handle", true, Handle{}, 20<<10, ErrUnknownHandle)

	// A connection the runtime dropped: its messages are dropped.
	s := r.slots[0]
	s.mu.Lock()
	s.drop(h.c, reasonCrashed)
	s.mu.Unlock()
	check("dropped", true, h, 20<<10, nil)

	h2 := open(t, r, newRecorder())
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	check("closed route", true, h2, 20<<10, ErrRouteClosed)
}

// TestAcquireRoomAllocFails: a plugin that cannot lend room fails the event
// as Text does: ErrAlloc, the connection closed with 1011, the instance
// kept; a lease holds nothing afterwards.
func TestAcquireRoomAllocFails(t *testing.T) {
	rt := newTestRuntime(t)
	r := newTestRoute(t, rt, compile(t, rt, "crash.wasm"), RouteConfig{}) // alloc refuses > 60000 bytes
	var l Lease
	a, b := newRecorder(), newRecorder()
	ha, hb := open(t, r, a), open(t, r, b)
	inst := r.slots[0].inst
	room, err := r.AcquireRoom(&l, true, ha, 61000)
	if room != nil || l.Held() || !errors.Is(err, ErrAlloc) {
		t.Fatalf("AcquireRoom: %d bytes, held %v, %v; want ErrAlloc", len(room), l.Held(), err)
	}
	textErr := r.Text(context.Background(), hb, make([]byte, 61000))
	if textErr.Error() != err.Error() {
		t.Fatalf("AcquireRoom: %v\nText: %v", err, textErr)
	}
	for _, c := range []*recorder{a, b} {
		if closed, code, _ := c.closeCode(); !closed || code != closeInternalError {
			t.Fatalf("connection closed %v with %d, want 1011", closed, code)
		}
	}
	if r.slots[0].inst != inst {
		t.Fatal("the instance was replaced")
	}
	// Room that fits is lent again.
	hc := open(t, r, newRecorder())
	if room, err := r.AcquireRoom(&l, true, hc, 50000); err != nil || len(room) != 50000 {
		t.Fatalf("AcquireRoom after a failure: %d bytes, %v", len(room), err)
	}
	l.Release()
}

// TestAcquireRoomTrap: a message read into the room that makes the plugin
// trap is handled as by Text: ErrTrap, the instance rebuilt.
func TestAcquireRoomTrap(t *testing.T) {
	rt := newTestRuntime(t)
	r := newTestRoute(t, rt, compile(t, rt, "crash.wasm"), RouteConfig{})
	c := newRecorder()
	h := open(t, r, c)
	inst := r.slots[0].inst
	var l Lease
	room, err := r.AcquireRoom(&l, true, h, 4) // below any host threshold, but the API takes it
	if err != nil {
		t.Fatal(err)
	}
	copy(room, "trap")
	if err := l.Deliver(); !errors.Is(err, ErrTrap) {
		t.Fatalf("Deliver: %v, want ErrTrap", err)
	}
	if r.slots[0].inst == inst || r.slots[0].inst == nil {
		t.Fatal("instance not rebuilt")
	}
	if closed, code, _ := c.closeCode(); !closed || code != closeInternalError {
		t.Fatalf("closed %v code %d: crash.wasm has no socklet_on_resume, want 1011", closed, code)
	}
}

// TestAcquireRoomHammer: many connections share one instance; each sends
// large messages through leases (delivered or released) and small ones
// through Text, while the route is swapped. Every delivered message reaches
// its own connection whole and in order (run with -race).
func TestAcquireRoomHammer(t *testing.T) {
	ctx := context.Background()
	rt := newTestRuntime(t)
	mod := compile(t, rt, "echo.wasm")
	r := newTestRoute(t, rt, mod, RouteConfig{Instances: 1})
	const workers, msgs = 12, 40
	stopSwapping := keepSwapping(t, r, mod, 2*time.Millisecond)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 2))
			c := newRecorder()
			h, status, err := r.Open(ctx, c)
			if err != nil || status != 0 {
				t.Errorf("Open: %d %v", status, err)
				return
			}
			var l Lease
			var want []string
			for i := range msgs {
				p := pattern(w*1000+i, 16<<10+rng.IntN(64<<10))
				p[0] = byte(w)
				switch rng.IntN(4) {
				case 0:
					err = r.Binary(ctx, h, p)
					want = append(want, string(p))
				case 1:
					var room []byte
					if room, err = r.AcquireRoom(&l, false, h, len(p)); room != nil {
						copy(room[:len(p)/2], p)
						l.Release()
					}
				default:
					var room []byte
					if room, err = r.AcquireRoom(&l, false, h, len(p)); room != nil {
						copy(room, p)
						err = l.Deliver()
						want = append(want, string(p))
					}
				}
				if err != nil {
					t.Errorf("worker %d message %d: %v", w, i, err)
					return
				}
			}
			got := c.messages()
			if len(got) != len(want) {
				t.Errorf("worker %d: %d messages echoed, want %d", w, len(got), len(want))
				return
			}
			for i := range got {
				if got[i].text || got[i].data != want[i] {
					t.Errorf("worker %d: message %d differs (%d bytes, want %d)", w, i, len(got[i].data), len(want[i]))
					return
				}
			}
			if err := r.Closed(ctx, h, 1000, ""); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if stopSwapping() == 0 {
		t.Error("no Swap ran: the hammer did not exercise hot reload")
	}
	if n := r.Connections(); n != 0 {
		t.Errorf("%d connections left", n)
	}
}

// BenchmarkDeliver64KiB is one 64 KiB binary event to the echo plugin (a
// no-op Conn takes the reply): "copy" is Route.Binary, which copies the
// payload into the instance's memory; "room" is AcquireRoom + Deliver, the
// host's direct path, where the payload is already there (read from the
// socket into the room, which this benchmark does not do).
func BenchmarkDeliver64KiB(b *testing.B) {
	for _, mode := range []string{"copy", "room"} {
		b.Run(mode, func(b *testing.B) {
			rt := newTestRuntime(b)
			r := newTestRoute(b, rt, compile(b, rt, "echo.wasm"), RouteConfig{Framer: nopFramer{}})
			h := open(b, r, nopConn{})
			p := bytes.Repeat([]byte{1}, 64<<10)
			ctx := context.Background()
			var l Lease
			measureCPU(b)
			for b.Loop() {
				var err error
				if mode == "copy" {
					err = r.Binary(ctx, h, p)
				} else {
					var room []byte
					if room, err = r.AcquireRoom(&l, false, h, len(p)); room == nil {
						err = fmt.Errorf("no room: %w", err)
					} else {
						err = l.Deliver()
					}
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
