package plugins

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/socklet/socklet/abi"
)

// These tests check the invariant that replaced the route-wide gate (see
// Route.pool): Swap and Close wait for the calls in flight and stop new
// ones, and an event that waited for a Swap is delivered once, to the new
// instance.

// blockingConn is a recorder whose Write of the message block stops until
// release is closed, with the guest call in flight; entered is closed when
// it stops.
type blockingConn struct {
	*recorder
	block            string
	entered, release chan struct{}
}

func newBlockingConn(block string) *blockingConn {
	return &blockingConn{recorder: newRecorder(), block: block, entered: make(chan struct{}), release: make(chan struct{})}
}

func (c *blockingConn) Write(text bool, p []byte) error {
	if string(p) == c.block {
		close(c.entered)
		<-c.release
	}
	return c.recorder.Write(text, p)
}

// callLog is a wazero function listener that records which instance ran
// each event export, for which connection.
type callLog struct {
	mu    sync.Mutex
	calls []loggedCall
}

type loggedCall struct {
	mod    api.Module
	export string
	conn   uint64
}

func (l *callLog) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	if len(def.ExportNames()) == 0 || def.GoFunction() != nil {
		return nil
	}
	return callLogListener{l, def.ExportNames()[0]}
}

// of returns the calls of export for conn.
func (l *callLog) of(export string, conn uint64) []loggedCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []loggedCall
	for _, c := range l.calls {
		if c.export == export && c.conn == conn {
			out = append(out, c)
		}
	}
	return out
}

type callLogListener struct {
	l      *callLog
	export string
}

func (c callLogListener) Before(_ context.Context, mod api.Module, _ api.FunctionDefinition, params []uint64, _ experimental.StackIterator) {
	var conn uint64
	if len(params) > 0 {
		conn = params[0]
	}
	c.l.mu.Lock()
	c.l.calls = append(c.l.calls, loggedCall{mod, c.export, conn})
	c.l.mu.Unlock()
}

func (callLogListener) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {}
func (callLogListener) Abort(context.Context, api.Module, api.FunctionDefinition, error)    {}

// loggedRoute is a route of fixture name whose guest calls are logged.
func loggedRoute(t *testing.T, name string, cfg RouteConfig) (*Route, *Module, *callLog) {
	t.Helper()
	log := &callLog{}
	ctx := experimental.WithFunctionListenerFactory(context.Background(), log)
	rt := newTestRuntime(t)
	mod, err := rt.Compile(ctx, name, fixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mod.Release(context.Background()) })
	return newTestRoute(t, rt, mod, cfg), mod, log
}

// returned reports whether ch delivered within d, and what.
func returned(ch <-chan error, d time.Duration) (error, bool) {
	select {
	case err := <-ch:
		return err, true
	case <-time.After(d):
		return nil, false
	}
}

func TestSwapWaitsForCallsInFlight(t *testing.T) {
	r, mod, _ := loggedRoute(t, "echo.wasm", RouteConfig{EventTimeout: time.Minute})
	ctx := context.Background()
	a := newBlockingConn("block")
	ha := open(t, r, a)
	s0 := r.slots[0]
	old := s0.inst

	first := make(chan error, 1)
	go func() { first <- r.Text(ctx, ha, []byte("block")) }()
	<-a.entered // the guest is inside send_text
	swapped := make(chan error, 1)
	go func() { swapped <- r.Swap(ctx, mod) }()
	if err, ok := returned(swapped, 50*time.Millisecond); ok {
		t.Fatalf("Swap returned while a call was in flight: %v", err)
	}
	if s0.inst != old {
		t.Fatal("Swap disposed an instance in a call")
	}
	close(a.release)
	if err := <-first; err != nil {
		t.Fatalf("the call in flight: %v", err)
	}
	if err := <-swapped; err != nil {
		t.Fatalf("Swap: %v", err)
	}
	if !s0.gone || r.slots[0] == s0 {
		t.Fatal("the old slot is still in the pool")
	}
	if got := a.messages(); len(got) != 1 || got[0].data != "block" {
		t.Fatalf("messages %v, want the echo of block once", got)
	}
	if err := r.Text(ctx, ha, []byte("after")); err != nil || !hasMessage(a.recorder, "after") {
		t.Fatalf("after Swap: %v", err)
	}
}

