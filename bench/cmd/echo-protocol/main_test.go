package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/socklet/socklet/protocol"
)

// TestEcho: what a client sends comes back unchanged, text and binary,
// small and larger than the read buffer, and a close is answered.
func TestEcho(t *testing.T) {
	poller, err := protocol.NewPoller()
	if err != nil {
		t.Skip("no Poller on this platform:", err)
	}
	defer poller.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serveEcho(ln, poller) }()
	defer func() {
		ln.Close()
		if err := <-done; !errors.Is(err, net.ErrClosed) {
			t.Errorf("serveEcho: %v", err)
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := protocol.Dial(ctx, "ws://"+ln.Addr().String()+"/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	msgs := []struct {
		typ protocol.MessageType
		p   []byte
	}{
		{protocol.MessageText, []byte("hello")},
		{protocol.MessageBinary, bytes.Repeat([]byte{0, 1, 2, 255}, 8)},
		{protocol.MessageBinary, bytes.Repeat([]byte("large "), 20<<10)}, // 120 KiB
	}
	for _, m := range msgs {
		if err := c.Write(m.typ, m.p); err != nil {
			t.Fatal(err)
		}
		typ, p, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if typ != m.typ || !bytes.Equal(p, m.p) {
			t.Fatalf("echo of a %d-byte message of type %v: got %d bytes of type %v", len(m.p), m.typ, len(p), typ)
		}
	}
	if err := c.Close(protocol.StatusNormalClosure, "bye"); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.ReadMessage()
	if code := protocol.CloseStatus(err); code != protocol.StatusNormalClosure {
		t.Fatalf("after our close, read returned %v (status %d), want the server's 1000", err, code)
	}
}
