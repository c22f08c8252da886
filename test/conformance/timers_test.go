package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/socklet/socklet/protocol"
)

// testTicker (AssemblyScript ticker, interval_ms = 50): ticks arrive
// numbered 1, 2, 3...; "/stop" stops them, "/start" starts them again; a
// hot reload keeps them coming (the timer moves to the new instance and
// onResume re-arms it).
func testTicker(t *testing.T, s *server) {
	c := s.dial(t, "/timers", nil)
	type tick struct {
		Tick  int64 `json:"tick"`
		NowMS int64 `json:"now_ms"`
	}
	// readTick reads the next message, which must be a tick.
	readTick := func() tick {
		t.Helper()
		line := c.nextText()
		var tk tick
		if err := json.Unmarshal([]byte(line), &tk); err != nil || tk.Tick <= 0 || tk.NowMS <= 0 {
			t.Fatalf("got %q, want {\"tick\":N,\"now_ms\":T}", line)
		}
		return tk
	}
	first := readTick()
	prev := first
	for range 3 {
		tk := readTick()
		if tk.Tick != prev.Tick+1 || tk.NowMS < prev.NowMS {
			t.Fatalf("tick %+v after %+v: want the next number and a later time", tk, prev)
		}
		prev = tk
	}
	if wall := time.UnixMilli(prev.NowMS); time.Since(wall).Abs() > time.Minute {
		t.Errorf("now_ms %d is not the host's clock", prev.NowMS)
	}
	// untilReply skips ticks already queued until the command's answer.
	untilReply := func(want string) {
		t.Helper()
		for range 100 {
			line := c.nextText()
			if line == want {
				return
			}
			if !strings.HasPrefix(line, `{"tick":`) {
				t.Fatalf("got %q, want %q", line, want)
			}
		}
		t.Fatalf("no %q", want)
	}
	c.sendText("/stop")
	untilReply("stopped")
	c.quiet(300 * time.Millisecond) // six intervals: the timer was cancelled
	c.sendText("/start")
	untilReply("started")
	readTick()

	timers, err := readFile(s, "timers.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if !reload(t, s, "/timers", "timers.wasm", appendCustomSection(timers, "conformance", []byte("ticker 2"))) {
		t.Fatal("ReloadRoute did not swap the ticker")
	}
	// Ticks keep coming from the new instance (its count starts again).
	for range 3 {
		readTick()
	}
	if !c.alive() {
		t.Fatalf("closed by the reload: %v", c.err)
	}
}

// testPresenceIdle (Go and TinyGo presence, tick_ms = 50, idle_ms = 1000):
// the sweep timer closes a connection that stays silent (it does not even
// answer the plugin's pings) with 4000 "idle", and everyone else hears
// "- NAME left"; a client that answers pings stays.
func testPresenceIdle(t *testing.T, s *server) {
	// ann does not read, so she does not answer pings: she goes idle.
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	ann, _, err := protocol.Dial(ctx, "ws://"+s.addr+"/timers?name=ann", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ann.CloseNow() })
	bob := s.dial(t, "/timers?name=bob", nil)
	bob.sendText("/who")
	if got := bob.nextText(); got != "online: ann, bob" {
		t.Fatalf("/who: got %q", got)
	}
	// A name already online is refused with 409.
	if _, err := s.tryDial(t, "/timers?name=bob", nil); err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("second bob: got %v, want a 409 refusal", err)
	}
	if got := bob.nextText(); got != "- ann left" {
		t.Fatalf("bob got %q, want %q (the idle sweep)", got, "- ann left")
	}
	// ann now reads what was queued for her, then the close frame.
	type result struct {
		msgs []string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		var r result
		for range 10 {
			_, p, err := ann.ReadMessage()
			if err != nil {
				r.err = err
				break
			}
			r.msgs = append(r.msgs, string(p))
		}
		ch <- r
	}()
	var r result
	select {
	case r = <-ch:
	case <-time.After(wait):
		t.Fatal("ann's connection did not end")
	}
	if len(r.msgs) != 1 || r.msgs[0] != "+ bob joined" {
		t.Errorf("ann read %q before the close, want [\"+ bob joined\"]", r.msgs)
	}
	var ce *protocol.CloseError
	if !errors.As(r.err, &ce) || ce.Code != 4000 || ce.Reason != "idle" {
		t.Errorf("ann's connection ended with %v, want close 4000 \"idle\"", r.err)
	}
	bob.sendText("/who")
	if got := bob.nextText(); got != "online: bob" {
		t.Errorf("/who after the sweep: got %q", got)
	}
	if !bob.alive() {
		t.Errorf("bob, who answers pings, was closed: %v", bob.err)
	}

	// After a hot reload, OnResume rebuilds the members from their
	// attachments and re-arms the sweep.
	cat := s.dial(t, "/timers?name=cat", nil)
	if got := bob.nextText(); got != "+ cat joined" {
		t.Fatalf("bob got %q, want %q", got, "+ cat joined")
	}
	wasm, err := readFile(s, "timers.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if !reload(t, s, "/timers", "timers.wasm", appendCustomSection(wasm, "conformance", []byte("presence 2"))) {
		t.Fatal("ReloadRoute did not swap presence")
	}
	bob.sendText("/who")
	if got := bob.nextText(); got != "online: bob, cat" {
		t.Errorf("/who after a reload: got %q, want %q", got, "online: bob, cat")
	}
	cat.sendText("still here")
	if got := bob.nextText(); got != "cat: still here" {
		t.Errorf("after a reload: got %q", got)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), wait)
	defer cancel2()
	dan, _, err := protocol.Dial(ctx2, "ws://"+s.addr+"/timers?name=dan", nil) // does not read
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dan.CloseNow() })
	for _, want := range []string{"+ dan joined", "- dan left"} {
		if got := bob.nextText(); got != want {
			t.Fatalf("bob got %q, want %q (the sweep after a reload)", got, want)
		}
	}
}

