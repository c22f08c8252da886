package interop

import (
	"bytes"
	"testing"
	"time"

	"github.com/socklet/socklet/protocol"
)

// TestTextAndBinary exchanges short messages both ways, including empty
// ones and multi-byte UTF-8.
func TestTextAndBinary(t *testing.T) {
	each(t, func(t *testing.T, kind peerKind, role string) {
		pr := connect(t, kind, role, setup{})
		cases := []struct {
			typ  protocol.MessageType
			data []byte
		}{
			{protocol.MessageText, []byte("hello, peer")},
			{protocol.MessageText, []byte("héllo wörld ✓ 𝄞")},
			{protocol.MessageText, []byte{}},
			{protocol.MessageBinary, []byte{0, 1, 2, 0xfe, 0xff}},
			{protocol.MessageBinary, []byte{}},
			{protocol.MessageBinary, bytes.Repeat([]byte{0xa5}, 126)},   // 16-bit length
			{protocol.MessageBinary, bytes.Repeat([]byte{0x5a}, 65536)}, // 64-bit length
		}
		for _, c := range cases {
			// Peer to us.
			pr.peer.sendBytes(t, c.typ.String(), c.data)
			m := pr.us.next(t)
			if m.typ != c.typ || !bytes.Equal(m.data, c.data) {
				t.Fatalf("we read %v %q, peer sent %v %q", m.typ, trunc(m.data), c.typ, trunc(c.data))
			}
			// Us to peer.
			pr.us.write(t, c.typ, c.data)
			e := pr.peer.await(t, "message")
			if e.Type != c.typ.String() || e.Len != len(c.data) || e.SHA256 != sum(c.data) {
				t.Fatalf("peer read %s of %d bytes, we sent %v of %d", e.Type, e.Len, c.typ, len(c.data))
			}
		}
	})
}

// TestFragmented: the peer sends messages as several frames through its
// own API (ws splits a text message inside a multi-byte character; the
// websockets API takes str fragments, so it splits between characters),
// with a ping between two fragments; we read each as one message and
// answer the ping. The same compressed: the fragments of one deflate stream.
func TestFragmented(t *testing.T) {
	each(t, func(t *testing.T, kind peerKind, role string) {
		concurrently(t, []string{"plain", "compressed"}, func(t *testing.T, i int) {
			fragmented(t, kind, role, i == 1)
		})
	})
}

// fragmented is one TestFragmented case.
func fragmented(t *testing.T, kind peerKind, role string, compressed bool) {
	s := setup{}
	if compressed {
		s.opts.Compression = protocol.CompressionOptions{Enabled: true}
		s.peerDeflate = &deflateConfig{}
	}
	pr := connect(t, kind, role, s)
	if (pr.us.conn.Extensions() != "") != compressed {
		t.Fatalf("extensions %q", pr.us.conn.Extensions())
	}
	text := []byte("fragments: é, ✓ and 𝄞 split")
	cut := bytes.IndexRune(text, '✓')
	if kind.name == "ws" {
		cut++ // inside the 3-byte rune
	}
	parts := [][]byte{text[:5], text[5:cut], text[cut:], {}}
	pr.peer.do(t, map[string]any{"op": "fragments", "type": "text", "parts": b64s(parts), "pingAfter": 1})
	m := pr.us.next(t)
	if m.typ != protocol.MessageText || !bytes.Equal(m.data, text) {
		t.Fatalf("we read %v %q, want text %q", m.typ, m.data, text)
	}

	bin := gen("binary", 200000, 7)
	bparts := [][]byte{bin[:1], bin[1:70000], bin[70000:]}
	pr.peer.do(t, map[string]any{"op": "fragments", "type": "binary", "parts": b64s(bparts)})
	m = pr.us.next(t)
	if m.typ != protocol.MessageBinary || !bytes.Equal(m.data, bin) {
		t.Fatalf("we read %v of %d bytes, want the %d binary bytes sent in 3 fragments", m.typ, len(m.data), len(bin))
	}
	// The connection is still in step: a message after the fragments.
	pr.peer.sendBytes(t, "text", []byte("after"))
	if m := pr.us.next(t); string(m.data) != "after" {
		t.Fatalf("we read %q, want %q", m.data, "after")
	}
}

