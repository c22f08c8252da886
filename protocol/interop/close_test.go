package interop

import (
	"testing"

	"github.com/socklet/socklet/protocol"
)

// TestClosePeerInitiated: the peer starts the closing handshake with a code
// and reason; we read them and echo the code (RFC 6455 5.5.1). In our
// server role this is a client-initiated close, in our client role a
// server-initiated one.
func TestClosePeerInitiated(t *testing.T) {
	cases := []struct {
		code   protocol.StatusCode
		reason string
	}{
		{protocol.StatusNormalClosure, "bye ✓"},
		{4001, "application code"},
	}
	each(t, func(t *testing.T, kind peerKind, role string) {
		concurrently(t, []string{"1000", "4001"}, func(t *testing.T, i int) {
			c := cases[i]
			pr := connect(t, kind, role, setup{})
			pr.peer.do(t, map[string]any{"op": "close", "code": int(c.code), "reason": c.reason})
			wantClose(t, pr.us.ended(t), c.code, c.reason, false)
			if e := pr.peer.await(t, "close"); e.Code != int(c.code) {
				t.Errorf("peer closed with %d %q, want our echo of %d", e.Code, e.Reason, c.code)
			}
		})
	})
}

// TestCloseOurs: we start the closing handshake after a last message; the
// peer reads the message, then our code and reason, and echoes the code;
// our reading ends with it.
func TestCloseOurs(t *testing.T) {
	each(t, func(t *testing.T, kind peerKind, role string) {
		pr := connect(t, kind, role, setup{})
		pr.us.write(t, protocol.MessageText, []byte("last words"))
		if err := pr.us.conn.Close(protocol.StatusGoingAway, "shutting down"); err != nil {
			t.Fatal(err)
		}
		if e := pr.peer.await(t, "message"); string(e.data(t)) != "last words" {
			t.Errorf("peer read %q before the close, want %q", e.data(t), "last words")
		}
		e := pr.peer.await(t, "close")
		if e.Code != int(protocol.StatusGoingAway) || e.Reason != "shutting down" {
			t.Errorf("peer saw close %d %q, want 1001 %q", e.Code, e.Reason, "shutting down")
		}
		wantClose(t, pr.us.ended(t), protocol.StatusGoingAway, "*", false)
		if err := pr.us.conn.Close(protocol.StatusNormalClosure, ""); err == nil {
			t.Error("a second Close returned nil, want ErrClosed")
		}
	})
}

// TestCloseAbnormal: TCP dropped without a close frame ends the other side
// with 1006, both ways.
func TestCloseAbnormal(t *testing.T) {
	each(t, func(t *testing.T, kind peerKind, role string) {
		concurrently(t, []string{"peer-drops", "we-drop"}, func(t *testing.T, i int) {
			pr := connect(t, kind, role, setup{})
			if i == 0 {
				pr.peer.do(t, map[string]any{"op": "abort"})
				wantClose(t, pr.us.ended(t), protocol.StatusAbnormalClosure, "", false)
				return
			}
			if err := pr.us.conn.CloseNow(); err != nil {
				t.Fatal(err)
			}
			if e := pr.peer.await(t, "close"); e.Code != int(protocol.StatusAbnormalClosure) {
				t.Errorf("peer saw close %d %q after we dropped TCP, want 1006", e.Code, e.Reason)
			}
		})
	})
}

