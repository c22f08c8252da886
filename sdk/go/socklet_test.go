package socklet_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	socklet "github.com/socklet/socklet/sdk/go"
	"github.com/socklet/socklet/sdk/go/sockettest"
)

// recorder records the events it gets and runs an optional hook per text.
type recorder struct {
	socklet.Default
	open    func(socklet.Conn) error
	onText  func(socklet.Conn, []byte)
	events  []string
	kept    [][]byte
	timers  []uint64
	resumed []socklet.Conn
}

func (r *recorder) OnOpen(c socklet.Conn) error {
	r.events = append(r.events, fmt.Sprintf("open %d", c))
	if r.open != nil {
		return r.open(c)
	}
	return nil
}

func (r *recorder) OnText(c socklet.Conn, msg []byte) {
	r.events = append(r.events, fmt.Sprintf("text %d %q", c, msg))
	r.kept = append(r.kept, msg)
	if r.onText != nil {
		r.onText(c, msg)
	}
}

func (r *recorder) OnBinary(c socklet.Conn, msg []byte) {
	r.events = append(r.events, fmt.Sprintf("binary %d %d", c, len(msg)))
	if err := c.SendBinary(msg); err != nil {
		r.events = append(r.events, "error "+err.Error())
	}
}

func (r *recorder) OnPong(c socklet.Conn, p []byte) {
	r.events = append(r.events, fmt.Sprintf("pong %d %q", c, p))
}

func (r *recorder) OnClose(c socklet.Conn, code int, reason string) {
	r.events = append(r.events, fmt.Sprintf("close %d %d %q", c, code, reason))
}

func (r *recorder) OnTimer(id uint64) { r.timers = append(r.timers, id) }

func (r *recorder) OnResume(c socklet.Conn) { r.resumed = append(r.resumed, c) }

func TestEventsReachTheHandler(t *testing.T) {
	r := &recorder{}
	h := sockettest.New(t, r)
	c := h.Connect(sockettest.ConnOptions{})
	h.Text(c, "héllo")
	h.Pong(c, []byte("p"))
	h.Close(c, 1001, "going away")
	want := []string{
		fmt.Sprintf("open %d", c),
		fmt.Sprintf("text %d %q", c, "héllo"),
		fmt.Sprintf("pong %d %q", c, "p"),
		fmt.Sprintf("close %d 1001 %q", c, "going away"),
	}
	if !slices.Equal(r.events, want) {
		t.Fatalf("events:\n got %q\nwant %q", r.events, want)
	}
	if h.IsOpen(c) {
		t.Fatal("connection still open after Close")
	}
}

func TestPayloadIsReusedAfterTheEvent(t *testing.T) {
	r := &recorder{}
	h := sockettest.New(t, r)
	c := h.Connect(sockettest.ConnOptions{})
	h.Text(c, "first")
	// The handler kept msg without copying it: the SDK's buffer was reused,
	// which is what the contract "valid only during the call" warns about.
	if string(r.kept[0]) == "first" {
		t.Fatal("a kept payload still holds its bytes: the emulator does not reuse the event buffer")
	}
}

func TestBinaryEchoSizes(t *testing.T) {
	r := &recorder{}
	h := sockettest.New(t, r)
	c := h.Connect(sockettest.ConnOptions{})
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 1 << 20} {
		msg := bytes.Repeat([]byte{byte(n), 0xA5}, n/2+1)[:n]
		h.Binary(c, msg)
		got := h.Drain(c)
		if len(got) != 1 || got[0].Kind != sockettest.Binary || !bytes.Equal(got[0].Data, msg) {
			t.Fatalf("echo of %d bytes: got %v", n, got)
		}
	}
}

