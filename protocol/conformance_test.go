package protocol

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Conformance suite over raw sockets, modelled on the case categories of
// the Autobahn|Testsuite (1 framing, 2 ping/pong, 3 reserved bits,
// 4 opcodes, 5 fragmentation, 6 UTF-8, 7 close handling, 9 limits,
// 12/13 compression in compress_conformance_test.go). Each case names the
// RFC 6455 sentence it checks, drives our echo server with exact bytes from
// rawPeer, and ends by asserting the close code the server sends and that
// the server then closes TCP.

// confCase is one conformance case.
type confCase struct {
	name string
	// rfc quotes the sentence of RFC 6455 the case checks.
	rfc  string
	opts Options
	// run drives the exchange; the runner then expects a close frame with
	// code and TCP closed.
	run  func(p *rawPeer)
	code StatusCode
}

const (
	opC = 0x0
	opT = 0x1
	opB = 0x2
	opX = 0x8 // close
	opP = 0x9 // ping
	opO = 0xA // pong
)

func closePayload(code int, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}

// echoThenClose sends one message and expects it back, then closes normally.
func echoThenClose(op byte, payload []byte) func(p *rawPeer) {
	return func(p *rawPeer) {
		p.send(true, 0, op, payload)
		p.expect(op, payload)
		p.send(true, 0, opX, closePayload(1000, ""))
	}
}

