package protocol

import (
	"bytes"
	"compress/flate"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// Compression conformance (Autobahn 12/13 style, RFC 7692) over raw
// sockets: the raw peer deflates with compress/flate itself.

// rawDeflate returns the RFC 7692 payload of msg (sync flush, tail removed)
// using fw, which keeps its context across calls when reused.
func rawDeflate(t testing.TB, fw *flate.Writer, out *bytes.Buffer, msg []byte) []byte {
	out.Reset()
	if _, err := fw.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := fw.Flush(); err != nil {
		t.Fatal(err)
	}
	b := out.Bytes()
	if !bytes.HasSuffix(b, []byte{0, 0, 0xff, 0xff}) {
		t.Fatal("no sync tail")
	}
	return append([]byte(nil), b[:len(b)-4]...)
}

// rawInflate inflates one RFC 7692 payload with hist as the window.
func rawInflate(p, hist []byte) ([]byte, error) {
	src := io.MultiReader(bytes.NewReader(p), bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff}))
	return io.ReadAll(flate.NewReaderDict(src, hist))
}

var deflateServer = Upgrader{Options: Options{Compression: CompressionOptions{Enabled: true, Threshold: 1}}}

func TestConformanceDeflate(t *testing.T) {
	text := []byte(strings.Repeat("permessage-deflate compresses repeated text well. ", 40))
	cases := []struct {
		name  string
		rfc   string
		offer string
		opts  Options
		run   func(t *testing.T, p *rawPeer)
		code  StatusCode
	}{
		{
			name:  "12.echo-context-takeover",
			rfc:   "RFC 7692 7.2.2: the receiver appends 00 00 ff ff and inflates with the window kept across messages (context takeover)",
			offer: "permessage-deflate",
			code:  1000,
			run: func(t *testing.T, p *rawPeer) {
				var out bytes.Buffer
				fw, _ := flate.NewWriter(&out, 5)
				var hist []byte
				for i := range 5 {
					msg := append(text, byte('0'+i))
					p.send(true, 0x40, opT, rawDeflate(t, fw, &out, msg))
					f, err := p.read()
					if err != nil || f.op != opT || !f.fin {
						t.Fatalf("echo %d: %+v %v", i, f, err)
					}
					got := f.payload
					if f.rsv == 0x40 {
						if got, err = rawInflate(f.payload, hist); err != nil {
							t.Fatalf("inflate echo %d: %v", i, err)
						}
						hist = append(hist, got...)
					}
					if !bytes.Equal(got, msg) {
						t.Fatalf("echo %d differs", i)
					}
				}
				p.send(true, 0, opX, closePayload(1000, ""))
			},
		},
		{
			name:  "12.fragmented-compressed",
			rfc:   "RFC 7692 6.1: the RSV1 bit is set only on the first frame of a compressed message; the fragments' payloads are concatenated before inflating",
			offer: "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
			code:  1000,
			run: func(t *testing.T, p *rawPeer) {
				var out bytes.Buffer
				fw, _ := flate.NewWriter(&out, 5)
				z := rawDeflate(t, fw, &out, text)
				p.send(false, 0x40, opT, z[:len(z)/2])
				p.send(true, 0, opP, []byte("mid"))
				p.expect(opO, []byte("mid"))
				p.send(true, 0, opC, z[len(z)/2:])
				f, err := p.read()
				if err != nil {
					t.Fatal(err)
				}
				got := f.payload
				if f.rsv == 0x40 {
					got, err = rawInflate(f.payload, nil)
				}
				if err != nil || !bytes.Equal(got, text) {
					t.Fatalf("echo differs: %v", err)
				}
				p.send(true, 0, opX, closePayload(1000, ""))
			},
		},
		{
			name:  "12.uncompressed-message-allowed",
			rfc:   "RFC 7692 6: an endpoint may send a message uncompressed (RSV1 clear) even when the extension is in use",
			offer: "permessage-deflate",
			code:  1000,
			run: func(t *testing.T, p *rawPeer) {
				p.send(true, 0, opB, []byte{1, 2, 3})
				f, err := p.read()
				if err != nil || f.op != opB {
					t.Fatalf("%+v %v", f, err)
				}
				p.send(true, 0, opX, closePayload(1000, ""))
			},
		},
		{
			name:  "12.rsv1-on-continuation",
			rfc:   "RFC 7692 6.1: the RSV1 bit of a continuation frame MUST be 0 (else fail)",
			offer: "permessage-deflate",
			code:  1002,
			run: func(t *testing.T, p *rawPeer) {
				p.send(false, 0x40, opT, []byte{0xf2, 0x48, 0x05, 0x00})
				p.send(true, 0x40, opC, []byte{0})
			},
		},
		{
			name:  "12.rsv1-on-control",
			rfc:   "RFC 7692 6.1: an endpoint MUST NOT set the RSV1 bit on control frames",
			offer: "permessage-deflate",
			code:  1002,
			run:   func(t *testing.T, p *rawPeer) { p.send(true, 0x40, opP, nil) },
		},
		{
			name:  "12.invalid-deflate-data",
			rfc:   "RFC 7692 6.2 / RFC 6455 7.4.1: data that cannot be inflated is invalid frame payload data (1007)",
			offer: "permessage-deflate",
			code:  1007,
			run:   func(t *testing.T, p *rawPeer) { p.send(true, 0x40, opB, []byte{0xff, 0xff, 0xff, 0xff, 0xff}) },
		},
		{
			name:  "12.inflated-over-limit",
			rfc:   "RFC 6455 7.4.1: 1009 for a message too big to process (the inflated size counts)",
			offer: "permessage-deflate",
			opts:  Options{MaxMessageSize: 1000},
			code:  1009,
			run: func(t *testing.T, p *rawPeer) {
				var out bytes.Buffer
				fw, _ := flate.NewWriter(&out, 9)
				p.send(true, 0x40, opB, rawDeflate(t, fw, &out, make([]byte, 100000)))
			},
		},
		{
			name:  "12.compressed-invalid-utf8",
			rfc:   "RFC 6455 8.1: the inflated text must be UTF-8 (1007)",
			offer: "permessage-deflate",
			code:  1007,
			run: func(t *testing.T, p *rawPeer) {
				var out bytes.Buffer
				fw, _ := flate.NewWriter(&out, 5)
				p.send(true, 0x40, opT, rawDeflate(t, fw, &out, []byte("abc\xed\xa0\x80")))
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			u := deflateServer
			u.Options.MaxMessageSize = c.opts.MaxMessageSize
			url := testServer(t, &u, echo)
			p := rawConnect(t, url, "Sec-WebSocket-Extensions: "+c.offer+"\r\n")
			if !strings.HasPrefix(p.resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate") {
				t.Fatalf("not negotiated: %q", p.resp.Header.Get("Sec-WebSocket-Extensions"))
			}
			c.run(t, p)
			p.expectClose(c.code)
			p.expectTCPClosed()
			if t.Failed() {
				t.Logf("RFC: %s", c.rfc)
			}
		})
	}
}