// testRustSleep (Rust jsonrpc): "sleep" answers after a host timer, so
// replies come in timer order, not request order.
func testRustSleep(t *testing.T, s *server) {
	c := s.dial(t, "/timers", nil)
	c.sendText(`{"jsonrpc":"2.0","id":1,"method":"sleep","params":[400]}`)
	c.sendText(`{"jsonrpc":"2.0","id":2,"method":"sleep","params":[40]}`)
	c.sendText(`{"jsonrpc":"2.0","id":3,"method":"echo","params":"now"}`)
	type reply struct {
		ID     int             `json:"id"`
		Result json.RawMessage `json:"result"`
		Error  any             `json:"error"`
	}
	want := []struct {
		id     int
		result string
	}{{3, `"now"`}, {2, `40`}, {1, `400`}}
	for _, w := range want {
		line := c.nextText()
		var r reply
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.ID != w.id || string(r.Result) != w.result {
			t.Fatalf("got %q, want the reply to id %d with result %s (timers fire in time order)", line, w.id, w.result)
		}
	}
	// A sleep on a connection that closed before its timer fired answers
	// nobody and disturbs nobody.
	gone := s.dial(t, "/timers", nil)
	gone.sendText(`{"jsonrpc":"2.0","id":9,"method":"sleep","params":[50]}`)
	_ = gone.conn.Close(1000, "")
	gone.closed()
	c.sendText(`{"jsonrpc":"2.0","id":4,"method":"sleep","params":[100]}`)
	if got := c.nextText(); got != `{"id":4,"result":100}` {
		t.Errorf("got %q", got)
	}

	// A hot reload forgets pending sleeps (they were instance state, as
	// the example documents) but keeps the connection and the timers
	// working: a sleep asked of the new instance is answered. The pending
	// sleep is long enough for the reload to finish first; when the reload
	// is slower than that (under -race a compile takes seconds), the old
	// instance legitimately answers it before the swap and only the rest is
	// checked.
	const pending = 1000 * time.Millisecond
	asked := time.Now()
	c.sendText(`{"jsonrpc":"2.0","id":5,"method":"sleep","params":[1000]}`)
	c.sendText(`{"jsonrpc":"2.0","id":6,"method":"echo","params":6}`)
	if got := c.nextText(); got != `{"id":6,"result":6}` {
		t.Fatalf("got %q", got)
	}
	wasm, err := readFile(s, "timers.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if !reload(t, s, "/timers", "timers.wasm", appendCustomSection(wasm, "conformance", []byte("jsonrpc 2"))) {
		t.Fatal("ReloadRoute did not swap jsonrpc")
	}
	swappedInTime := time.Since(asked) < pending*8/10
	c.sendText(`{"jsonrpc":"2.0","id":7,"method":"sleep","params":[50]}`)
	for {
		got := c.nextText()
		if got == `{"id":7,"result":50}` {
			break
		}
		if got != `{"id":5,"result":1000}` || swappedInTime {
			t.Fatalf("after a reload: got %q, want the reply to id 7 only", got)
		}
	}
	if swappedInTime {
		c.quiet(time.Until(asked.Add(pending + 300*time.Millisecond))) // the forgotten sleep answers nobody
	} else {
		t.Logf("the reload took %v: the sleep pending across it was not observed", time.Since(asked))
	}
	if !c.alive() {
		t.Errorf("closed by the reload: %v", c.err)
	}
}
