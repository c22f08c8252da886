// Command echo-protocol is an echo server on socklet's protocol package
// alone: the same socket reading, parking and corked writes as `socklet
// serve`, with the echo written by a Go function instead of a Wasm plugin.
// Next to socklet's embedded /echo on the same load, it tells what the
// sandbox costs per message (the plugin call, its locks and counters) apart
// from the protocol core (docs/benchmarks.md, "What to change", item 11).
// Every path is an echo endpoint; it is a measuring instrument, not an
// example of a server (no limits, no metrics, no graceful shutdown).
package main

import (
	"errors"
	"flag"
	"log"
	"net"
	"time"

	"github.com/socklet/socklet/host/config"
	"github.com/socklet/socklet/protocol"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18085", "listen `ADDR`")
	flag.Parse()
	poller, err := protocol.NewPoller()
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("echo-protocol listening on %s", *addr)
	log.Fatal(serveEcho(ln, poller))
}

// serveEcho accepts connections on ln and echoes on each until Accept
// fails, and returns that error.
func serveEcho(ln net.Listener, poller *protocol.Poller) error {
	// The options `socklet serve` gives a route by default.
	u := &protocol.Upgrader{Options: protocol.Options{
		ReleaseReadBuffer:  true,
		Poller:             poller,
		MaxMessageSize:     int64(config.DefaultMaxMessageSize),
		OutboundQueueBytes: int(config.DefaultOutboundQueue),
		CloseTimeout:       config.DefaultCloseTimeout,
		IdleTimeout:        config.DefaultIdleTimeout,
		PingInterval:       config.DefaultPingInterval,
	}}
	for {
		nc, err := ln.Accept()
		if err != nil {
			return err
		}
		go serve(u, nc)
	}
}

// conn is one echo connection. wake and echo are made once, so that parking
// and each message allocate nothing.
type conn struct {
	ws   *protocol.Conn
	wake func()
	echo func(protocol.MessageType, []byte)
}

// serve answers the handshake and parks the connection until its first
// message, as the host does.
func serve(u *protocol.Upgrader, nc net.Conn) {
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	br := protocol.AcquireReader(nc, 4<<10) // the host's size
	req, err := protocol.ReadRequest(br)
	var hs protocol.Handshake
	if err == nil {
		hs, err = u.Negotiate(req)
	}
	if err != nil {
		var he *protocol.HandshakeError
		if errors.As(err, &he) {
			_ = protocol.WriteReject(nc, he)
		}
		protocol.ReleaseReader(br)
		_ = nc.Close()
		return
	}
	// Upgrade takes br over and clears the deadline; it closes nc when it
	// fails.
	ws, err := u.Upgrade(nc, br, hs, nil)
	if err != nil {
		return
	}
	c := &conn{ws: ws}
	c.wake = c.run
	c.echo = func(typ protocol.MessageType, p []byte) { _ = ws.Write(typ, p) }
	if ws.Park(c.wake) != nil {
		go c.run()
	}
}

// run echoes messages until the connection parks or ends.
func (c *conn) run() {
	for {
		err := c.ws.ReadMessages(nil, c.echo)
		if err == protocol.ErrIdle {
			if c.ws.Park(c.wake) == nil {
				return
			}
			continue
		}
		var ce *protocol.CloseError
		if !errors.As(err, &ce) {
			_ = c.ws.CloseNow()
		}
		<-c.ws.Done()
		return
	}
}
