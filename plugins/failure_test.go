package plugins

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingObserver counts what an Observer is told.
type countingObserver struct {
	mu       sync.Mutex
	events   map[string]int
	traps    []error
	restarts int
}

func (o *countingObserver) Event(route string, instance int, kind string, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.events == nil {
		o.events = map[string]int{}
	}
	o.events[kind]++
}

func (o *countingObserver) Trap(route string, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.traps = append(o.traps, err)
}

func (o *countingObserver) Restart(route string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.restarts++
}

func (o *countingObserver) counts() (traps, restarts int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.traps), o.restarts
}

func TestTrapResumes(t *testing.T) {
	obs := &countingObserver{}
	p := newProber(t, RouteConfig{Observer: obs})
	b := newRecorder()
	hb := open(t, p.r, b)
	p.expect("attach", p.status(opAttach, []byte("kept"), int64(hb.ID()), scratch, 4), 0)
	p.expect("subscribe", p.status(opSubscribe, []byte("room"), int64(hb.ID()), scratch, 4), 0)
	p.expect("timer", p.status(opTimer, nil, 50, 3), 0)
	old := p.r.slots[0].inst
	err := p.r.Binary(context.Background(), p.h, command(opTrap, nil, nil))
	if !errors.Is(err, ErrTrap) {
		t.Fatalf("trap: %v, want ErrTrap", err)
	}
	if p.r.slots[0].inst == old || p.r.slots[0].inst == nil {
		t.Fatal("instance not rebuilt")
	}
	// Both connections were resumed on the new instance, and the event
	// that trapped was not delivered again (no reply to it).
	for _, c := range []*recorder{p.c, b} {
		if !hasMessage(c, "resumed") {
			t.Errorf("connection not resumed: %v", c.messages())
		}
		if closed, _, _ := c.closeCode(); closed {
			t.Error("a resumed connection was closed")
		}
	}
	if traps, restarts := obs.counts(); traps != 1 || restarts != 1 {
		t.Errorf("observer: %d traps, %d restarts", traps, restarts)
	}
	obs.mu.Lock()
	if obs.events["resume"] != 2 || obs.events["binary"] < 3 || obs.events["open"] != 2 {
		t.Errorf("observer events: %v", obs.events)
	}
	obs.mu.Unlock()
	// Attachments and subscriptions live in the host: they survived.
	res, out := p.do(opAttachment, nil, int64(hb.ID()), scratch, 16)
	if res != 4 || string(out[:4]) != "kept" {
		t.Errorf("attachment after rebuild: %d %q", res, out[:4])
	}
	if n, _ := p.do(opPublishText, []byte("xroom"), scratch+1, 4, scratch, 1, 0); n != 1 {
		t.Errorf("publish after rebuild reached %d, want 1", n)
	}
	// The timer set before the trap fires on the rebuilt instance.
	want := "timer\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00"
	deadline := time.Now().Add(5 * time.Second)
	for !hasMessage(p.c, want) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if !hasMessage(p.c, want) {
		t.Error("the timer set before the trap never fired")
	}
}

func TestMemoryFault(t *testing.T) {
	p := newProber(t, RouteConfig{})
	err := p.r.Binary(context.Background(), p.h, command(opOutOfBounds, nil, nil))
	if !errors.Is(err, ErrTrap) || !strings.Contains(err.Error(), "out of bounds memory access") {
		t.Fatalf("out-of-bounds load: %v", err)
	}
	if !hasMessage(p.c, "resumed") {
		t.Fatal("connection not resumed after a memory fault")
	}
	p.expect("after the fault", p.status(opNothing, nil), 0)
}

func TestDeadline(t *testing.T) {
	p := newProber(t, RouteConfig{EventTimeout: 30 * time.Millisecond})
	start := time.Now()
	err := p.r.Binary(context.Background(), p.h, command(opLoop, nil, nil))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("loop: %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the loop ran %s", d)
	}
	if !hasMessage(p.c, "resumed") {
		t.Fatal("connection not resumed after the deadline")
	}
	// The rebuilt instance works.
	p.expect("after deadline", p.status(opNothing, nil), 0)
}

