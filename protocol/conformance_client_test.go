package protocol

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// Client-role conformance: a raw server drives our Dial'd Conn.

// RFC 6455 5.1: "A client MUST close a connection if it detects a masked
// frame" (with 1002).
func TestClientConformanceMaskedServerFrame(t *testing.T) {
	got := make(chan struct{})
	url := rawServer(t, "", func(p *rawPeer) {
		defer close(got)
		p.client = true // masks: forbidden for a server
		p.send(true, 0, opT, []byte("masked"))
		p.client = false
		p.expectClose(StatusProtocolError)
		p.expectTCPClosed()
	})
	c := dialTest(t, url, nil)
	_, _, err := c.ReadMessage()
	if CloseStatus(err) != StatusProtocolError || !errors.Is(err, ErrFailed) {
		t.Fatalf("got %v", err)
	}
	<-got
	waitDone(t, c)
}

// RFC 6455 5.3: client frames are masked ("The masking key is a 32-bit
// value chosen at random"); 7.1.1: the client waits for the server to close
// TCP after the closing handshake.
func TestClientConformanceServerInitiatedClose(t *testing.T) {
	url := rawServer(t, "", func(p *rawPeer) {
		msg := p.expect(opB, []byte{1, 2, 3}) // checks it is masked
		_ = msg
		p.send(true, 0, opT, []byte("before close"))
		p.send(true, 0, opX, closePayload(4001, "app"))
		p.expectClose(4001)
		// The client must not close TCP first: nothing more arrives and
		// the connection stays open until we close it.
		_ = p.nc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		var b [1]byte
		if n, err := p.br.Read(b[:]); n != 0 || !isTimeout(err) {
			p.fatalf("client closed TCP first or sent more: %d %v", n, err)
		}
		p.nc.Close()
	})
	c := dialTest(t, url, nil)
	if err := c.Write(MessageBinary, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	typ, p, err := c.ReadMessage()
	if err != nil || typ != MessageText || string(p) != "before close" {
		t.Fatalf("%v %q %v", typ, p, err)
	}
	_, _, err = c.ReadMessage()
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != 4001 || ce.Reason != "app" || errors.Is(err, ErrFailed) {
		t.Fatalf("got %v", err)
	}
	waitDone(t, c)
}

// RFC 6455 7.1.2: the client starts the closing handshake; the server
// echoes and closes TCP.
func TestClientConformanceClientInitiatedClose(t *testing.T) {
	url := rawServer(t, "", func(p *rawPeer) {
		p.expectClose(StatusGoingAway)
		p.send(true, 0, opX, closePayload(1001, ""))
		p.nc.Close()
	})
	c := dialTest(t, url, nil)
	if err := c.Close(StatusGoingAway, "leaving"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ReadMessage(); CloseStatus(err) != StatusGoingAway {
		t.Fatalf("got %v", err)
	}
	waitDone(t, c)
}

// RFC 6455 5.5.2: the client answers pings, also mid-fragmented message.
func TestClientConformancePingMidFragment(t *testing.T) {
	url := rawServer(t, "", func(p *rawPeer) {
		p.send(false, 0, opT, []byte("he"))
		p.send(true, 0, opP, []byte("?"))
		p.expect(opO, []byte("?"))
		p.send(true, 0, opC, []byte("llo"))
		p.send(true, 0, opX, closePayload(1000, ""))
		p.expectClose(1000)
		p.nc.Close()
	})
	c := dialTest(t, url, nil)
	typ, msg, err := c.ReadMessage()
	if err != nil || typ != MessageText || string(msg) != "hello" {
		t.Fatalf("%v %q %v", typ, msg, err)
	}
	if _, _, err := c.ReadMessage(); CloseStatus(err) != 1000 {
		t.Fatalf("got %v", err)
	}
	waitDone(t, c)
}

// Server-initiated closing handshake (RFC 6455 7.1.2 and 7.1.1: "the
// server MUST close the underlying TCP connection first" once both close
// frames are exchanged).
func TestConformanceServerInitiatedClose(t *testing.T) {
	url := testServer(t, &Upgrader{}, func(c *Conn) {
		_ = c.Write(MessageText, []byte("last"))
		_ = c.Close(StatusGoingAway, "restart")
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	})
	p := rawConnect(t, url, "")
	p.expect(opT, []byte("last"))
	p.expectClose(StatusGoingAway)
	p.send(true, 0, opX, closePayload(1001, ""))
	p.expectTCPClosed()
}

// RFC 6455 7.1.1 leaves the wait bounded to the implementation: with no
// close from the peer, the server closes TCP after CloseTimeout.
func TestConformanceCloseTimeout(t *testing.T) {
	url := testServer(t, &Upgrader{Options: Options{CloseTimeout: 100 * time.Millisecond}}, func(c *Conn) {
		_ = c.Close(StatusNormalClosure, "")
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	})
	p := rawConnect(t, url, "")
	p.expectClose(StatusNormalClosure)
	p.expectTCPClosed() // we never answer
}

// Keepalive: a quiet connection gets pings (RFC 6455 5.5.2: "A Ping frame
// MAY serve either as a keepalive"), and IdleTimeout closes with 1001.
func TestConformanceKeepaliveAndIdle(t *testing.T) {
	url := testServer(t, &Upgrader{Options: Options{PingInterval: 30 * time.Millisecond, IdleTimeout: 90 * time.Millisecond}}, echo)
	p := rawConnect(t, url, "")
	f := p.expect(opP, nil)
	p.send(true, 0, opO, f.payload)
	// Stop answering: the next pings go unanswered and the idle timeout
	// fails the connection with 1001.
	for {
		f, err := p.read()
		if err != nil {
			t.Fatal(err)
		}
		if f.op == opP {
			continue
		}
		if f.op != opX || len(f.payload) < 2 || StatusCode(int(f.payload[0])<<8|int(f.payload[1])) != StatusGoingAway {
			t.Fatalf("want close 1001, got op %d %q", f.op, f.payload)
		}
		break
	}
	p.expectTCPClosed()
}

func TestQueueFullAndStuckPeer(t *testing.T) {
	srv := make(chan *Conn, 1)
	url := testServer(t, &Upgrader{Options: Options{OutboundQueueBytes: 64 << 10, WriteTimeout: 200 * time.Millisecond}}, func(c *Conn) {
		srv <- c
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	})
	p := rawConnect(t, url, "") // never reads
	_ = p
	c := <-srv
	msg := bytes.Repeat([]byte("q"), 16<<10)
	full := false
	for range 100000 {
		err := c.Write(MessageBinary, msg)
		if errors.Is(err, ErrQueueFull) {
			full = true
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !full {
		t.Fatal("queue never filled")
	}
	// Keep the queue full until the kernel buffers are full too: the
	// flusher is then stuck on a peer that does not read, and WriteTimeout
	// closes the connection.
	for i := 0; i < 10000; i++ {
		err := c.Write(MessageBinary, msg)
		if errors.Is(err, ErrClosed) {
			break
		}
		if err != nil && !errors.Is(err, ErrQueueFull) {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	waitDone(t, c)
	if err := c.Write(MessageBinary, msg); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}