// TestSwapEventFollowsConnection holds Swap after it locked the slots and
// before it re-binds the connections, and sends an event then: the event
// loaded the old slot and waits for it, and must find its connection moved
// and be delivered once, to the new instance.
func TestSwapEventFollowsConnection(t *testing.T) {
	r, mod, log := loggedRoute(t, "echo.wasm", RouteConfig{})
	ctx := context.Background()
	b := newRecorder()
	hb := open(t, r, b)
	s0 := r.slots[0]
	oldMod := s0.inst.mod

	r.mu.Lock() // Swap re-binds under mu: hold it there
	swapped := make(chan error, 1)
	go func() { swapped <- r.Swap(ctx, mod) }()
	for deadline := time.Now().Add(10 * time.Second); s0.mu.TryLock(); { // until Swap holds the old slot
		s0.mu.Unlock()
		if time.Now().After(deadline) {
			r.mu.Unlock()
			t.Fatal("Swap never locked the slot of the pool")
		}
		time.Sleep(time.Millisecond)
	}
	if hb.c.slot.Load() != s0 {
		t.Fatal("re-bound before mu was free")
	}
	second := make(chan error, 1)
	go func() { second <- r.Text(ctx, hb, []byte("second")) }()
	if err, ok := returned(second, 20*time.Millisecond); ok {
		t.Fatalf("an event ran during Swap: %v", err)
	}
	r.mu.Unlock()
	if err := <-swapped; err != nil {
		t.Fatalf("Swap: %v", err)
	}
	if err := <-second; err != nil {
		t.Fatalf("the event that waited: %v", err)
	}
	if got := b.messages(); len(got) != 1 || got[0].data != "second" {
		t.Fatalf("messages %v, want the echo of second once", got)
	}
	calls := log.of(abi.ExportText, hb.ID())
	if len(calls) != 1 || calls[0].mod == oldMod || calls[0].mod != r.slots[0].inst.mod {
		t.Fatalf("the event ran %d times, on the old instance: %v", len(calls), len(calls) == 1 && calls[0].mod == oldMod)
	}
}

// TestSwapResumesBeforeEvents blocks the new instance's socklet_on_resume
// (Swap holds every slot): an event sent meanwhile waits, and reaches the
// new instance after its resume.
func TestSwapResumesBeforeEvents(t *testing.T) {
	r, mod, log := loggedRoute(t, "probe.wasm", RouteConfig{EventTimeout: time.Minute})
	ctx := context.Background()
	a := newBlockingConn("resumed")
	ha := open(t, r, a)
	swapped := make(chan error, 1)
	go func() { swapped <- r.Swap(ctx, mod) }()
	<-a.entered // the new instance is in socklet_on_resume, sending
	second := make(chan error, 1)
	go func() { second <- r.Text(ctx, ha, []byte("x")) }()
	if err, ok := returned(second, 20*time.Millisecond); ok {
		t.Fatalf("an event ran during socklet_on_resume: %v", err)
	}
	close(a.release)
	if err := <-swapped; err != nil {
		t.Fatalf("Swap: %v", err)
	}
	if err := <-second; err != nil {
		t.Fatalf("the event that waited: %v", err)
	}
	resumes, texts := log.of(abi.ExportResume, ha.ID()), log.of(abi.ExportText, ha.ID())
	if len(resumes) != 1 || len(texts) != 1 || texts[0].mod != resumes[0].mod {
		t.Fatalf("%d resumes, %d texts, same instance %v", len(resumes), len(texts), len(texts) == 1 && len(resumes) == 1 && texts[0].mod == resumes[0].mod)
	}
}