func TestSendErrors(t *testing.T) {
	r := &recorder{}
	h := sockettest.New(t, r)
	var errs []error
	r.onText = func(c socklet.Conn, msg []byte) {
		switch string(msg) {
		case "bad utf8":
			errs = append(errs, c.SendText([]byte{0xff, 0xfe}))
		case "full":
			errs = append(errs, c.SendText([]byte("x")))
		case "close":
			errs = append(errs, c.Close(1000, "bye"))
			errs = append(errs, c.SendText([]byte("after close")))
			errs = append(errs, c.Close(1000, "again"))
		case "bad code":
			errs = append(errs, c.Close(1005, ""), c.Close(70000, ""))
		case "long reason":
			errs = append(errs, c.Close(1000, strings.Repeat("r", socklet.MaxCloseReason+1)))
		case "big ping":
			errs = append(errs, c.Ping(make([]byte, socklet.MaxControlPayload+1)))
		case "other":
			errs = append(errs, socklet.Conn(999).SendText([]byte("x")))
		}
	}
	c := h.Connect(sockettest.ConnOptions{})
	h.Text(c, "bad utf8")
	h.Text(c, "bad code")
	h.Text(c, "long reason")
	h.Text(c, "big ping")
	h.Text(c, "other")
	h.SetQueueFull(c, true)
	h.Text(c, "full")
	h.SetQueueFull(c, false)
	h.Text(c, "close")
	want := []error{
		socklet.ErrInvalidUTF8,
		socklet.ErrInvalidArgument, socklet.ErrInvalidArgument,
		socklet.ErrTooLarge,
		socklet.ErrTooLarge,
		socklet.ErrBadHandle,
		socklet.ErrQueueFull,
		nil, socklet.ErrClosed, socklet.ErrClosed,
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors %v, want %d", len(errs), errs, len(want))
	}
	for i := range want {
		if !errors.Is(errs[i], want[i]) {
			t.Errorf("error %d: got %v, want %v", i, errs[i], want[i])
		}
	}
	if code, reason, ok := h.Closing(c); !ok || code != 1000 || reason != "bye" {
		t.Errorf("Closing = %d %q %v, want 1000 bye true", code, reason, ok)
	}
	if got := h.Drain(c); len(got) != 1 || got[0].String() != `close 1000 "bye"` {
		t.Errorf("queued %v, want only the close", got)
	}
}

func TestErrorValues(t *testing.T) {
	wrapped := fmt.Errorf("sending: %w", socklet.ErrQueueFull)
	if !errors.Is(wrapped, socklet.ErrQueueFull) || errors.Is(wrapped, socklet.ErrClosed) {
		t.Fatal("errors.Is does not see through wrapping")
	}
	var e socklet.Error
	if !errors.As(wrapped, &e) || e != socklet.ErrQueueFull {
		t.Fatal("errors.As does not find the Error")
	}
	seen := map[string]bool{}
	for s := socklet.Error(-1); s >= -9; s-- {
		msg := s.Error()
		if !strings.HasPrefix(msg, "socklet: ") || strings.Contains(msg, "status") || seen[msg] {
			t.Errorf("Error(%d) = %q: want a distinct name prefixed with socklet:", s, msg)
		}
		seen[msg] = true
	}
	if got := socklet.Error(-42).Error(); got != "socklet: status -42" {
		t.Errorf("unknown status: %q", got)
	}
}

func TestOpenResults(t *testing.T) {
	r := &recorder{}
	h := sockettest.New(t, r)
	cases := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{socklet.Reject(403), 403},
		{fmt.Errorf("auth: %w", socklet.Reject(401)), 401},
		{socklet.Reject(200), 500},
		{errors.New("database down"), 500},
	}
	for _, tc := range cases {
		r.open = func(socklet.Conn) error { return tc.err }
		c, got := h.Open(sockettest.ConnOptions{})
		if got != tc.want {
			t.Errorf("OnOpen returning %v: status %d, want %d", tc.err, got, tc.want)
		}
		if h.IsOpen(c) != (tc.want == 0) {
			t.Errorf("OnOpen returning %v: IsOpen = %v", tc.err, h.IsOpen(c))
		}
	}
	logs := h.Logs()
	if len(logs) != 2 || logs[1].Level != socklet.LevelError || !strings.Contains(logs[1].Message, "database down") {
		t.Errorf("logs = %v, want the two 500 refusals at error level", logs)
	}
}

