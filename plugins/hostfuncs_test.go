package plugins

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/socklet/socklet/abi"
)

// Addresses in the probe fixture (testdata/probe.wat).
const (
	scratch = 8192    // data of a command is copied here
	badPtr  = 1 << 30 // far outside the probe's memory
)

// Probe ops (testdata/probe.wat).
const (
	opSendText = iota + 1
	opSendBinary
	opPing
	opClose
	opSubscribe
	opUnsubscribe
	opPublishText
	opPublishBinary
	opConnInfo
	opConnHeader
	opAttach
	opAttachment
	opConfig
	opLog
	opTimer
	opTimerCancel
	opNowMs
	opTrap        = 20
	opLoop        = 21
	opGrow        = 22
	opOpenStatus  = 23
	opNothing     = 24
	opOutOfBounds = 25
)

// prober drives the probe fixture through one connection.
type prober struct {
	t    *testing.T
	r    *Route
	h    Handle
	c    *recorder
	logs *logBuffer
}

func newProber(t *testing.T, cfg RouteConfig) *prober {
	t.Helper()
	rt := newTestRuntime(t)
	logs := &logBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = logs.logger()
	}
	r := newTestRoute(t, rt, compile(t, rt, "probe.wasm"), cfg)
	c := newRecorder()
	return &prober{t: t, r: r, h: open(t, r, c), c: c, logs: logs}
}

// command encodes a probe command.
func command(op int64, args []int64, data []byte) []byte {
	b := make([]byte, 48, 48+len(data))
	binary.LittleEndian.PutUint64(b, uint64(op))
	for i, a := range args {
		binary.LittleEndian.PutUint64(b[8+8*i:], uint64(a))
	}
	return append(b, data...)
}

// do runs op with args (data at scratch) and returns its result and the
// scratch area after the call.
func (p *prober) do(op int64, data []byte, args ...int64) (int64, []byte) {
	p.t.Helper()
	before, _ := p.c.last()
	if err := p.r.Binary(context.Background(), p.h, command(op, args, data)); err != nil {
		p.t.Fatalf("op %d: %v", op, err)
	}
	n, reply := p.c.last()
	if n <= before {
		p.t.Fatalf("op %d: no reply", op)
	}
	if reply.text || len(reply.data) != 264 {
		p.t.Fatalf("op %d: reply %s", op, reply)
	}
	return int64(binary.LittleEndian.Uint64([]byte(reply.data))), []byte(reply.data[8:])
}

// status runs op and returns its result as a status.
func (p *prober) status(op int64, data []byte, args ...int64) abi.Status {
	p.t.Helper()
	res, _ := p.do(op, data, args...)
	return abi.Status(res)
}

func (p *prober) expect(name string, got, want abi.Status) {
	p.t.Helper()
	if got != want {
		p.t.Errorf("%s: status %d (%s), want %d (%s)", name, got, got, want, want)
	}
}

func TestSendText(t *testing.T) {
	p := newProber(t, RouteConfig{})
	b := newRecorder()
	hb := open(t, p.r, b)
	p.expect("ok", p.status(opSendText, []byte("hello"), int64(hb.ID()), scratch, 5), abi.StatusOK)
	p.expect("empty", p.status(opSendText, nil, int64(hb.ID()), 0, 0), abi.StatusOK)
	p.expect("unknown handle", p.status(opSendText, []byte("x"), 987654321, scratch, 1), abi.StatusBadHandle)
	p.expect("handle 0", p.status(opSendText, []byte("x"), 0, scratch, 1), abi.StatusBadHandle)
	p.expect("bad pointer", p.status(opSendText, nil, int64(hb.ID()), badPtr, 5), abi.StatusBadPointer)
	p.expect("wrapping range", p.status(opSendText, nil, int64(hb.ID()), 0xffffffff, 2), abi.StatusBadPointer)
	p.expect("invalid UTF-8", p.status(opSendText, []byte("a\xffb"), int64(hb.ID()), scratch, 3), abi.StatusInvalidUTF8)
	p.expect("binary may be anything", p.status(opSendBinary, []byte("a\xffb"), int64(hb.ID()), scratch, 3), abi.StatusOK)
	b.mu.Lock()
	b.full = true
	b.mu.Unlock()
	p.expect("queue full", p.status(opSendText, []byte("x"), int64(hb.ID()), scratch, 1), abi.StatusQueueFull)
	b.mu.Lock()
	b.full, b.writeErr = false, ErrTooLarge
	b.mu.Unlock()
	p.expect("too large", p.status(opSendBinary, []byte("x"), int64(hb.ID()), scratch, 1), abi.StatusTooLarge)
	b.mu.Lock()
	b.writeErr = ErrClosed
	b.mu.Unlock()
	p.expect("closed", p.status(opSendText, []byte("x"), int64(hb.ID()), scratch, 1), abi.StatusClosed)
	want := []msg{{true, "hello"}, {true, ""}, {false, "a\xffb"}}
	got := b.messages()
	if len(got) != len(want) {
		t.Fatalf("b got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("b message %d: %s, want %s", i, got[i], want[i])
		}
	}
}