// TestCloseProtocolError: a frame that breaks RFC 6455 fails the
// connection with 1002, whichever side receives it.
func TestCloseProtocolError(t *testing.T) {
	each(t, func(t *testing.T, kind peerKind, role string) {
		peerIsClient := role == "server"
		// Invalid close codes are the protocol package's unit tests' business;
		// two here show the peer reading our 1002 after one.
		cases := []struct {
			name  string
			frame []byte
		}{
			{"reserved-opcode", frame(true, 0, 0x3, []byte("x"), peerIsClient)},
			{"rsv1-without-extension", frame(true, 4, 0x1, []byte("x"), peerIsClient)},
			{"fragmented-ping", frame(false, 0, 0x9, nil, peerIsClient)},
			{"continuation-first", frame(true, 0, 0x0, []byte("x"), peerIsClient)},
			{"control-payload-126", frame(true, 0, 0x9, make([]byte, 126), peerIsClient)},
			{"close-payload-1-byte", frame(true, 0, 0x8, []byte{3}, peerIsClient)},
			{"close-code-1005", frame(true, 0, 0x8, []byte{0x03, 0xed}, peerIsClient)},
			{"close-code-5000", frame(true, 0, 0x8, []byte{0x13, 0x88}, peerIsClient)},
			{"length-64-bit-msb", append([]byte{0x82, maskBit(peerIsClient) | 127, 0x80, 0, 0, 0, 0, 0, 0, 1}, maskKey(peerIsClient)...)},
			{"text-inside-fragmented", append(frame(false, 0, 0x1, []byte("a"), peerIsClient), frame(true, 0, 0x1, []byte("b"), peerIsClient)...)},
		}
		if peerIsClient {
			cases = append(cases, struct {
				name  string
				frame []byte
			}{"unmasked-client-frame", frame(true, 0, 0x1, []byte("x"), false)})
		} else {
			cases = append(cases, struct {
				name  string
				frame []byte
			}{"masked-server-frame", frame(true, 0, 0x1, []byte("x"), true)})
		}
		names := []string{"ours-reserved-opcode"}
		for _, c := range cases {
			names = append(names, "peers-"+c.name)
		}
		concurrently(t, names, func(t *testing.T, i int) {
			pr := connect(t, kind, role, setup{})
			if i == 0 {
				// We send a frame with a reserved opcode (written past our
				// Conn); the peer fails the connection with 1002 and we read
				// its close frame.
				pr.us.tap.inject(t, frame(true, 0, 0x3, []byte("x"), !peerIsClient))
				pr.peer.failed(t, int(protocol.StatusProtocolError))
				wantClose(t, pr.us.ended(t), protocol.StatusProtocolError, "*", false)
				return
			}
			// The peer sends it; we fail the connection.
			pr.peer.do(t, map[string]any{"op": "raw", "b64": b64(cases[i-1].frame)})
			wantClose(t, pr.us.ended(t), protocol.StatusProtocolError, "*", true)
			if e := pr.peer.await(t, "close"); e.Code != int(protocol.StatusProtocolError) {
				t.Errorf("peer saw close %d %q, want 1002", e.Code, e.Reason)
			}
		})
	})
}

// TestCloseCompressedProtocolError: with permessage-deflate negotiated,
// RSV1 is allowed only on the first frame of a data message (RFC 7692
// 6.1); elsewhere it fails the connection with 1002, and a compressed
// payload that does not inflate fails it with 1007.
func TestCloseCompressedProtocolError(t *testing.T) {
	each(t, func(t *testing.T, kind peerKind, role string) {
		m := role == "server"
		cases := []struct {
			name  string
			frame []byte
			code  protocol.StatusCode
		}{
			{"rsv1-on-ping", frame(true, 4, 0x9, nil, m), protocol.StatusProtocolError},
			{"rsv1-on-continuation", append(frame(false, 0, 0x2, []byte{1}, m), frame(true, 4, 0x0, []byte{2}, m)...), protocol.StatusProtocolError},
			{"rsv2", frame(true, 2, 0x2, []byte{1}, m), protocol.StatusProtocolError},
			{"bad-deflate-data", frame(true, 4, 0x2, []byte{0xff, 0xff, 0xff, 0xff}, m), protocol.StatusInvalidFramePayloadData},
		}
		names := make([]string, len(cases))
		for i, c := range cases {
			names[i] = c.name
		}
		concurrently(t, names, func(t *testing.T, i int) {
			c := cases[i]
			pr := connect(t, kind, role, setup{
				opts:        protocol.Options{Compression: protocol.CompressionOptions{Enabled: true}},
				peerDeflate: &deflateConfig{},
			})
			if pr.us.conn.Extensions() == "" {
				t.Fatal("permessage-deflate not negotiated")
			}
			pr.peer.do(t, map[string]any{"op": "raw", "b64": b64(c.frame)})
			wantClose(t, pr.us.ended(t), c.code, "*", true)
			if e := pr.peer.await(t, "close"); e.Code != int(c.code) {
				t.Errorf("peer saw close %d %q, want %d", e.Code, e.Reason, c.code)
			}
		})
	})
}