func TestInfoHeaderConfig(t *testing.T) {
	r := &recorder{}
	h := sockettest.New(t, r)
	long := strings.Repeat("v", 3000) // longer than the SDK's first buffer
	h.SetConfig("greeting", "hi")
	h.SetConfig("long", long)
	var c socklet.Conn
	r.open = func(conn socklet.Conn) error {
		c = conn
		return nil
	}
	h.Connect(sockettest.ConnOptions{
		Path: "/chat", Query: "room=1", RemoteAddr: "[::1]:5000", Subprotocol: "chat.v1",
		Origin: "http://localhost", Header: map[string]string{"X-Token": long, "Accept": "a, b"},
	})
	infos := map[socklet.InfoKey]string{
		socklet.InfoPath: "/chat", socklet.InfoQuery: "room=1", socklet.InfoRemoteAddr: "[::1]:5000",
		socklet.InfoSubprotocol: "chat.v1", socklet.InfoOrigin: "http://localhost",
	}
	for k, want := range infos {
		if got, err := c.Info(k); got != want || err != nil {
			t.Errorf("Info(%d) = %q, %v; want %q", k, got, err, want)
		}
	}
	if _, err := c.Info(99); err != socklet.ErrInvalidArgument {
		t.Errorf("Info(99): %v, want ErrInvalidArgument", err)
	}
	if got, err := c.Header("x-token"); got != long || err != nil {
		t.Errorf("Header(x-token) = %d bytes, %v", len(got), err)
	}
	if got, _ := c.Header("Accept"); got != "a, b" {
		t.Errorf("Header(Accept) = %q", got)
	}
	if _, err := c.Header("Missing"); err != socklet.ErrNotFound {
		t.Errorf("Header(Missing): %v, want ErrNotFound", err)
	}
	if got, err := socklet.Config("greeting"); got != "hi" || err != nil {
		t.Errorf("Config(greeting) = %q, %v", got, err)
	}
	if got, err := socklet.Config("long"); got != long || err != nil {
		t.Errorf("Config(long) = %d bytes, %v", len(got), err)
	}
	if _, err := socklet.Config("nope"); err != socklet.ErrNotFound {
		t.Errorf("Config(nope): %v, want ErrNotFound", err)
	}
}

func TestAttachments(t *testing.T) {
	r := &recorder{}
	h := sockettest.New(t, r)
	c := h.Connect(sockettest.ConnOptions{})
	if got, err := c.Attachment(); len(got) != 0 || err != nil {
		t.Fatalf("fresh attachment = %q, %v", got, err)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), socklet.MaxAttachment/16)
	if err := c.Attach(big); err != nil {
		t.Fatal(err)
	}
	got, err := c.Attachment()
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("attachment of %d bytes came back as %d, %v", len(big), len(got), err)
	}
	got[0] = 'X' // the caller owns the copy
	if again, _ := c.Attachment(); again[0] != '0' {
		t.Fatal("Attachment returned memory shared with the SDK or host")
	}
	if err := c.Attach(append(big, 1)); err != socklet.ErrTooLarge {
		t.Fatalf("attach over the limit: %v, want ErrTooLarge", err)
	}
	if err := c.Attach([]byte("small")); err != nil || string(h.Attachment(c)) != "small" {
		t.Fatalf("attach replaced: %v, host has %q", err, h.Attachment(c))
	}
	h.Close(c, 1000, "")
	if _, err := c.Attachment(); err != socklet.ErrBadHandle {
		t.Fatalf("attachment after close: %v, want ErrBadHandle", err)
	}
}