func TestForeignHandle(t *testing.T) {
	p := newProber(t, RouteConfig{})
	// A connection of another route (same module, same runtime).
	other := newTestRoute(t, p.r.rt, p.r.mod, RouteConfig{Name: "/other"})
	oc := newRecorder()
	ho := open(t, other, oc)
	for _, op := range []int64{opSendText, opSendBinary, opPing, opSubscribe, opUnsubscribe, opAttach, opAttachment} {
		p.expect("foreign", p.status(op, []byte("x"), int64(ho.ID()), scratch, 1), abi.StatusBadHandle)
	}
	p.expect("foreign close", p.status(opClose, nil, int64(ho.ID()), 1000, 0, 0), abi.StatusBadHandle)
	p.expect("foreign conn_info", p.status(opConnInfo, nil, int64(ho.ID()), 0, scratch, 16), abi.StatusBadHandle)
	p.expect("foreign conn_header", p.status(opConnHeader, []byte("Host"), int64(ho.ID()), scratch, 4, scratch+100, 16), abi.StatusBadHandle)
	if len(oc.messages()) != 0 {
		t.Fatalf("the other route's connection received %v", oc.messages())
	}
	if closed, _, _ := oc.closeCode(); closed {
		t.Fatal("the other route's connection was closed")
	}
}

func TestPingAndClose(t *testing.T) {
	p := newProber(t, RouteConfig{})
	b := newRecorder()
	hb := open(t, p.r, b)
	p.expect("ping", p.status(opPing, []byte("pp"), int64(hb.ID()), scratch, 2), abi.StatusOK)
	p.expect("ping 125", p.status(opPing, bytes.Repeat([]byte("p"), 125), int64(hb.ID()), scratch, 125), abi.StatusOK)
	p.expect("ping 126", p.status(opPing, bytes.Repeat([]byte("p"), 126), int64(hb.ID()), scratch, 126), abi.StatusTooLarge)
	p.expect("ping bad pointer", p.status(opPing, nil, int64(hb.ID()), badPtr, 1), abi.StatusBadPointer)
	if len(b.pings) != 2 || string(b.pings[0]) != "pp" {
		t.Errorf("pings %q", b.pings)
	}
	for _, code := range []int64{0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, -1} {
		p.expect("close code", p.status(opClose, nil, int64(hb.ID()), code, 0, 0), abi.StatusInvalidArgument)
	}
	p.expect("reason too long", p.status(opClose, bytes.Repeat([]byte("r"), 124), int64(hb.ID()), 1000, scratch, 124), abi.StatusTooLarge)
	p.expect("reason not UTF-8", p.status(opClose, []byte("\xff"), int64(hb.ID()), 1000, scratch, 1), abi.StatusInvalidUTF8)
	p.expect("reason bad pointer", p.status(opClose, nil, int64(hb.ID()), 1000, badPtr, 3), abi.StatusBadPointer)
	p.expect("close", p.status(opClose, []byte("bye"), int64(hb.ID()), 4000, scratch, 3), abi.StatusOK)
	if closed, code, reason := b.closeCode(); !closed || code != 4000 || reason != "bye" {
		t.Errorf("close: %v %d %q", closed, code, reason)
	}
	p.expect("close twice", p.status(opClose, nil, int64(hb.ID()), 1000, 0, 0), abi.StatusClosed)
	p.expect("ping closed", p.status(opPing, nil, int64(hb.ID()), 0, 0), abi.StatusClosed)
}