func TestMemoryLimit(t *testing.T) {
	p := newProber(t, RouteConfig{MemoryLimit: 4*pageSize + 100}) // rounded down to 4 pages
	base := p.r.slots[0].inst.lm.mapped[:1]
	if res, _ := p.do(opGrow, nil, 2); res != 2 {
		t.Fatalf("grow to 4 pages: %d, want the old size 2", res)
	}
	// Growth never moves (copies) the memory.
	view, ok := p.r.slots[0].inst.mem.Read(0, 4*pageSize)
	if !ok || &view[0] != &base[0] {
		t.Fatal("memory moved when it grew")
	}
	if res, _ := p.do(opGrow, nil, 1); res != -1 {
		t.Fatalf("grow past the limit: %d, want -1", res)
	}
	if res, _ := p.do(opGrow, nil, 0); res != 4 {
		t.Fatalf("size after a refused grow: %d pages, want 4", res)
	}
	// A message larger than the memory can take: socklet_alloc returns 0,
	// the event is dropped and its connection closed with 1011; the
	// instance stays.
	inst := p.r.slots[0].inst
	err := p.r.Text(context.Background(), p.h, make([]byte, 4*pageSize))
	if !errors.Is(err, ErrAlloc) {
		t.Fatalf("huge message: %v, want ErrAlloc", err)
	}
	if closed, code, _ := p.c.closeCode(); !closed || code != 1011 {
		t.Fatalf("connection after a failed alloc: closed %v code %d", closed, code)
	}
	if p.r.slots[0].inst != inst {
		t.Fatal("instance replaced after a failed alloc")
	}
	if err := p.r.Text(context.Background(), p.h, []byte("x")); err != nil {
		t.Fatalf("event to a dropped connection: %v", err)
	}
}

func TestModuleTooBigForLimit(t *testing.T) {
	rt := newTestRuntime(t)
	_, err := NewRoute(context.Background(), rt, compile(t, rt, "probe.wasm"), RouteConfig{MemoryLimit: pageSize, Framer: &testFramer{}, Logger: discard})
	if err == nil || !strings.Contains(err.Error(), "needs 2 pages") {
		t.Fatalf("NewRoute with a limit below the module's minimum: %v", err)
	}
}

func TestCrashWithoutResume(t *testing.T) {
	rt := newTestRuntime(t)
	r := newTestRoute(t, rt, compile(t, rt, "crash.wasm"), RouteConfig{Instances: 2, EventTimeout: 30 * time.Millisecond, MemoryLimit: 8 << 20})
	a, b, c := newRecorder(), newRecorder(), newRecorder()
	ha, hb, hc := open(t, r, a), open(t, r, b), open(t, r, c)
	// Two slots, least connections: a and c share a slot, b has its own.
	ctx := context.Background()
	if err := r.Text(ctx, ha, []byte("trap")); !errors.Is(err, ErrTrap) {
		t.Fatalf("trap: %v", err)
	}
	for _, x := range []*recorder{a, c} {
		if closed, code, _ := x.closeCode(); !closed || code != 1011 {
			t.Errorf("connection of the crashed instance: closed %v code %d", closed, code)
		}
	}
	if closed, _, _ := b.closeCode(); closed {
		t.Error("a connection of the other instance was closed")
	}
	// Events of the dropped connections are ignored; Closed forgets them
	// without socklet_on_close.
	if err := r.Text(ctx, hc, []byte("late")); err != nil {
		t.Errorf("event of a dropped connection: %v", err)
	}
	if len(c.messages()) != 0 {
		t.Errorf("a dropped connection got %v", c.messages())
	}
	for _, h := range []Handle{ha, hc} {
		if err := r.Closed(ctx, h, 1006, ""); err != nil {
			t.Errorf("Closed of a dropped connection: %v", err)
		}
	}
	if err := r.Text(ctx, hb, []byte("still here")); err != nil || !hasMessage(b, "still here") {
		t.Errorf("the other instance: %v %v", err, b.messages())
	}
	// A new connection works on the rebuilt instance.
	d := newRecorder()
	hd := open(t, r, d)
	if err := r.Text(ctx, hd, []byte("new")); err != nil || !hasMessage(d, "new") {
		t.Errorf("new connection: %v %v", err, d.messages())
	}
	if err := r.Text(ctx, hd, []byte("loop")); !errors.Is(err, ErrTimeout) {
		t.Errorf("loop: %v, want ErrTimeout", err)
	}
	if err := r.Text(ctx, hb, []byte("grow")); err != nil || !hasMessage(b, "refused") {
		// 1000 pages are past the 8 MiB limit.
		t.Errorf("grow: %v %v", err, b.messages())
	}
}