func confCases() []confCase {
	var cases []confCase
	add := func(c confCase) { cases = append(cases, c) }

	// 1. Framing.
	for _, n := range []int{0, 125, 126, 127, 128, 65535, 65536, 1 << 20} {
		add(confCase{name: "1.text-len-" + strconv.Itoa(n), code: 1000,
			rfc: "5.6: The \"Payload data\" is text data encoded as UTF-8 (any length encoding of 5.2)",
			run: echoThenClose(opT, bytes.Repeat([]byte("*"), n))})
		add(confCase{name: "1.binary-len-" + strconv.Itoa(n), code: 1000,
			rfc: "5.6: The \"Payload data\" is arbitrary binary data",
			run: echoThenClose(opB, bytes.Repeat([]byte{0xfe}, n))})
	}
	add(confCase{name: "1.frame-in-chunks", code: 1000,
		rfc: "5.2: the wire format is a byte stream; a frame may arrive in any number of segments",
		run: func(p *rawPeer) {
			f := p.frame(0x82, bytes.Repeat([]byte{7}, 65536))
			for i := 0; i < len(f); i += 997 {
				p.write(f[i:min(len(f), i+997)])
				time.Sleep(time.Millisecond / 10)
			}
			p.expect(opB, bytes.Repeat([]byte{7}, 65536))
			p.send(true, 0, opX, closePayload(1000, ""))
		}})
	add(confCase{name: "1.unmasked-client-frame", code: 1002,
		rfc: "5.1: The server MUST close the connection upon receiving a frame that is not masked ... status code 1002",
		run: func(p *rawPeer) {
			p.client = false
			p.send(true, 0, opT, []byte("hi"))
		}})
	add(confCase{name: "1.length-top-bit", code: 1002,
		rfc: "5.2: the most significant bit MUST be 0",
		run: func(p *rawPeer) {
			p.write([]byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4})
		}})

	// 2. Ping/pong.
	add(confCase{name: "2.ping-empty", code: 1000,
		rfc: "5.5.2: Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response",
		run: func(p *rawPeer) {
			p.send(true, 0, opP, nil)
			p.expect(opO, nil)
			p.send(true, 0, opX, closePayload(1000, ""))
		}})
	add(confCase{name: "2.ping-125-binary", code: 1000,
		rfc: "5.5.3: A Pong frame sent in response to a Ping frame must have identical \"Application data\"",
		run: func(p *rawPeer) {
			pl := make([]byte, 125)
			for i := range pl {
				pl[i] = byte(255 - i)
			}
			p.send(true, 0, opP, pl)
			p.expect(opO, pl)
			p.send(true, 0, opX, closePayload(1000, ""))
		}})
	add(confCase{name: "2.ping-126", code: 1002,
		rfc: "5.5: All control frames MUST have a payload length of 125 bytes or less",
		run: func(p *rawPeer) { p.send(true, 0, opP, make([]byte, 126)) }})
	add(confCase{name: "2.ping-fragmented", code: 1002,
		rfc: "5.5: All control frames ... MUST NOT be fragmented",
		run: func(p *rawPeer) {
			p.send(false, 0, opP, []byte("a"))
			p.send(true, 0, opC, []byte("b"))
		}})
	add(confCase{name: "2.unsolicited-pong", code: 1000,
		rfc: "5.5.3: A Pong frame MAY be sent unsolicited. ... A response to an unsolicited Pong frame is not expected",
		run: func(p *rawPeer) {
			p.send(true, 0, opO, []byte("hb"))
			p.send(true, 0, opT, []byte("after"))
			p.expect(opT, []byte("after"))
			p.send(true, 0, opX, closePayload(1000, ""))
		}})
	add(confCase{name: "2.ten-pings", code: 1000,
		rfc: "5.5.2: an endpoint MUST send a Pong frame in response (to each Ping)",
		run: func(p *rawPeer) {
			var all []byte
			for i := range 10 {
				all = append(all, p.frame(0x89, []byte{byte(i)})...)
			}
			p.write(all)
			for i := range 10 {
				p.expect(opO, []byte{byte(i)})
			}
			p.send(true, 0, opX, closePayload(1000, ""))
		}})

	// 3. Reserved bits.
	for _, rsv := range []byte{0x40, 0x20, 0x10, 0x70} {
		add(confCase{name: "3.rsv-text-" + strconv.Itoa(int(rsv)), code: 1002,
			rfc: "5.2: RSV1, RSV2, RSV3: MUST be 0 unless an extension is negotiated ... the receiving endpoint MUST _Fail the WebSocket Connection_",
			run: func(p *rawPeer) { p.send(true, rsv, opT, []byte("x")) }})
	}
	add(confCase{name: "3.rsv-ping-after-echo", code: 1002,
		rfc: "5.2: RSV1, RSV2, RSV3: MUST be 0 unless an extension is negotiated",
		run: func(p *rawPeer) {
			p.send(true, 0, opT, []byte("ok"))
			p.expect(opT, []byte("ok"))
			p.send(true, 0x30, opP, nil)
		}})

	// 4. Opcodes.
	for _, op := range []byte{3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf} {
		add(confCase{name: "4.opcode-" + strconv.Itoa(int(op)), code: 1002,
			rfc: "5.2: If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket Connection_",
			run: func(p *rawPeer) { p.send(true, 0, op, []byte("x")) }})
	}

	// 5. Fragmentation.
	add(confCase{name: "5.fragments-with-pings", code: 1000,
		rfc: "5.4: Control frames MAY be injected in the middle of a fragmented message",
		run: func(p *rawPeer) {
			p.send(false, 0, opT, []byte("frag"))
			p.send(true, 0, opP, []byte("p1"))
			p.expect(opO, []byte("p1"))
			p.send(false, 0, opC, []byte("ment"))
			p.send(true, 0, opP, []byte("p2"))
			p.expect(opO, []byte("p2"))
			p.send(true, 0, opC, []byte("ed"))
			p.expect(opT, []byte("fragmented"))
			p.send(true, 0, opX, closePayload(1000, ""))
		}})
	add(confCase{name: "5.one-byte-fragments", code: 1000,
		rfc: "5.4: A fragmented message consists of a single frame with the FIN bit clear ... followed by zero or more frames with FIN clear and the opcode set to 0, and terminated by a single frame with the FIN bit set and an opcode of 0",
		run: func(p *rawPeer) {
			msg := []byte("0123456789")
			var all []byte
			for i, c := range msg {
				b0 := byte(0)
				if i == 0 {
					b0 = opB
				}
				if i == len(msg)-1 {
					b0 |= 0x80
				}
				all = append(all, p.frame(b0, []byte{c})...)
			}
			p.write(all)
			p.expect(opB, msg)
			p.send(true, 0, opX, closePayload(1000, ""))
		}})
	add(confCase{name: "5.empty-fragments", code: 1000,
		rfc: "5.4: fragments may be empty (zero or more frames)",
		run: func(p *rawPeer) {
			p.send(false, 0, opT, nil)
			p.send(false, 0, opC, nil)
			p.send(true, 0, opC, nil)
			p.expect(opT, nil)
			p.send(true, 0, opX, closePayload(1000, ""))
		}})
	add(confCase{name: "5.continuation-without-start", code: 1002,
		rfc: "5.4: a continuation frame is only valid after a frame with FIN clear (opcode 0 outside a fragmented message fails the connection)",
		run: func(p *rawPeer) { p.send(true, 0, opC, []byte("x")) }})
	add(confCase{name: "5.continuation-after-complete", code: 1002,
		rfc: "5.4: a continuation frame is only valid inside a fragmented message",
		run: func(p *rawPeer) {
			p.send(true, 0, opT, []byte("a"))
			p.expect(opT, []byte("a"))
			p.send(false, 0, opC, []byte("b"))
		}})
	add(confCase{name: "5.new-message-inside-fragmented", code: 1002,
		rfc: "5.4: The fragments of one message MUST NOT be interleaved between the fragments of another message",
		run: func(p *rawPeer) {
			p.send(false, 0, opT, []byte("a"))
			p.send(true, 0, opB, []byte("b"))
		}})
	add(confCase{name: "5.close-fragmented", code: 1002,
		rfc: "5.5: All control frames ... MUST NOT be fragmented",
		run: func(p *rawPeer) { p.send(false, 0, opX, closePayload(1000, "")) }})

	// 6. UTF-8.
	valid := []byte("κόσμε\U0010FFFF€ascii")
	for split := 1; split < len(valid); split++ {
		add(confCase{name: "6.valid-split-" + strconv.Itoa(split), code: 1000,
			rfc: "8.1: text is validated over the whole message; a code point may span fragments",
			run: func(p *rawPeer) {
				p.send(false, 0, opT, valid[:split])
				p.send(true, 0, opC, valid[split:])
				p.expect(opT, valid)
				p.send(true, 0, opX, closePayload(1000, ""))
			}})
	}
	for i, bad := range []string{"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited", "\xc0\xaf", "\xf4\x90\x80\x80", "\xff", "abc\xe2\x82"} {
		add(confCase{name: "6.invalid-" + strconv.Itoa(i), code: 1007,
			rfc: "8.1: When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket Connection_ (7.4.1: 1007)",
			run: func(p *rawPeer) { p.send(true, 0, opT, []byte(bad)) }})
	}
	add(confCase{name: "6.fail-fast-fragment", code: 1007,
		rfc: "8.1: ... MUST _Fail the WebSocket Connection_ (as soon as the prefix received is invalid: the final fragment is never sent)",
		run: func(p *rawPeer) { p.send(false, 0, opT, []byte("ok\xed\xa0\x80")) }})
	add(confCase{name: "6.fail-fast-within-frame", code: 1007,
		rfc: "8.1: ... MUST _Fail the WebSocket Connection_ (the frame's payload is only partly sent)",
		run: func(p *rawPeer) {
			f := p.frame(0x81, append([]byte("ab\xff"), bytes.Repeat([]byte("z"), 1000)...))
			p.write(f[:8+3]) // header (2+2+4) and "ab\xff"
		}})

	// 7. Close handling.
	add(confCase{name: "7.close-empty", code: StatusNoStatusRcvd,
		rfc: "7.1.5/5.5.1: the Close frame MAY contain a body; with none, the status is 1005 and the reply carries none either",
		run: func(p *rawPeer) { p.send(true, 0, opX, nil) }})
	add(confCase{name: "7.close-one-byte", code: 1002,
		rfc: "5.5.1: If there is a body, the first two bytes of the body MUST be a 2-byte unsigned integer",
		run: func(p *rawPeer) { p.send(true, 0, opX, []byte{0x03}) }})
	for _, code := range []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		add(confCase{name: "7.close-echo-" + strconv.Itoa(code), code: StatusCode(code),
			rfc: "5.5.1: it typically echos the status code it received",
			run: func(p *rawPeer) { p.send(true, 0, opX, closePayload(code, "reason")) }})
	}
	for _, code := range []int{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		add(confCase{name: "7.close-invalid-" + strconv.Itoa(code), code: 1002,
			rfc: "7.4: an endpoint receiving a close code it may not receive (7.4.1 reserved, 0-999, 1004-1006, 1015, unassigned 1016-2999) fails with 1002",
			run: func(p *rawPeer) { p.send(true, 0, opX, closePayload(code, "")) }})
	}
	add(confCase{name: "7.close-reason-invalid-utf8", code: 1007,
		rfc: "5.5.1: the body ... MAY contain UTF-8-encoded data (invalid UTF-8 there fails with 1007 per 8.1)",
		run: func(p *rawPeer) { p.send(true, 0, opX, closePayload(1000, "\xce\xba\xed\xa0\x80")) }})
	add(confCase{name: "7.close-payload-125", code: 1000,
		rfc: "5.5: control frames MUST have a payload length of 125 bytes or less (125 is valid)",
		run: func(p *rawPeer) { p.send(true, 0, opX, closePayload(1000, strings.Repeat("r", 123))) }})
	add(confCase{name: "7.close-payload-126", code: 1002,
		rfc: "5.5: All control frames MUST have a payload length of 125 bytes or less",
		run: func(p *rawPeer) { p.send(true, 0, opX, closePayload(1000, strings.Repeat("r", 124))) }})
	add(confCase{name: "7.data-after-close-ignored", code: 1000,
		rfc: "1.4: after sending a Close frame, the endpoint MUST NOT send any more data frames (and the server ignores any after the close)",
		run: func(p *rawPeer) {
			var all []byte
			all = append(all, p.frame(0x88, closePayload(1000, ""))...)
			all = append(all, p.frame(0x81, []byte("late"))...)
			all = append(all, p.frame(0x89, []byte("late"))...)
			p.write(all)
		}})
	add(confCase{name: "7.close-after-fragment", code: 1000,
		rfc: "5.4: Control frames MAY be injected in the middle of a fragmented message (a close ends it)",
		run: func(p *rawPeer) {
			p.send(false, 0, opT, []byte("part"))
			p.send(true, 0, opX, closePayload(1000, ""))
		}})

	// 9. Limits.
	limits := Options{MaxMessageSize: 1000, MaxFrameSize: 600}
	add(confCase{name: "9.message-at-limit", code: 1000, opts: limits,
		rfc: "10.4: an implementation SHOULD impose a limit on frame sizes and the total message size (at the limit: accepted)",
		run: func(p *rawPeer) {
			p.send(false, 0, opB, make([]byte, 500))
			p.send(true, 0, opC, make([]byte, 500))
			p.expect(opB, make([]byte, 1000))
			p.send(true, 0, opX, closePayload(1000, ""))
		}})
	add(confCase{name: "9.message-over-limit", code: 1009, opts: limits,
		rfc: "7.4.1: 1009 indicates that an endpoint is terminating the connection because it has received a message that is too big for it to process",
		run: func(p *rawPeer) {
			p.send(false, 0, opB, make([]byte, 500))
			p.send(false, 0, opC, make([]byte, 500))
			p.send(true, 0, opC, make([]byte, 1))
		}})
	add(confCase{name: "9.frame-over-limit", code: 1009, opts: limits,
		rfc: "10.4: a limit on frame sizes (the header alone triggers 1009)",
		run: func(p *rawPeer) {
			f := p.frame(0x82, make([]byte, 601))
			p.write(f[:8])
		}})
	return cases
}

func TestConformanceServer(t *testing.T) {
	for _, c := range confCases() {
		for _, release := range []bool{false, true} {
			name := c.name
			opts := c.opts
			if release {
				name += "/release-read-buffer"
				opts.ReleaseReadBuffer = true
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				url := testServer(t, &Upgrader{Options: opts}, echo)
				p := rawConnect(t, url, "")
				c.run(p)
				p.expectClose(c.code)
				p.expectTCPClosed()
				if t.Failed() {
					t.Logf("RFC: %s", c.rfc)
				}
			})
		}
	}
}