func TestTopics(t *testing.T) {
	framer := &testFramer{}
	p := newProber(t, RouteConfig{Framer: framer})
	b, c := newRecorder(), newRecorder()
	hb, hc := open(t, p.r, b), open(t, p.r, c)
	topic := []byte("room")
	p.expect("subscribe b", p.status(opSubscribe, topic, int64(hb.ID()), scratch, 4), abi.StatusOK)
	p.expect("subscribe b again", p.status(opSubscribe, topic, int64(hb.ID()), scratch, 4), 1)
	p.expect("subscribe c", p.status(opSubscribe, topic, int64(hc.ID()), scratch, 4), abi.StatusOK)
	p.expect("empty topic", p.status(opSubscribe, nil, int64(hb.ID()), 0, 0), abi.StatusInvalidArgument)
	p.expect("long topic", p.status(opSubscribe, bytes.Repeat([]byte("t"), 257), int64(hb.ID()), scratch, 257), abi.StatusTooLarge)
	p.expect("topic 256", p.status(opSubscribe, bytes.Repeat([]byte("t"), 256), int64(hb.ID()), scratch, 256), abi.StatusOK)
	p.expect("topic bad pointer", p.status(opSubscribe, nil, int64(hb.ID()), badPtr, 4), abi.StatusBadPointer)

	data := append([]byte("hi all\x00"), topic...) // payload at scratch, topic at scratch+7
	n, _ := p.do(opPublishText, data, scratch+7, 4, scratch, 6, 0)
	if n != 2 {
		t.Fatalf("publish to room reached %d, want 2", n)
	}
	n, _ = p.do(opPublishBinary, data, scratch+7, 4, scratch, 6, int64(hb.ID()))
	if n != 1 {
		t.Fatalf("publish except b reached %d, want 1", n)
	}
	n, _ = p.do(opPublishText, data, 0, 0, scratch, 6, 0)
	if n != 3 {
		t.Fatalf("publish to every connection reached %d, want 3", n)
	}
	n, _ = p.do(opPublishText, data, scratch, 2, scratch, 6, 0) // topic "hi"
	if n != 0 {
		t.Fatalf("publish to an empty topic reached %d", n)
	}
	p.expect("publish invalid UTF-8", p.status(opPublishText, []byte("\xff"), 0, 0, scratch, 1, 0), abi.StatusInvalidUTF8)
	p.expect("publish bad pointer", p.status(opPublishText, nil, 0, 0, badPtr, 1, 0), abi.StatusBadPointer)
	p.expect("publish bad topic pointer", p.status(opPublishText, nil, badPtr, 3, scratch, 1, 0), abi.StatusBadPointer)
	p.expect("publish long topic", p.status(opPublishText, bytes.Repeat([]byte("t"), 257), scratch, 257, scratch, 1, 0), abi.StatusTooLarge)
	wantB := []msg{{true, "hi all"}, {true, "hi all"}}
	wantC := []msg{{true, "hi all"}, {false, "hi all"}, {true, "hi all"}}
	if got := b.messages(); len(got) != len(wantB) || got[0] != wantB[0] || got[1] != wantB[1] {
		t.Errorf("b got %v, want %v", got, wantB)
	}
	if got := c.messages(); len(got) != len(wantC) || got[0] != wantC[0] || got[1] != wantC[1] || got[2] != wantC[2] {
		t.Errorf("c got %v, want %v", got, wantC)
	}
	if framer.prepared != 3 {
		t.Errorf("Prepare called %d times for 3 publishes with receivers", framer.prepared)
	}

	// A receiver whose queue is full is closed with 1013 and not counted.
	c.mu.Lock()
	c.full = true
	c.mu.Unlock()
	n, _ = p.do(opPublishText, data, scratch+7, 4, scratch, 6, 0)
	if n != 1 {
		t.Fatalf("publish with a full receiver reached %d, want 1", n)
	}
	if closed, code, reason := c.closeCode(); !closed || code != 1013 || reason != "outbound queue full" {
		t.Errorf("full receiver: closed %v code %d reason %q", closed, code, reason)
	}

	p.expect("unsubscribe", p.status(opUnsubscribe, topic, int64(hb.ID()), scratch, 4), abi.StatusOK)
	p.expect("unsubscribe again", p.status(opUnsubscribe, topic, int64(hb.ID()), scratch, 4), 1)
	p.expect("unsubscribe empty", p.status(opUnsubscribe, nil, int64(hb.ID()), 0, 0), abi.StatusInvalidArgument)
	// Closed forgets c's subscriptions.
	if err := p.r.Closed(context.Background(), hc, 1000, ""); err != nil {
		t.Fatal(err)
	}
	n, _ = p.do(opPublishText, data, scratch+7, 4, scratch, 6, 0)
	if n != 0 {
		t.Fatalf("publish after every subscriber left reached %d", n)
	}
}