// TestFragmentedRaw: the peer writes frames we built on its socket: a
// text message split inside a 4-byte character, in 4 frames with an empty
// one, and a ping and a pong between fragments. We read one message, answer
// the ping with its payload, and the peer (which masks its frames as a
// client must, with the all-zero key) accepts the pong.
func TestFragmentedRaw(t *testing.T) {
	each(t, func(t *testing.T, kind peerKind, role string) {
		pr := connect(t, kind, role, setup{})
		masked := role == "server" // the peer is the client
		text := []byte("clef 𝄞 split")
		cut := bytes.IndexRune(text, '𝄞') + 2
		var raw []byte
		raw = append(raw, frame(false, 0, 0x1, text[:cut], masked)...)
		raw = append(raw, frame(true, 0, 0x9, []byte("between"), masked)...)
		raw = append(raw, frame(false, 0, 0x0, nil, masked)...)
		raw = append(raw, frame(true, 0, 0xA, []byte("unsolicited"), masked)...)
		raw = append(raw, frame(false, 0, 0x0, text[cut:cut+1], masked)...)
		raw = append(raw, frame(true, 0, 0x0, text[cut+1:], masked)...)
		pr.peer.do(t, map[string]any{"op": "raw", "b64": b64(raw)})
		m := pr.us.next(t)
		if m.typ != protocol.MessageText || !bytes.Equal(m.data, text) {
			t.Fatalf("we read %v %q, want text %q", m.typ, m.data, text)
		}
		if got := pr.us.pong(t); string(got) != "unsolicited" {
			t.Errorf("our pong handler got %q, want %q", got, "unsolicited")
		}
		if kind.name == "ws" { // websockets ignores a pong it did not ask for
			if e := pr.peer.await(t, "pong"); string(e.data(t)) != "between" {
				t.Errorf("peer got pong %q, want %q", e.data(t), "between")
			}
		}
		pr.us.write(t, protocol.MessageText, []byte("still in step"))
		if e := pr.peer.await(t, "message"); string(e.data(t)) != "still in step" {
			t.Fatalf("peer read %q", e.data(t))
		}
	})
}

// TestLargeMessages sends 16 MiB messages (our default limit, exactly)
// both ways, text and binary, plain and compressed (4 MiB compressed under
// the race detector).
func TestLargeMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("16 MiB messages: skipped in -short mode")
	}
	const size = protocol.DefaultMaxMessageSize
	each(t, func(t *testing.T, kind peerKind, role string) {
		concurrently(t, []string{"plain", "compressed"}, func(t *testing.T, i int) {
			// Two at a time: each moves 64 MiB or deflates 16 MiB, and under
			// the race detector eight at once starve each other.
			select {
			case largeSlots <- struct{}{}:
				defer func() { <-largeSlots }()
			case <-time.After(5 * time.Minute):
				t.Fatal("no free large-message slot after 5 minutes")
			}
			// A message is queued whole: the queue must hold it (the default
			// DefaultOutboundQueueBytes is smaller than DefaultMaxMessageSize).
			s := setup{opts: protocol.Options{OutboundQueueBytes: 2 * size}}
			if i == 1 {
				s.opts.Compression = protocol.CompressionOptions{Enabled: true}
				s.peerDeflate = &deflateConfig{}
			}
			pr := connect(t, kind, role, s)
			// Deflating 16 MiB takes the peers seconds of CPU, and the
			// machine may be busy with other tests.
			pr.peer.step, pr.us.step = 2*time.Minute, 2*time.Minute
			if got := pr.us.conn.Extensions() != ""; got != (i == 1) {
				t.Fatalf("extensions %q", pr.us.conn.Extensions())
			}
			types := []protocol.MessageType{protocol.MessageBinary, protocol.MessageText}
			if i == 1 {
				// Text only: both peers compress every message, and deflate
				// makes 16 MiB of random binary a few hundred bytes larger,
				// over our 16 MiB limit, which bounds the compressed size
				// too (Options.MaxMessageSize): that fails with 1009 by design.
				types = types[1:]
			}
			n := size
			if i == 1 && raceEnabled {
				n = size / 4 // flate under the race detector is ~25 times slower
			}
			for j, typ := range types {
				seed := 40 + j
				want := gen(typ.String(), n, uint32(seed))
				pr.peer.do(t, map[string]any{"op": "send", "type": typ.String(), "gen": map[string]any{"len": n, "seed": seed}})
				m := pr.us.next(t)
				if m.typ != typ || len(m.data) != n || !bytes.Equal(m.data, want) {
					t.Fatalf("we read %v of %d bytes (sha %s), peer sent %v of %d (sha %s)", m.typ, len(m.data), sum(m.data), typ, n, sum(want))
				}
				pr.us.write(t, typ, want)
				e := pr.peer.await(t, "message")
				if e.Type != typ.String() || e.Len != n || e.SHA256 != sum(want) {
					t.Fatalf("peer read %s of %d bytes, we sent %v of %d", e.Type, e.Len, typ, n)
				}
			}
		})
	})
}

