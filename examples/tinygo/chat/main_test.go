package main

import (
	"fmt"
	"slices"
	"testing"

	socklet "github.com/socklet/socklet/sdk/go"
	"github.com/socklet/socklet/sdk/go/sockettest"
)

func text(s string) []sockettest.Message { return []sockettest.Message{sockettest.TextMessage(s)} }

func expect(t *testing.T, h *sockettest.Host, c socklet.Conn, want []sockettest.Message) {
	t.Helper()
	if got := h.Drain(c); !slices.EqualFunc(got, want, sockettest.Message.Equal) {
		t.Fatalf("connection %d got %v, want %v", c, got, want)
	}
}

func TestJoinSubscribesWithADefaultNick(t *testing.T) {
	h := sockettest.New(t, nil)
	a := h.Connect(sockettest.ConnOptions{Path: "/chat"})
	b := h.Connect(sockettest.ConnOptions{Path: "/chat"})
	if got := h.Subscribers("chat"); !slices.Equal(got, []socklet.Conn{a, b}) {
		t.Fatalf("subscribers %v", got)
	}
	if got := string(h.Attachment(a)); got != fmt.Sprintf("anon-%d", a) {
		t.Fatalf("attachment %q", got)
	}
	expect(t, h, a, nil) // joining tells nobody
	expect(t, h, b, nil)
}

func TestMessagesGoToEveryoneElseWithTheNick(t *testing.T) {
	h := sockettest.New(t, nil)
	a := h.Connect(sockettest.ConnOptions{})
	b := h.Connect(sockettest.ConnOptions{})
	c := h.Connect(sockettest.ConnOptions{})
	h.Text(a, "hello")
	want := text(fmt.Sprintf("anon-%d: hello", a))
	expect(t, h, a, nil)
	expect(t, h, b, want)
	expect(t, h, c, want)
}

func TestNickRenamesAndAnswersTheSenderOnly(t *testing.T) {
	h := sockettest.New(t, nil)
	a := h.Connect(sockettest.ConnOptions{})
	b := h.Connect(sockettest.ConnOptions{})
	h.Text(a, "/nick alice")
	expect(t, h, a, text("nick alice"))
	expect(t, h, b, nil)
	h.Text(a, "hi")
	expect(t, h, b, text("alice: hi"))
}

func TestNickSurvivesAReload(t *testing.T) {
	h := sockettest.New(t, nil)
	a := h.Connect(sockettest.ConnOptions{})
	b := h.Connect(sockettest.ConnOptions{})
	h.Text(a, "/nick alice")
	h.Drain(a)
	h.Reload(chat{}) // a new instance: no Go state carried over
	h.Text(a, "still me")
	expect(t, h, b, text("alice: still me"))
}

func TestBinaryIsIgnored(t *testing.T) {
	h := sockettest.New(t, nil)
	a := h.Connect(sockettest.ConnOptions{})
	b := h.Connect(sockettest.ConnOptions{})
	h.Binary(a, []byte("data"))
	expect(t, h, a, nil)
	expect(t, h, b, nil)
}

func TestCloseLeavesTheRoom(t *testing.T) {
	h := sockettest.New(t, nil)
	a := h.Connect(sockettest.ConnOptions{})
	b := h.Connect(sockettest.ConnOptions{})
	h.Close(b, 1000, "")
	if got := h.Subscribers("chat"); !slices.Equal(got, []socklet.Conn{a}) {
		t.Fatalf("subscribers after close %v", got)
	}
	h.Text(a, "anyone?")
	if pubs := h.Publications(); len(pubs) != 1 || pubs[0].Receivers != 0 {
		t.Fatalf("publications %+v", pubs)
	}
}
