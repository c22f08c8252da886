package main

import (
	"slices"
	"testing"

	"github.com/socklet/socklet/sdk/go/sockettest"
)

// The tests run natively (go test) against socklet's host emulator.

func TestTextIsEchoedWithThePrefix(t *testing.T) {
	h := sockettest.New(t, nil) // the handler init registered
	h.SetConfig("prefix", "> ")
	c := h.Connect(sockettest.ConnOptions{Path: "/__NAME__"})
	h.Text(c, "hello")
	want := []sockettest.Message{sockettest.TextMessage("> hello")}
	if got := h.Drain(c); !slices.EqualFunc(got, want, sockettest.Message.Equal) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestBinaryIsEchoed(t *testing.T) {
	h := sockettest.New(t, nil)
	c := h.Connect(sockettest.ConnOptions{})
	h.Binary(c, []byte{1, 2, 3})
	want := []sockettest.Message{sockettest.BinaryMessage([]byte{1, 2, 3})}
	if got := h.Drain(c); !slices.EqualFunc(got, want, sockettest.Message.Equal) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
