package plugins

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSwap(t *testing.T) {
	rt := newTestRuntime(t)
	probe, crash := compile(t, rt, "probe.wasm"), compile(t, rt, "crash.wasm")
	r := newTestRoute(t, rt, probe, RouteConfig{Instances: 2, Config: map[string]string{"init": "trap"}})
	ctx := context.Background()
	p := &prober{t: t, r: r, c: newRecorder()}
	p.h = open(t, r, p.c)
	b := newRecorder()
	hb := open(t, r, b)
	p.expect("attach", p.status(opAttach, []byte("kept"), int64(hb.ID()), scratch, 4), 0)
	p.expect("subscribe", p.status(opSubscribe, []byte("room"), int64(hb.ID()), scratch, 4), 0)
	p.expect("timer", p.status(opTimer, nil, 150, 9), 0)

	// crash.wasm traps in _initialize with this route's config: Swap
	// fails and changes nothing.
	if err := r.Swap(ctx, crash); !errors.Is(err, ErrTrap) {
		t.Fatalf("Swap to a module that fails to start: %v", err)
	}
	if r.mod != probe {
		t.Fatal("a failed Swap replaced the module")
	}
	p.expect("after a failed swap", p.status(opNothing, nil), 0)

	// Swap to a fresh pool of the same module: connections are resumed.
	old := r.slots[0].inst
	if err := r.Swap(ctx, probe); err != nil {
		t.Fatal(err)
	}
	if r.slots[0].inst == old {
		t.Fatal("Swap kept the old instance")
	}
	for _, c := range []*recorder{p.c, b} {
		if !hasMessage(c, "resumed") {
			t.Errorf("connection not resumed after Swap: %v", c.messages())
		}
	}
	// Attachment and subscription survived, and the timer fires on the
	// new instance.
	res, out := p.do(opAttachment, nil, int64(hb.ID()), scratch, 16)
	if res != 4 || string(out[:4]) != "kept" {
		t.Errorf("attachment after Swap: %d %q", res, out[:4])
	}
	if n, _ := p.do(opPublishText, []byte("xroom"), scratch+1, 4, scratch, 1, 0); n != 1 {
		t.Errorf("publish after Swap reached %d", n)
	}
	want := "timer\x00\x00\x00\x09\x00\x00\x00\x00\x00\x00\x00"
	deadline := time.Now().Add(5 * time.Second)
	for !hasMessage(p.c, want) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if !hasMessage(p.c, want) {
		t.Error("the timer set before Swap never fired")
	}
	if err := r.Closed(ctx, hb, 1000, ""); err != nil {
		t.Fatal(err)
	}
}

func TestSwapWithoutResume(t *testing.T) {
	rt := newTestRuntime(t)
	echo, crash := compile(t, rt, "echo.wasm"), compile(t, rt, "crash.wasm")
	r := newTestRoute(t, rt, echo, RouteConfig{})
	ctx := context.Background()
	c := newRecorder()
	h := open(t, r, c)
	if err := r.Swap(ctx, crash); err != nil {
		t.Fatal(err)
	}
	// The connection carries on; the new instance gets its events.
	if err := r.Text(ctx, h, []byte("still")); err != nil || !hasMessage(c, "still") {
		t.Fatalf("after Swap: %v %v", err, c.messages())
	}
	if closed, _, _ := c.closeCode(); closed {
		t.Fatal("Swap closed a connection")
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Swap(ctx, echo); !errors.Is(err, ErrRouteClosed) {
		t.Fatalf("Swap of a closed route: %v", err)
	}
	if err := r.Text(ctx, h, []byte("x")); !errors.Is(err, ErrRouteClosed) {
		t.Fatalf("event of a closed route: %v", err)
	}
}

func TestCloseStopsTimers(t *testing.T) {
	p := newProber(t, RouteConfig{})
	p.expect("timer", p.status(opTimer, nil, 20, 5), 0)
	n, _ := p.c.last()
	if err := p.r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.r.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	time.Sleep(60 * time.Millisecond)
	if m, _ := p.c.last(); m != n {
		t.Fatal("a timer fired after Close")
	}
	if _, _, err := p.r.Open(context.Background(), newRecorder()); !errors.Is(err, ErrRouteClosed) {
		t.Fatalf("Open after Close: %v", err)
	}
	if err := p.r.Closed(context.Background(), p.h, 1000, ""); !errors.Is(err, ErrRouteClosed) {
		t.Fatalf("Closed after Close: %v", err)
	}
}