func TestOpenFailures(t *testing.T) {
	rt := newTestRuntime(t)
	r := newTestRoute(t, rt, compile(t, rt, "crash.wasm"), RouteConfig{})
	c := newRecorder()
	c.info[1] = "trap"
	h, status, err := r.Open(context.Background(), c)
	if !errors.Is(err, ErrTrap) || h != (Handle{}) || status != 0 {
		t.Fatalf("Open that traps: h %d status %d err %v", h.ID(), status, err)
	}
	if r.Connections() != 0 {
		t.Fatalf("%d connections after a failed open", r.Connections())
	}
	ok := newRecorder()
	h = open(t, r, ok)
	if err := r.Text(context.Background(), h, []byte("hi")); err != nil || !hasMessage(ok, "hi") {
		t.Fatalf("after a failed open: %v", err)
	}

	p := newProber(t, RouteConfig{})
	for _, tc := range []struct{ result, status int }{{403, 403}, {599, 599}, {400, 400}, {1, 500}, {399, 500}, {600, 500}, {-4, 500}} {
		p.do(opOpenStatus, nil, int64(tc.result))
		h, status, err := p.r.Open(context.Background(), newRecorder())
		if err != nil || h != (Handle{}) || status != tc.status {
			t.Errorf("on_open returning %d: h %d status %d err %v, want status %d", tc.result, h.ID(), status, err, tc.status)
		}
	}
	if p.r.Connections() != 1 {
		t.Errorf("%d connections, want the prober's only", p.r.Connections())
	}
}

func TestInitializeTrapFailsNewRoute(t *testing.T) {
	rt := newTestRuntime(t)
	_, err := NewRoute(context.Background(), rt, compile(t, rt, "crash.wasm"), RouteConfig{
		Framer: &testFramer{}, Logger: discard, Config: map[string]string{"init": "trap"},
	})
	if !errors.Is(err, ErrTrap) || !strings.Contains(err.Error(), "_initialize") {
		t.Fatalf("NewRoute with a trapping _initialize: %v", err)
	}
}

func TestCrashLoopBacksOff(t *testing.T) {
	rt := newTestRuntime(t)
	r := newTestRoute(t, rt, compile(t, rt, "crash.wasm"), RouteConfig{})
	ctx := context.Background()
	var last *recorder
	for i := range CrashLimit {
		last = newRecorder()
		h := open(t, r, last)
		if err := r.Text(ctx, h, []byte("trap")); !errors.Is(err, ErrTrap) {
			t.Fatalf("trap %d: %v", i, err)
		}
	}
	if closed, code, reason := last.closeCode(); !closed || code != 1011 || reason != reasonUnavailable {
		t.Errorf("last connection: closed %v code %d reason %q", closed, code, reason)
	}
	if r.slots[0].inst != nil {
		t.Fatal("instance rebuilt during the backoff")
	}
	if _, _, err := r.Open(ctx, newRecorder()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open during the backoff: %v, want ErrUnavailable", err)
	}
	// After the backoff a new connection brings the instance back.
	r.crashes.mu.Lock()
	r.crashes.until = time.Now()
	r.crashes.mu.Unlock()
	c := newRecorder()
	h := open(t, r, c)
	if err := r.Text(ctx, h, []byte("back")); err != nil || !hasMessage(c, "back") {
		t.Fatalf("after the backoff: %v", err)
	}
}

func TestCrashLog(t *testing.T) {
	var c crashLog
	now := time.Unix(1000, 0)
	for i := range CrashLimit - 1 {
		if !c.fault(now.Add(time.Duration(i) * time.Second)) {
			t.Fatalf("fault %d refused", i)
		}
	}
	if c.fault(now.Add(5 * time.Second)) {
		t.Fatal("fault within the window allowed")
	}
	if !c.backedOff(now.Add(5*time.Second + BackoffMin/2)) {
		t.Fatal("not backed off")
	}
	if c.backedOff(now.Add(5*time.Second + BackoffMin)) {
		t.Fatal("still backed off after BackoffMin")
	}
	// Faults spread wider than the window never back off.
	var d crashLog
	for i := range 3 * CrashLimit {
		if !d.fault(now.Add(time.Duration(i) * CrashWindow / 2)) {
			t.Fatalf("spread fault %d refused", i)
		}
	}
}