func TestSubscriptionLimit(t *testing.T) {
	p := newProber(t, RouteConfig{})
	for i := range abi.MaxSubscriptions {
		topic := []byte{byte(i), byte(i >> 8), 'x'}
		p.expect("subscribe", p.status(opSubscribe, topic, int64(p.h.ID()), scratch, 3), abi.StatusOK)
	}
	p.expect("subscription limit", p.status(opSubscribe, []byte("one more"), int64(p.h.ID()), scratch, 8), abi.StatusLimit)
}

func TestConnInfoAndHeaders(t *testing.T) {
	p := newProber(t, RouteConfig{})
	b := newRecorder()
	b.info[abi.InfoPath] = "/chat"
	b.info[abi.InfoQuery] = "a=1"
	b.info[abi.InfoRemoteAddr] = "127.0.0.1:5000"
	b.info[abi.InfoSubprotocol] = "v1"
	b.info[abi.InfoOrigin] = "https://example.com"
	b.headers["x-test"] = "one, two"
	hb := open(t, p.r, b)
	for key, want := range b.info {
		res, out := p.do(opConnInfo, nil, int64(hb.ID()), int64(key), scratch, 64)
		if res != int64(len(want)) || string(out[:len(want)]) != want {
			t.Errorf("conn_info %d: %d %q, want %q", key, res, out[:max(0, min(int(res), 64))], want)
		}
	}
	res, out := p.do(opConnInfo, nil, int64(hb.ID()), int64(abi.InfoPath), scratch, 2)
	if res != 5 || out[0] != 0 {
		t.Errorf("conn_info into a short buffer: %d, wrote %q", res, out[:5])
	}
	res, _ = p.do(opConnInfo, nil, int64(hb.ID()), int64(abi.InfoPath), 0, 0)
	if res != 5 {
		t.Errorf("conn_info size query: %d", res)
	}
	p.expect("unknown key", p.status(opConnInfo, nil, int64(hb.ID()), 5, scratch, 64), abi.StatusInvalidArgument)
	p.expect("negative key", p.status(opConnInfo, nil, int64(hb.ID()), -1, scratch, 64), abi.StatusInvalidArgument)
	p.expect("bad buffer", p.status(opConnInfo, nil, int64(hb.ID()), 0, badPtr, 64), abi.StatusBadPointer)

	res, out = p.do(opConnHeader, []byte("X-Test"), int64(hb.ID()), scratch, 6, scratch+100, 64)
	if res != 8 || string(out[100:108]) != "one, two" {
		t.Errorf("conn_header: %d %q", res, out[100:108])
	}
	p.expect("absent header", p.status(opConnHeader, []byte("X-None"), int64(hb.ID()), scratch, 6, scratch+100, 64), abi.StatusNotFound)
	p.expect("empty name", p.status(opConnHeader, nil, int64(hb.ID()), scratch, 0, scratch+100, 64), abi.StatusInvalidArgument)
	p.expect("bad name pointer", p.status(opConnHeader, nil, int64(hb.ID()), badPtr, 6, scratch+100, 64), abi.StatusBadPointer)
	p.expect("bad buffer", p.status(opConnHeader, []byte("X-Test"), int64(hb.ID()), scratch, 6, badPtr, 64), abi.StatusBadPointer)
}