func TestTopics(t *testing.T) {
	r := &recorder{}
	h := sockettest.New(t, r)
	a := h.Connect(sockettest.ConnOptions{})
	b := h.Connect(sockettest.ConnOptions{})
	c := h.Connect(sockettest.ConnOptions{})
	for _, conn := range []socklet.Conn{a, b} {
		if added, err := conn.Subscribe("room"); !added || err != nil {
			t.Fatalf("Subscribe: %v, %v", added, err)
		}
	}
	if added, err := a.Subscribe("room"); added || err != nil {
		t.Fatalf("second Subscribe: added=%v, %v", added, err)
	}
	if _, err := a.Subscribe(""); err != socklet.ErrInvalidArgument {
		t.Fatalf("Subscribe(\"\"): %v", err)
	}
	if _, err := a.Subscribe(strings.Repeat("t", socklet.MaxTopic+1)); err != socklet.ErrTooLarge {
		t.Fatalf("long topic: %v", err)
	}
	n, err := socklet.Publish("room", []byte("hi"), a)
	if n != 1 || err != nil {
		t.Fatalf("Publish = %d, %v; want 1 receiver", n, err)
	}
	if got := h.Drain(b); len(got) != 1 || got[0].String() != `text "hi"` {
		t.Fatalf("b got %v", got)
	}
	if got := h.Drain(a); len(got) != 0 {
		t.Fatalf("the excepted sender got %v", got)
	}
	if n, _ := socklet.PublishBinary("", []byte{1, 2}, 0); n != 3 {
		t.Fatalf("publish to every connection reached %d, want 3", n)
	}
	if got := h.Drain(c); len(got) != 1 || got[0].Kind != sockettest.Binary {
		t.Fatalf("c got %v", got)
	}
	if _, err := socklet.Publish("room", []byte{0xff}, 0); err != socklet.ErrInvalidUTF8 {
		t.Fatalf("invalid UTF-8 publish: %v", err)
	}
	if removed, err := a.Unsubscribe("room"); !removed || err != nil {
		t.Fatalf("Unsubscribe: %v, %v", removed, err)
	}
	if removed, _ := a.Unsubscribe("room"); removed {
		t.Fatal("second Unsubscribe removed again")
	}
	if got := h.Subscribers("room"); !slices.Equal(got, []socklet.Conn{b}) {
		t.Fatalf("subscribers %v, want [b]", got)
	}
	pubs := h.Publications()
	if len(pubs) != 2 || pubs[0].Topic != "room" || pubs[0].Except != a || !pubs[1].Binary {
		t.Fatalf("publications %+v", pubs)
	}
}