// TestCloseTooBig: a message over the receiver's limit fails the
// connection with 1009, whichever side receives it.
func TestCloseTooBig(t *testing.T) {
	each(t, func(t *testing.T, kind peerKind, role string) {
		concurrently(t, []string{"peer-sends", "peer-sends-fragments", "we-send"}, func(t *testing.T, i int) {
			switch i {
			case 0:
				pr := connect(t, kind, role, setup{opts: protocol.Options{MaxMessageSize: 1024}})
				pr.peer.sendBytes(t, "binary", make([]byte, 1024))
				if m := pr.us.next(t); len(m.data) != 1024 {
					t.Fatalf("we read %d bytes, want 1024 (at the limit)", len(m.data))
				}
				pr.peer.sendBytes(t, "binary", make([]byte, 1025))
				wantClose(t, pr.us.ended(t), protocol.StatusMessageTooBig, "*", true)
				if e := pr.peer.await(t, "close"); e.Code != int(protocol.StatusMessageTooBig) {
					t.Errorf("peer saw close %d %q, want 1009", e.Code, e.Reason)
				}
			case 1:
				// Over our limit in fragments that are each under it.
				pr := connect(t, kind, role, setup{opts: protocol.Options{MaxMessageSize: 1024}})
				parts := [][]byte{make([]byte, 600), make([]byte, 600)}
				pr.peer.do(t, map[string]any{"op": "fragments", "type": "binary", "parts": b64s(parts)})
				wantClose(t, pr.us.ended(t), protocol.StatusMessageTooBig, "*", true)
				if e := pr.peer.await(t, "close"); e.Code != int(protocol.StatusMessageTooBig) {
					t.Errorf("peer saw close %d %q, want 1009", e.Code, e.Reason)
				}
			case 2:
				pr := connect(t, kind, role, setup{peerMaxSize: 1024})
				pr.us.write(t, protocol.MessageBinary, make([]byte, 2048))
				pr.peer.failed(t, int(protocol.StatusMessageTooBig))
				wantClose(t, pr.us.ended(t), protocol.StatusMessageTooBig, "*", false)
			}
		})
	})
}

// TestCloseInvalidUTF8: a text message or close reason that is not UTF-8
// fails the connection with 1007, whichever side receives it.
func TestCloseInvalidUTF8(t *testing.T) {
	each(t, func(t *testing.T, kind peerKind, role string) {
		peerIsClient := role == "server"
		raws := [][]byte{
			frame(true, 0, 0x1, []byte{'o', 'k', 0xff}, peerIsClient),
			frame(true, 0, 0x1, []byte{0xed, 0xa0, 0x80}, peerIsClient), // a UTF-16 surrogate
			// A character cut short at the end of the last fragment.
			append(frame(false, 0, 0x1, []byte("é"), peerIsClient), frame(true, 0, 0x0, []byte{0xe2, 0x9c}, peerIsClient)...),
			frame(true, 0, 0x8, []byte{0x03, 0xe8, 0xc3}, peerIsClient), // in a close reason
		}
		names := []string{"we-send", "peer-sends-0xff", "peer-sends-surrogate", "peer-sends-truncated-fragment", "peer-sends-close-reason"}
		concurrently(t, names, func(t *testing.T, i int) {
			pr := connect(t, kind, role, setup{})
			if i == 0 {
				// Our Write does not check UTF-8: the peer must refuse it.
				pr.us.write(t, protocol.MessageText, []byte{'b', 'a', 'd', 0xc3, 0x28})
				pr.peer.failed(t, int(protocol.StatusInvalidFramePayloadData))
				wantClose(t, pr.us.ended(t), protocol.StatusInvalidFramePayloadData, "*", false)
				return
			}
			pr.peer.do(t, map[string]any{"op": "raw", "b64": b64(raws[i-1])})
			wantClose(t, pr.us.ended(t), protocol.StatusInvalidFramePayloadData, "*", true)
			if e := pr.peer.await(t, "close"); e.Code != int(protocol.StatusInvalidFramePayloadData) {
				t.Errorf("peer saw close %d %q, want 1007", e.Code, e.Reason)
			}
		})
	})
}
