package plugins

import (
	"context"
	"strings"
	"testing"
)

func TestEcho(t *testing.T) {
	rt := newTestRuntime(t)
	var logs logBuffer
	r := newTestRoute(t, rt, compile(t, rt, "echo.wasm"), RouteConfig{Logger: logs.logger()})
	c := newRecorder()
	h := open(t, r, c)
	ctx := context.Background()
	if err := r.Text(ctx, h, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := r.Binary(ctx, h, []byte{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := r.Text(ctx, h, nil); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 200000) // needs memory.grow in socklet_alloc
	if err := r.Text(ctx, h, []byte(big)); err != nil {
		t.Fatal(err)
	}
	got := c.messages()
	want := []msg{{true, "hello"}, {false, "\x00\x01\x02"}, {true, ""}, {true, big}}
	if len(got) != len(want) {
		t.Fatalf("got %d messages, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d: got %.40s, want %.40s", i, got[i], want[i])
		}
	}
	if err := r.Closed(ctx, h, 1000, "bye"); err != nil {
		t.Fatal(err)
	}
	if err := r.Closed(ctx, h, 1000, "bye"); err != ErrUnknownHandle {
		t.Fatalf("second Closed: %v, want ErrUnknownHandle", err)
	}
	if err := r.Text(ctx, h, []byte("late")); err != ErrUnknownHandle {
		t.Fatalf("Text after Closed: %v, want ErrUnknownHandle", err)
	}
	if n := r.Connections(); n != 0 {
		t.Fatalf("Connections() = %d after Closed", n)
	}
	if !strings.Contains(logs.String(), "msg=accepted") {
		t.Errorf("log of on_open missing; log:\n%s", logs.String())
	}
}

func TestChatExample(t *testing.T) {
	rt := newTestRuntime(t)
	r := newTestRoute(t, rt, compile(t, rt, "chat.wasm"), RouteConfig{})
	a, b, c := newRecorder(), newRecorder(), newRecorder()
	a.info[2] = "127.0.0.1:4000"
	ha, _, _ := open(t, r, a), open(t, r, b), open(t, r, c)
	ctx := context.Background()
	if err := r.Text(ctx, ha, []byte("hi all")); err != nil {
		t.Fatal(err)
	}
	if err := r.Text(ctx, ha, []byte("/who")); err != nil {
		t.Fatal(err)
	}
	if !hasMessage(b, "hi all") || !hasMessage(c, "hi all") || hasMessage(a, "hi all") {
		t.Errorf("publish: a %v b %v c %v", a.messages(), b.messages(), c.messages())
	}
	if got := a.messages(); len(got) != 1 || got[0].data != "127.0.0.1:4000" {
		t.Errorf("/who: %v", got)
	}
}

func TestLeastConnectionsBinding(t *testing.T) {
	rt := newTestRuntime(t)
	r := newTestRoute(t, rt, compile(t, rt, "echo.wasm"), RouteConfig{Instances: 3})
	var hs []Handle
	for range 7 {
		hs = append(hs, open(t, r, newRecorder()))
	}
	counts := map[*slot]int{}
	r.mu.RLock()
	for _, h := range hs {
		counts[h.c.slot.Load()]++
	}
	r.mu.RUnlock()
	if len(counts) != 3 {
		t.Fatalf("connections on %d instances, want 3", len(counts))
	}
	for s, n := range counts {
		if n < 2 || n > 3 || int(s.nconns.Load()) != n {
			t.Errorf("an instance has %d connections (counter %d)", n, s.nconns.Load())
		}
	}
	for _, h := range hs {
		if err := r.Closed(context.Background(), h, 1000, ""); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range r.slots {
		if s.nconns.Load() != 0 {
			t.Errorf("counter %d after every connection closed", s.nconns.Load())
		}
	}
}