func TestTimers(t *testing.T) {
	r := &recorder{}
	h := sockettest.New(t, r)
	if got := socklet.Now(); !got.Equal(sockettest.Epoch) {
		t.Fatalf("Now = %v, want the emulator's epoch", got)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(socklet.SetTimer(1500*time.Microsecond, 1)) // rounds up to 2 ms
	must(socklet.SetTimer(10*time.Millisecond, 2))
	must(socklet.SetTimer(5*time.Millisecond, 3))
	must(socklet.SetTimer(20*time.Millisecond, 3)) // re-armed
	must(socklet.SetTimer(time.Second, 4))
	must(socklet.CancelTimer(4))
	if err := socklet.CancelTimer(4); err != socklet.ErrNotFound {
		t.Fatalf("second cancel: %v", err)
	}
	if err := socklet.SetTimer(-time.Millisecond, 5); err != socklet.ErrInvalidArgument {
		t.Fatalf("negative delay: %v", err)
	}
	if err := socklet.SetTimer(1<<31*time.Millisecond, 5); err != socklet.ErrInvalidArgument {
		t.Fatalf("delay too long: %v", err)
	}
	h.Advance(time.Millisecond)
	if len(r.timers) != 0 {
		t.Fatalf("timer fired early: %v", r.timers)
	}
	h.Advance(time.Minute)
	if !slices.Equal(r.timers, []uint64{1, 2, 3}) {
		t.Fatalf("fired %v, want [1 2 3]", r.timers)
	}
	if got := socklet.Now().Sub(sockettest.Epoch); got != time.Minute+time.Millisecond {
		t.Fatalf("clock advanced by %v", got)
	}
}

func TestReloadResumesConnections(t *testing.T) {
	old := &recorder{}
	h := sockettest.New(t, old)
	a := h.Connect(sockettest.ConnOptions{})
	b := h.Connect(sockettest.ConnOptions{})
	h.Close(a, 1000, "")
	if _, err := b.Subscribe("room"); err != nil {
		t.Fatal(err)
	}
	if err := socklet.SetTimer(time.Second, 7); err != nil {
		t.Fatal(err)
	}
	next := &recorder{}
	h.Reload(next)
	if !slices.Equal(next.resumed, []socklet.Conn{b}) || len(old.resumed) != 0 {
		t.Fatalf("resumed %v, want [b] on the new handler", next.resumed)
	}
	if len(h.Timers()) != 0 {
		t.Fatalf("timers of the old instance survived: %v", h.Timers())
	}
	if got := h.Topics(b); !slices.Equal(got, []string{"room"}) {
		t.Fatalf("topics after reload %v", got)
	}
}

func TestDefaultHandler(t *testing.T) {
	h := sockettest.New(t, nil)
	socklet.Serve(nil)
	c := h.Connect(sockettest.ConnOptions{})
	h.Text(c, "ignored")
	h.Binary(c, []byte("ignored"))
	h.Close(c, 1000, "")
	if got := h.Drain(c); len(got) != 0 {
		t.Fatalf("Default sent %v", got)
	}
}

func TestLog(t *testing.T) {
	h := sockettest.New(t, &recorder{})
	socklet.Log(socklet.LevelWarn, "careful")
	socklet.Log(socklet.Level(9), "dropped")
	socklet.Log(socklet.LevelDebug, strings.Repeat("x", socklet.MaxLogLine+10))
	logs := h.Logs()
	if len(logs) != 2 || logs[0] != (sockettest.LogEntry{Level: socklet.LevelWarn, Message: "careful"}) ||
		len(logs[1].Message) != socklet.MaxLogLine {
		t.Fatalf("logs %v", logs)
	}
}

// closer checks what a handler may still do during OnClose.
type closer struct {
	socklet.Default
	sendErr, unsubErr, attachErr error
	attachment                   string
}

func (c *closer) OnClose(conn socklet.Conn, code int, reason string) {
	c.sendErr = conn.SendText([]byte("too late"))
	_, c.unsubErr = conn.Unsubscribe("room")
	var b []byte
	b, c.attachErr = conn.Attachment()
	c.attachment = string(b)
}

func TestHandleWorksDuringOnCloseButSendsDoNot(t *testing.T) {
	cl := &closer{}
	h := sockettest.New(t, cl)
	c := h.Connect(sockettest.ConnOptions{})
	if _, err := c.Subscribe("room"); err != nil {
		t.Fatal(err)
	}
	if err := c.Attach([]byte("nick")); err != nil {
		t.Fatal(err)
	}
	h.Close(c, 1006, "")
	if cl.sendErr != socklet.ErrClosed || cl.unsubErr != nil || cl.attachErr != nil || cl.attachment != "nick" {
		t.Fatalf("during OnClose: send %v, unsubscribe %v, attachment %q %v", cl.sendErr, cl.unsubErr, cl.attachment, cl.attachErr)
	}
	if err := c.SendText([]byte("x")); err != socklet.ErrBadHandle {
		t.Fatalf("after OnClose: %v, want ErrBadHandle", err)
	}
}

func TestPublishClosesAReceiverWithAFullQueue(t *testing.T) {
	h := sockettest.New(t, &recorder{})
	a := h.Connect(sockettest.ConnOptions{})
	b := h.Connect(sockettest.ConnOptions{})
	h.SetQueueFull(b, true)
	if n, err := socklet.Publish("", []byte("hi"), 0); n != 1 || err != nil {
		t.Fatalf("Publish = %d, %v; want 1 (a only)", n, err)
	}
	if code, reason, ok := h.Closing(b); !ok || code != 1013 || reason != "outbound queue full" {
		t.Fatalf("b closing=%v %d %q, want 1013", ok, code, reason)
	}
	if got := h.Drain(a); len(got) != 1 {
		t.Fatalf("a got %v", got)
	}
}
