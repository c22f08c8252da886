package main

import (
	"slices"
	"testing"

	"github.com/socklet/socklet/sdk/go/sockettest"
)

func TestEchoesTextAsText(t *testing.T) {
	h := sockettest.New(t, nil) // the handler init registered
	c := h.Connect(sockettest.ConnOptions{Path: "/echo"})
	for _, msg := range []string{"hello", "", "日本語 ✓"} {
		h.Text(c, msg)
		if got := h.Drain(c); !slices.EqualFunc(got, []sockettest.Message{sockettest.TextMessage(msg)}, sockettest.Message.Equal) {
			t.Fatalf("text %q: echoed %v", msg, got)
		}
	}
}

func TestEchoesBinaryAsBinary(t *testing.T) {
	h := sockettest.New(t, nil)
	c := h.Connect(sockettest.ConnOptions{Path: "/echo"})
	for _, n := range []int{0, 1, 125, 126, 65536, 1 << 20} {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte(i * 7)
		}
		h.Binary(c, msg)
		if got := h.Drain(c); !slices.EqualFunc(got, []sockettest.Message{sockettest.BinaryMessage(msg)}, sockettest.Message.Equal) {
			t.Fatalf("binary of %d bytes: echoed %d messages", n, len(got))
		}
	}
}

func TestEchoesOnlyToTheSender(t *testing.T) {
	h := sockettest.New(t, nil)
	a := h.Connect(sockettest.ConnOptions{})
	b := h.Connect(sockettest.ConnOptions{})
	h.Text(a, "mine")
	if got := h.Drain(b); len(got) != 0 {
		t.Fatalf("the other connection got %v", got)
	}
	if got := h.Drain(a); len(got) != 1 {
		t.Fatalf("the sender got %v", got)
	}
}

func TestFullQueueDropsTheEcho(t *testing.T) {
	h := sockettest.New(t, nil)
	c := h.Connect(sockettest.ConnOptions{})
	h.SetQueueFull(c, true)
	h.Text(c, "lost")
	h.SetQueueFull(c, false)
	h.Text(c, "kept")
	if got := h.Drain(c); !slices.EqualFunc(got, []sockettest.Message{sockettest.TextMessage("kept")}, sockettest.Message.Equal) {
		t.Fatalf("got %v, want only the second echo", got)
	}
}