// largeSlots bounds the TestLargeMessages subtests running at once.
var largeSlots = make(chan struct{}, 2)

// TestPingPong: pings both ways are answered with their payload, and an
// unsolicited pong from the peer reaches our pong handler.
func TestPingPong(t *testing.T) {
	each(t, func(t *testing.T, kind peerKind, role string) {
		pr := connect(t, kind, role, setup{})

		pr.peer.do(t, map[string]any{"op": "ping", "b64": b64([]byte("from peer"))})
		e := pr.peer.await(t, "pong")
		if kind.name == "ws" && string(e.data(t)) != "from peer" { // websockets matches payloads itself
			t.Errorf("peer got pong %q, want %q", e.data(t), "from peer")
		}

		if err := pr.us.conn.Ping([]byte("from us")); err != nil {
			t.Fatal(err)
		}
		if got := pr.us.pong(t); string(got) != "from us" {
			t.Errorf("our pong handler got %q, want %q", got, "from us")
		}
		if kind.name == "ws" {
			if e := pr.peer.await(t, "ping"); string(e.data(t)) != "from us" {
				t.Errorf("peer got ping %q, want %q", e.data(t), "from us")
			}
		}

		pr.peer.do(t, map[string]any{"op": "pong", "b64": b64([]byte("heartbeat"))})
		if got := pr.us.pong(t); string(got) != "heartbeat" {
			t.Errorf("our pong handler got %q, want %q", got, "heartbeat")
		}

		// Still in step.
		pr.us.write(t, protocol.MessageText, []byte("ok"))
		if e := pr.peer.await(t, "message"); string(e.data(t)) != "ok" {
			t.Fatalf("peer read %q, want %q", e.data(t), "ok")
		}
	})
}

func b64s(parts [][]byte) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = b64(p)
	}
	return out
}

func trunc(p []byte) []byte {
	if len(p) > 40 {
		return p[:40]
	}
	return p
}

// TestSubprotocol: the server selects one of the subprotocols the client
// offers and both sides agree; with no common one, none is selected and
// the connection still works (RFC 6455 4.2.2), except against a ws client,
// which fails a handshake that selects none of its offers, as browsers do.
func TestSubprotocol(t *testing.T) {
	each(t, func(t *testing.T, kind peerKind, role string) {
		concurrently(t, []string{"common", "none-common"}, func(t *testing.T, i int) {
			client := []string{"chat.v1", "chat.v2", "json"}
			server := []string{"json", "chat.v2"}
			if i == 1 {
				if kind.name == "ws" && role == "server" {
					t.Skip("a ws client fails the handshake when the server selects none of its subprotocols")
				}
				server = []string{"other"}
			}
			s := setup{subprotocols: server, peerSubprotocols: client}
			if role == "client" {
				s = setup{subprotocols: client, peerSubprotocols: server}
			}
			pr := connect(t, kind, role, s)
			got := pr.us.conn.Subprotocol()
			switch {
			case got != pr.open.Protocol:
				t.Errorf("subprotocol: ours %q, the peer's %q", got, pr.open.Protocol)
			case i == 1 && got != "":
				t.Errorf("subprotocol %q selected with none in common", got)
			case i == 0 && role == "server" && got != "json":
				// protocol.Upgrader picks by its own preference order.
				t.Errorf("our Upgrader selected %q, want %q (its first preference offered)", got, "json")
			case i == 0 && got != "json" && got != "chat.v2":
				// websockets ranks by both lists, ws by the server's order.
				t.Errorf("peer server selected %q, want one both support", got)
			}
			pr.us.write(t, protocol.MessageText, []byte("ok"))
			if e := pr.peer.await(t, "message"); string(e.data(t)) != "ok" {
				t.Errorf("peer read %q", e.data(t))
			}
		})
	})
}