// TestRSV1WithoutNegotiation: RFC 6455 5.2, RSV1 "MUST be 0 unless an
// extension is negotiated that defines meanings for non-zero values".
func TestRSV1WithoutNegotiation(t *testing.T) {
	url := testServer(t, &deflateServer, echo)
	p := rawConnect(t, url, "") // no offer
	p.send(true, 0x40, opT, []byte("x"))
	p.expectClose(StatusProtocolError)
	p.expectTCPClosed()
}

// TestDeflateDialEcho runs our client against our server with compression,
// both with and without context takeover, including prepared messages.
func TestDeflateDialEcho(t *testing.T) {
	for _, nct := range []bool{false, true} {
		u := Upgrader{Options: Options{Compression: CompressionOptions{Enabled: true, Threshold: 1, ServerNoContextTakeover: nct}}}
		url := testServer(t, &u, echo)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, _, err := Dial(ctx, url, &DialOptions{Options: Options{Compression: CompressionOptions{Enabled: true, Threshold: 1}}})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(c.Extensions(), "permessage-deflate") {
			t.Fatalf("extensions %q", c.Extensions())
		}
		pm, _ := NewPreparedMessage(MessageText, []byte(strings.Repeat("prepared ", 100)))
		for i := range 20 {
			msg := []byte(strings.Repeat("hello deflate ", i*10+1))
			if i%3 == 0 {
				if err := c.WritePrepared(pm); err != nil {
					t.Fatal(err)
				}
				msg = []byte(strings.Repeat("prepared ", 100))
			} else if err := c.Write(MessageText, msg); err != nil {
				t.Fatal(err)
			}
			_, got, err := c.ReadMessage()
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("nct=%v msg %d: %v", nct, i, err)
			}
		}
		c.CloseNow()
	}
}