func TestAttachAndConfig(t *testing.T) {
	p := newProber(t, RouteConfig{Config: map[string]string{"greeting": "hello there"}})
	res, _ := p.do(opAttachment, nil, int64(p.h.ID()), scratch, 64)
	if res != 0 {
		t.Errorf("attachment before attach: %d", res)
	}
	p.expect("attach", p.status(opAttach, []byte("state-1"), int64(p.h.ID()), scratch, 7), abi.StatusOK)
	res, out := p.do(opAttachment, nil, int64(p.h.ID()), scratch, 64)
	if res != 7 || string(out[:7]) != "state-1" {
		t.Errorf("attachment: %d %q", res, out[:7])
	}
	res, out = p.do(opAttachment, nil, int64(p.h.ID()), scratch, 3)
	if res != 7 || out[0] != 0 {
		t.Errorf("attachment into a short buffer: %d %q", res, out[:7])
	}
	p.expect("attach too large", p.status(opAttach, nil, int64(p.h.ID()), 0, abi.MaxAttachment+1), abi.StatusTooLarge)
	p.expect("attach bad pointer", p.status(opAttach, nil, int64(p.h.ID()), badPtr, 3), abi.StatusBadPointer)
	p.expect("attachment bad pointer", p.status(opAttachment, nil, int64(p.h.ID()), badPtr, 3), abi.StatusBadPointer)
	p.expect("attach empty", p.status(opAttach, nil, int64(p.h.ID()), 0, 0), abi.StatusOK)
	if res, _ := p.do(opAttachment, nil, int64(p.h.ID()), scratch, 64); res != 0 {
		t.Errorf("attachment after clearing: %d", res)
	}

	res, out = p.do(opConfig, []byte("greeting"), scratch, 8, scratch+100, 64)
	if res != 11 || string(out[100:111]) != "hello there" {
		t.Errorf("config: %d %q", res, out[100:111])
	}
	p.expect("absent key", p.status(opConfig, []byte("nope"), scratch, 4, scratch+100, 64), abi.StatusNotFound)
	p.expect("bad key pointer", p.status(opConfig, nil, badPtr, 4, scratch+100, 64), abi.StatusBadPointer)
	p.expect("bad buffer", p.status(opConfig, []byte("greeting"), scratch, 8, badPtr, 64), abi.StatusBadPointer)
}

func TestLog(t *testing.T) {
	p := newProber(t, RouteConfig{})
	p.expect("log", p.status(opLog, []byte("hello log"), int64(abi.LogWarn), scratch, 9), abi.StatusOK)
	p.expect("bad level", p.status(opLog, []byte("x"), 4, scratch, 1), abi.StatusInvalidArgument)
	p.expect("bad pointer", p.status(opLog, nil, int64(abi.LogInfo), badPtr, 1), abi.StatusBadPointer)
	// A line longer than MaxLogLine is cut (the probe's memory holds it
	// from 0 onwards; its content does not matter).
	p.expect("long line", p.status(opLog, nil, int64(abi.LogError), 0, abi.MaxLogLine+100), abi.StatusOK)
	out := p.logs.String()
	if !strings.Contains(out, `level=WARN msg="hello log"`) {
		t.Errorf("log output lacks the warning:\n%s", out)
	}
	if !strings.Contains(out, "truncated=true") {
		t.Errorf("long line not marked truncated:\n%.300s", out)
	}
}

func TestTimers(t *testing.T) {
	p := newProber(t, RouteConfig{})
	p.expect("timer", p.status(opTimer, nil, 5, 42), abi.StatusOK)
	p.expect("re-arm", p.status(opTimer, nil, 10, 42), abi.StatusOK)
	p.expect("second timer", p.status(opTimer, nil, 60000, 43), abi.StatusOK)
	p.expect("cancel", p.status(opTimerCancel, nil, 43), abi.StatusOK)
	p.expect("cancel again", p.status(opTimerCancel, nil, 43), abi.StatusNotFound)
	p.expect("negative delay", p.status(opTimer, nil, -1, 44), abi.StatusInvalidArgument)
	want := "timer\x00\x00\x00" + string([]byte{42, 0, 0, 0, 0, 0, 0, 0})
	deadline := time.Now().Add(5 * time.Second)
	for !hasMessage(p.c, want) {
		if time.Now().After(deadline) {
			t.Fatalf("timer 42 never fired; got %v", p.c.messages())
		}
		time.Sleep(2 * time.Millisecond)
	}
	time.Sleep(30 * time.Millisecond)
	if n := countMessages(p.c, want); n != 1 {
		t.Fatalf("timer 42 fired %d times", n)
	}
	p.expect("cancel fired", p.status(opTimerCancel, nil, 42), abi.StatusNotFound)
}

