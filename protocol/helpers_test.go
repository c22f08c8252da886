package protocol

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"
)

// tcpPair returns the two ends of a loopback TCP connection (the accepted
// one first), closed when the test ends.
func tcpPair(t testing.TB) (a, b *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		ch <- c
	}()
	d, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	acc := <-ch
	if acc == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { d.Close(); acc.Close() })
	return acc.(*net.TCPConn), d.(*net.TCPConn)
}

// testServer listens on loopback and runs handle for every accepted Conn
// (through ReadRequest + Negotiate + Upgrade, as the host does). It returns
// the ws:// URL. Everything is stopped by t.Cleanup.
func testServer(t testing.TB, u *Upgrader, handle func(c *Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	go func() {
		defer close(done)
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go serveOne(u, nc, handle)
		}
	}()
	return "ws://" + ln.Addr().String() + "/"
}

func serveOne(u *Upgrader, nc net.Conn, handle func(c *Conn)) {
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReaderSize(nc, 4096)
	r, err := ReadRequest(br)
	if err != nil {
		var he *HandshakeError
		if errors.As(err, &he) {
			_ = WriteReject(nc, he)
		}
		nc.Close()
		return
	}
	hs, err := u.Negotiate(r)
	if err != nil {
		_ = WriteReject(nc, err.(*HandshakeError))
		nc.Close()
		return
	}
	c, err := u.Upgrade(nc, br, hs, nil)
	if err != nil {
		return
	}
	handle(c)
}

// echo reads messages and writes them back until an error.
func echo(c *Conn) {
	for {
		typ, p, err := c.ReadMessage()
		if err != nil {
			return
		}
		if err := c.Write(typ, p); err != nil {
			return
		}
	}
}

func dialTest(t testing.TB, url string, opts *DialOptions) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := Dial(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// waitDone waits for c.Done with a bound.
func waitDone(t testing.TB, c *Conn) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("connection not finished after 10s")
	}
}

var _ = http.StatusOK
