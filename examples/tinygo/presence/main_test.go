package main

import (
	"slices"
	"testing"
	"time"

	socklet "github.com/socklet/socklet/sdk/go"
	"github.com/socklet/socklet/sdk/go/sockettest"
)

// newHost runs a fresh presence handler (the package-level one registered by
// init would carry members over between tests).
func newHost(t *testing.T) *sockettest.Host {
	h := sockettest.New(t, newPresence())
	h.SetConfig("tick_ms", "1000")
	h.SetConfig("idle_ms", "4000")
	return h
}

func join(t *testing.T, h *sockettest.Host, name string) socklet.Conn {
	t.Helper()
	return h.Connect(sockettest.ConnOptions{Path: "/presence", Query: "room=x&name=" + name})
}

func expect(t *testing.T, h *sockettest.Host, c socklet.Conn, want ...sockettest.Message) {
	t.Helper()
	if got := h.Drain(c); !slices.EqualFunc(got, want, sockettest.Message.Equal) {
		t.Fatalf("connection %d got %v, want %v", c, got, want)
	}
}

var text = sockettest.TextMessage

func TestJoinIsAnnouncedToOthers(t *testing.T) {
	h := newHost(t)
	ann := join(t, h, "ann")
	bob := join(t, h, "bob")
	expect(t, h, ann, text("+ bob joined"))
	expect(t, h, bob)
}

func TestWhoListsEveryoneSorted(t *testing.T) {
	h := newHost(t)
	join(t, h, "zoe")
	ann := join(t, h, "ann")
	anon := h.Connect(sockettest.ConnOptions{})
	h.Drain(ann)
	h.Text(ann, "/who")
	expect(t, h, ann, text("online: ann, anon-3, zoe"))
	if anon != 3 {
		t.Fatalf("handles are not sequential in the emulator: %d", anon)
	}
}

func TestDuplicateNameIsRefused(t *testing.T) {
	h := newHost(t)
	join(t, h, "ann")
	if _, status := h.Open(sockettest.ConnOptions{Query: "name=ann"}); status != 409 {
		t.Fatalf("second ann: status %d, want 409", status)
	}
}

func TestTextGoesToOthersAndLeaveIsAnnounced(t *testing.T) {
	h := newHost(t)
	ann := join(t, h, "ann")
	bob := join(t, h, "bob")
	h.Drain(ann)
	h.Text(bob, "hi")
	expect(t, h, ann, text("bob: hi"))
	expect(t, h, bob)
	h.Close(bob, 1000, "")
	expect(t, h, ann, text("- bob left"))
	h.Text(ann, "/who")
	expect(t, h, ann, text("online: ann"))
}

func TestIdleConnectionsArePingedThenClosed(t *testing.T) {
	h := newHost(t)
	quiet := join(t, h, "quiet")
	chatty := join(t, h, "chatty")
	h.Drain(quiet)
	if got := h.Timers(); got[tickTimer] != time.Second {
		t.Fatalf("timers %v, want the tick in 1s", got)
	}
	for range 3 { // pinged at 2 s and 3 s: silent for half the idle time or more
		h.Advance(time.Second)
		h.Pong(chatty, nil)
	}
	ping := sockettest.Message{Kind: sockettest.Ping, Data: []byte("presence")}
	expect(t, h, quiet, ping, ping)
	expect(t, h, chatty)
	h.Advance(time.Second) // 4 s: idle
	if code, reason, ok := h.Closing(quiet); !ok || code != 4000 || reason != "idle" {
		t.Fatalf("quiet: closing=%v %d %q, want 4000 idle", ok, code, reason)
	}
	if _, _, ok := h.Closing(chatty); ok {
		t.Fatal("a connection that answered pings was closed")
	}
	h.Close(quiet, 4000, "idle")
	h.Close(chatty, 1000, "")
	h.Advance(time.Second) // the last tick finds nobody and stops
	if got := h.Timers(); len(got) != 0 {
		t.Fatalf("timer still armed with nobody online: %v", got)
	}
}

func TestReloadRebuildsMembersFromAttachments(t *testing.T) {
	h := newHost(t)
	ann := join(t, h, "ann")
	join(t, h, "bob")
	h.Drain(ann)
	h.Reload(newPresence())
	if got := h.Timers(); got[tickTimer] != time.Second {
		t.Fatalf("the new instance did not re-arm its tick: %v", got)
	}
	h.Text(ann, "/who")
	expect(t, h, ann, text("online: ann, bob"))
}