func TestTimerLimit(t *testing.T) {
	p := newProber(t, RouteConfig{})
	for i := range abi.MaxTimers {
		if st := p.status(opTimer, nil, 3600000, int64(i)); st != abi.StatusOK {
			t.Fatalf("timer %d: %s", i, st)
		}
	}
	p.expect("timer limit", p.status(opTimer, nil, 1000, abi.MaxTimers), abi.StatusLimit)
	p.expect("re-arm at the limit", p.status(opTimer, nil, 1000, 7), abi.StatusOK)
}

func TestNowMs(t *testing.T) {
	p := newProber(t, RouteConfig{})
	before := time.Now().UnixMilli()
	res, _ := p.do(opNowMs, nil)
	after := time.Now().UnixMilli()
	if res < before || res > after {
		t.Fatalf("now_ms %d not within [%d, %d]", res, before, after)
	}
}

// TestUpperBitsIgnored calls host functions directly with garbage in the
// upper 32 bits of i32 arguments, as wazero may pass them.
func TestUpperBitsIgnored(t *testing.T) {
	p := newProber(t, RouteConfig{})
	b := newRecorder()
	hb := open(t, p.r, b)
	s := p.r.slots[0]
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.inst
	in.mem.Write(scratch, []byte("garbage"))
	const junk = 0xdeadbeef << 32
	stack := []uint64{hb.ID(), junk | scratch, junk | 7}
	hostFuncs[abi.FuncSendText](in.ctx, in.mod, stack)
	if st := abi.Status(int32(uint32(stack[0]))); st != abi.StatusOK {
		t.Fatalf("send_text with junk upper bits: %s", st)
	}
	stack = []uint64{junk | uint64(abi.LogInfo), junk | scratch, junk | 7}
	hostFuncs[abi.FuncLog](in.ctx, in.mod, stack)
	if st := abi.Status(int32(uint32(stack[0]))); st != abi.StatusOK {
		t.Fatalf("log with junk upper bits: %s", st)
	}
	if got := b.messages(); len(got) != 1 || got[0].data != "garbage" {
		t.Fatalf("b got %v", got)
	}
}

func hasMessage(c *recorder, data string) bool { return countMessages(c, data) > 0 }

func countMessages(c *recorder, data string) int {
	n := 0
	for _, m := range c.messages() {
		if m.data == data {
			n++
		}
	}
	return n
}

func TestStatusesAllCovered(t *testing.T) {
	// Every status code must be produced by some test above; this list
	// names where, so a new status cannot be added without a test.
	covered := map[abi.Status]string{
		abi.StatusOK:              "TestSendText",
		abi.StatusBadHandle:       "TestSendText, TestForeignHandle",
		abi.StatusClosed:          "TestSendText, TestPingAndClose",
		abi.StatusQueueFull:       "TestSendText",
		abi.StatusInvalidArgument: "TestPingAndClose, TestTopics, TestLog",
		abi.StatusTooLarge:        "TestSendText, TestPingAndClose, TestTopics",
		abi.StatusInvalidUTF8:     "TestSendText, TestPingAndClose",
		abi.StatusBadPointer:      "TestSendText and every other",
		abi.StatusNotFound:        "TestConnInfoAndHeaders, TestTimers",
		abi.StatusLimit:           "TestSubscriptionLimit, TestTimerLimit",
	}
	for _, s := range abi.Statuses() {
		if covered[s] == "" {
			t.Errorf("status %d (%s) has no test", s, s)
		}
	}
}