func TestCloseWaitsForCallsInFlight(t *testing.T) {
	r, _, _ := loggedRoute(t, "echo.wasm", RouteConfig{EventTimeout: time.Minute})
	ctx := context.Background()
	a := newBlockingConn("block")
	ha := open(t, r, a)
	b := newRecorder()
	hb := open(t, r, b)
	s0 := r.slots[0]
	old := s0.inst

	first := make(chan error, 1)
	go func() { first <- r.Text(ctx, ha, []byte("block")) }()
	<-a.entered
	closed := make(chan error, 1)
	go func() { closed <- r.Close(ctx) }()
	second := make(chan error, 1)
	go func() { second <- r.Text(ctx, hb, []byte("second")) }()
	if err, ok := returned(closed, 50*time.Millisecond); ok {
		t.Fatalf("Close returned while a call was in flight: %v", err)
	}
	if s0.inst != old {
		t.Fatal("Close disposed an instance in a call")
	}
	close(a.release)
	if err := <-first; err != nil {
		t.Fatalf("the call in flight: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	// The second event either ran before Close took the slot, or fails.
	if err := <-second; err != nil && !errors.Is(err, ErrRouteClosed) {
		t.Fatalf("an event that waited for Close: %v", err)
	} else if err == nil && !hasMessage(b, "second") {
		t.Fatal("an event reported delivered was not")
	}
	if err := r.Text(ctx, ha, []byte("late")); !errors.Is(err, ErrRouteClosed) {
		t.Fatalf("event after Close: %v", err)
	}
	if err := r.Closed(ctx, ha, 1000, ""); !errors.Is(err, ErrRouteClosed) {
		t.Fatalf("Closed after Close: %v", err)
	}
}

// TestHandleOfAnotherRoute: a Handle is only good with its own route.
func TestHandleOfAnotherRoute(t *testing.T) {
	r1, _, _ := loggedRoute(t, "echo.wasm", RouteConfig{})
	r2, _, _ := loggedRoute(t, "echo.wasm", RouteConfig{})
	c := newRecorder()
	h := open(t, r1, c)
	ctx := context.Background()
	if err := r2.Text(ctx, h, []byte("x")); !errors.Is(err, ErrUnknownHandle) {
		t.Fatalf("Text with a handle of another route: %v", err)
	}
	if err := r2.Closed(ctx, h, 1000, ""); !errors.Is(err, ErrUnknownHandle) {
		t.Fatalf("Closed with a handle of another route: %v", err)
	}
	if err := r1.Text(ctx, Handle{}, []byte("x")); !errors.Is(err, ErrUnknownHandle) {
		t.Fatalf("Text with the zero Handle: %v", err)
	}
	if len(c.messages()) != 0 {
		t.Fatal("delivered with a wrong handle")
	}
	if err := r1.Closed(ctx, h, 1000, ""); err != nil {
		t.Fatal(err)
	}
	if err := r1.Text(ctx, h, []byte("x")); !errors.Is(err, ErrUnknownHandle) {
		t.Fatalf("Text after Closed: %v", err)
	}
	if err := r1.Swap(ctx, r1.mod); err != nil {
		t.Fatal(err)
	}
	if err := r1.Closed(ctx, h, 1000, ""); !errors.Is(err, ErrUnknownHandle) {
		t.Fatalf("second Closed, after a Swap: %v", err)
	}
}

// TestSwapUnderLoadLosesNothing sends numbered messages on many connections
// while the route is swapped again and again: every connection must get
// the echo of each of its messages once, in order.
func TestSwapUnderLoadLosesNothing(t *testing.T) {
	r, mod, _ := loggedRoute(t, "echo.wasm", RouteConfig{Instances: 2})
	ctx := context.Background()
	const workers, conns, msgs = 4, 3, 400
	stopSwapping := keepSwapping(t, r, mod, 200*time.Microsecond)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			type live struct {
				h Handle
				c *recorder
			}
			var cs []live
			for range conns {
				c := newRecorder()
				cs = append(cs, live{open(t, r, c), c})
			}
			for i := range msgs {
				for _, l := range cs {
					if err := r.Text(ctx, l.h, []byte(strconv.Itoa(i))); err != nil {
						t.Errorf("worker %d: Text: %v", w, err)
						return
					}
				}
			}
			for _, l := range cs {
				var got []string
				for _, m := range l.c.messages() {
					got = append(got, m.data)
				}
				want := make([]string, msgs)
				for i := range want {
					want[i] = strconv.Itoa(i)
				}
				if !slices.Equal(got, want) {
					t.Errorf("worker %d: connection got %d messages, want %d in order: %s", w, len(got), msgs, fmt.Sprint(got))
				}
				if err := r.Closed(ctx, l.h, 1000, ""); err != nil {
					t.Errorf("Closed: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	n := stopSwapping()
	t.Logf("%d swaps during %d events", n, workers*conns*msgs)
	if n < 2 {
		t.Error("fewer than two swaps: the test did not exercise Swap under load")
	}
	if r.Connections() != 0 {
		t.Errorf("%d connections left", r.Connections())
	}
}
