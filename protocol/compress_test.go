package protocol

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

// jsonLike returns n bytes of repetitive but not trivial JSON-ish text, the
// same for the same seed.
func jsonLike(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	words := []string{"user", "message", "timestamp", "room", "id", "text", "true", "false", "null", "hello", "world"}
	var b bytes.Buffer
	for b.Len() < n {
		fmt.Fprintf(&b, `{"%s":"%s","%s":%d},`, words[r.IntN(len(words))], words[r.IntN(len(words))], words[r.IntN(len(words))], r.IntN(100000))
	}
	return b.Bytes()[:n]
}

// randomBytes returns n incompressible bytes, the same for the same seed.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 11))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestNegotiateDeflate(t *testing.T) {
	on := CompressionOptions{Enabled: true}
	tests := []struct {
		name    string
		offers  []string
		opts    CompressionOptions
		ok      bool
		resp    string
		want    deflateParams
		wantErr bool
	}{
		{name: "disabled", offers: []string{"permessage-deflate"}, opts: CompressionOptions{}},
		{name: "no header", opts: on},
		{name: "plain", offers: []string{"permessage-deflate"}, opts: on, ok: true,
			resp: "permessage-deflate", want: deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
		{name: "case and spaces", offers: []string{"  Permessage-Deflate ;  Client_Max_Window_Bits  "}, opts: on, ok: true,
			resp: "permessage-deflate", want: deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
		{name: "browser offer", offers: []string{"permessage-deflate; client_max_window_bits"}, opts: on, ok: true,
			resp: "permessage-deflate", want: deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
		{name: "server_no_context_takeover requested", offers: []string{"permessage-deflate; server_no_context_takeover"}, opts: on, ok: true,
			resp: "permessage-deflate; server_no_context_takeover", want: deflateParams{serverNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
		{name: "server_no_context_takeover imposed", offers: []string{"permessage-deflate"}, opts: CompressionOptions{Enabled: true, ServerNoContextTakeover: true}, ok: true,
			resp: "permessage-deflate; server_no_context_takeover", want: deflateParams{serverNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
		{name: "client_no_context_takeover offered is echoed", offers: []string{"permessage-deflate; client_no_context_takeover"}, opts: on, ok: true,
			resp: "permessage-deflate; client_no_context_takeover", want: deflateParams{clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
		{name: "client_no_context_takeover imposed", offers: []string{"permessage-deflate"}, opts: CompressionOptions{Enabled: true, ClientNoContextTakeover: true}, ok: true,
			resp: "permessage-deflate; client_no_context_takeover", want: deflateParams{clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
		{name: "server_max_window_bits requested", offers: []string{"permessage-deflate; server_max_window_bits=10"}, opts: on, ok: true,
			resp: "permessage-deflate; server_max_window_bits=10", want: deflateParams{serverMaxWindowBits: 10, clientMaxWindowBits: 15}},
		{name: "server_max_window_bits quoted", offers: []string{`permessage-deflate; server_max_window_bits="9"`}, opts: on, ok: true,
			resp: "permessage-deflate; server_max_window_bits=9", want: deflateParams{serverMaxWindowBits: 9, clientMaxWindowBits: 15}},
		{name: "server_max_window_bits smaller of both", offers: []string{"permessage-deflate; server_max_window_bits=12"}, opts: CompressionOptions{Enabled: true, ServerMaxWindowBits: 10}, ok: true,
			resp: "permessage-deflate; server_max_window_bits=10", want: deflateParams{serverMaxWindowBits: 10, clientMaxWindowBits: 15}},
		{name: "server_max_window_bits imposed", offers: []string{"permessage-deflate"}, opts: CompressionOptions{Enabled: true, ServerMaxWindowBits: 11}, ok: true,
			resp: "permessage-deflate; server_max_window_bits=11", want: deflateParams{serverMaxWindowBits: 11, clientMaxWindowBits: 15}},
		{name: "client_max_window_bits with value is answered", offers: []string{"permessage-deflate; client_max_window_bits=12"}, opts: on, ok: true,
			resp: "permessage-deflate; client_max_window_bits=12", want: deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 12}},
		{name: "client_max_window_bits imposed", offers: []string{"permessage-deflate; client_max_window_bits"}, opts: CompressionOptions{Enabled: true, ClientMaxWindowBits: 9}, ok: true,
			resp: "permessage-deflate; client_max_window_bits=9", want: deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 9}},
		{name: "client_max_window_bits not offered cannot be imposed", offers: []string{"permessage-deflate"}, opts: CompressionOptions{Enabled: true, ClientMaxWindowBits: 9}, ok: true,
			resp: "permessage-deflate", want: deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
		{name: "all four", offers: []string{"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=8"}, opts: on, ok: true,
			resp: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=8",
			want: deflateParams{true, true, 8, 8}},
		{name: "other extension skipped", offers: []string{"x-webkit-deflate-frame, permessage-deflate"}, opts: on, ok: true,
			resp: "permessage-deflate", want: deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
		{name: "only other extensions", offers: []string{"x-foo; a=1, x-bar"}, opts: on},
		{name: "first acceptable offer wins", offers: []string{"permessage-deflate; server_max_window_bits=10, permessage-deflate"}, opts: on, ok: true,
			resp: "permessage-deflate; server_max_window_bits=10", want: deflateParams{serverMaxWindowBits: 10, clientMaxWindowBits: 15}},
		{name: "bad first offer declined, second taken", offers: []string{"permessage-deflate; server_max_window_bits=16", "permessage-deflate; client_no_context_takeover"}, opts: on, ok: true,
			resp: "permessage-deflate; client_no_context_takeover", want: deflateParams{clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
		{name: "offers over several lines", offers: []string{"x-foo", "permessage-deflate; unknown", "permessage-deflate;server_max_window_bits=15"}, opts: on, ok: true,
			resp: "permessage-deflate; server_max_window_bits=15", want: deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
		{name: "empty list elements", offers: []string{", ,permessage-deflate,,"}, opts: on, ok: true,
			resp: "permessage-deflate", want: deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15}},

		// Declined offers (RFC 7692 section 5): no compression, no error.
		{name: "unknown parameter", offers: []string{"permessage-deflate; foo"}, opts: on},
		{name: "duplicate parameter", offers: []string{"permessage-deflate; server_no_context_takeover; server_no_context_takeover"}, opts: on},
		{name: "duplicate window", offers: []string{"permessage-deflate; client_max_window_bits; client_max_window_bits=10"}, opts: on},
		{name: "no_context_takeover with value", offers: []string{"permessage-deflate; client_no_context_takeover=1"}, opts: on},
		{name: "server_max_window_bits without value", offers: []string{"permessage-deflate; server_max_window_bits"}, opts: on},
		{name: "window 7", offers: []string{"permessage-deflate; server_max_window_bits=7"}, opts: on},
		{name: "window 16", offers: []string{"permessage-deflate; client_max_window_bits=16"}, opts: on},
		{name: "window leading zero", offers: []string{"permessage-deflate; server_max_window_bits=09"}, opts: on},
		{name: "window sign", offers: []string{"permessage-deflate; server_max_window_bits=+9"}, opts: on},
		{name: "window not a number", offers: []string{"permessage-deflate; client_max_window_bits=x"}, opts: on},
		{name: "window empty quoted", offers: []string{`permessage-deflate; client_max_window_bits=""`}, opts: on, wantErr: true},

		// Header syntax errors (RFC 6455 section 9.1): 400.
		{name: "lone semicolon", offers: []string{"permessage-deflate;"}, opts: on, wantErr: true},
		{name: "missing name", offers: []string{"; server_no_context_takeover"}, opts: on, wantErr: true},
		{name: "bad separator", offers: []string{"permessage-deflate server_no_context_takeover"}, opts: on, wantErr: true},
		{name: "equals without value", offers: []string{"permessage-deflate; server_max_window_bits="}, opts: on, wantErr: true},
		{name: "unterminated quote", offers: []string{`permessage-deflate; server_max_window_bits="10`}, opts: on, wantErr: true},
		{name: "quoted non-token", offers: []string{`permessage-deflate; server_max_window_bits="1 0"`}, opts: on, wantErr: true},
		{name: "control character", offers: []string{"permessage-deflate\x00"}, opts: on, wantErr: true},
		{name: "syntax error in a later line", offers: []string{"permessage-deflate", "x=;"}, opts: on, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, resp, ok, err := negotiateDeflate(tt.offers, tt.opts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, errBadExtension) {
					t.Errorf("err %v does not wrap errBadExtension", err)
				}
				return
			}
			if ok != tt.ok || resp != tt.resp || p != tt.want {
				t.Fatalf("got (%+v, %q, %v), want (%+v, %q, %v)", p, resp, ok, tt.want, tt.resp, tt.ok)
			}
			if !ok {
				return
			}
			// The response must satisfy a client that made this offer with
			// default windows.
			cp, enabled, err := acceptDeflateResponse([]string{resp}, CompressionOptions{Enabled: true})
			if err != nil || !enabled {
				t.Fatalf("client rejects our response %q: %v", resp, err)
			}
			if cp.serverNoContextTakeover != p.serverNoContextTakeover || cp.serverMaxWindowBits != p.serverMaxWindowBits ||
				(p.clientMaxWindowBits < 15 && cp.clientMaxWindowBits != p.clientMaxWindowBits) {
				t.Errorf("client reads %+v from %q, server has %+v", cp, resp, p)
			}
		})
	}
}

func TestDeflateOffer(t *testing.T) {
	tests := []struct {
		opts CompressionOptions
		want string
	}{
		{CompressionOptions{}, ""},
		{CompressionOptions{Enabled: true}, "permessage-deflate; client_max_window_bits"},
		{CompressionOptions{Enabled: true, ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 10, ClientMaxWindowBits: 9},
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9"},
		{CompressionOptions{Enabled: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}, "permessage-deflate; client_max_window_bits"},
	}
	for _, tt := range tests {
		if got := deflateOffer(tt.opts); got != tt.want {
			t.Errorf("deflateOffer(%+v) = %q, want %q", tt.opts, got, tt.want)
		}
		if tt.want == "" {
			continue
		}
		// Our own server accepts our own offer and gives what was asked.
		p, resp, ok, err := negotiateDeflate([]string{tt.want}, CompressionOptions{Enabled: true})
		if err != nil || !ok {
			t.Fatalf("server declines %q: %v", tt.want, err)
		}
		cp, enabled, err := acceptDeflateResponse([]string{resp}, tt.opts)
		if err != nil || !enabled {
			t.Fatalf("client rejects %q: %v", resp, err)
		}
		if cp != p {
			t.Errorf("offer %q: client params %+v, server params %+v", tt.want, cp, p)
		}
	}
}

func TestAcceptDeflateResponse(t *testing.T) {
	on := CompressionOptions{Enabled: true}
	tests := []struct {
		name    string
		header  []string
		opts    CompressionOptions
		enabled bool
		want    deflateParams
		wantErr bool
	}{
		{name: "no extension", opts: on},
		{name: "empty value", header: []string{""}, opts: on},
		{name: "plain", header: []string{"permessage-deflate"}, opts: on, enabled: true, want: deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
		{name: "server_no_context_takeover not asked", header: []string{"permessage-deflate; server_no_context_takeover"}, opts: on, enabled: true,
			want: deflateParams{serverNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
		{name: "client_no_context_takeover imposed", header: []string{"permessage-deflate; client_no_context_takeover"}, opts: on, enabled: true,
			want: deflateParams{clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
		{name: "client_no_context_takeover asked, not echoed", header: []string{"permessage-deflate"}, opts: CompressionOptions{Enabled: true, ClientNoContextTakeover: true}, enabled: true,
			want: deflateParams{clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
		{name: "server window smaller than asked", header: []string{"permessage-deflate; server_max_window_bits=9"}, opts: CompressionOptions{Enabled: true, ServerMaxWindowBits: 10}, enabled: true,
			want: deflateParams{serverMaxWindowBits: 9, clientMaxWindowBits: 15}},
		{name: "server window not asked", header: []string{"permessage-deflate; server_max_window_bits=12"}, opts: on, enabled: true,
			want: deflateParams{serverMaxWindowBits: 12, clientMaxWindowBits: 15}},
		{name: "client window imposed", header: []string{"permessage-deflate; client_max_window_bits=8"}, opts: on, enabled: true,
			want: deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 8}},
		{name: "client window kept when not answered", header: []string{"permessage-deflate"}, opts: CompressionOptions{Enabled: true, ClientMaxWindowBits: 10}, enabled: true,
			want: deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 10}},

		{name: "not offered at all", header: []string{"permessage-deflate"}, opts: CompressionOptions{}, wantErr: true},
		{name: "other extension", header: []string{"x-foo"}, opts: on, wantErr: true},
		{name: "two extensions", header: []string{"permessage-deflate, permessage-deflate"}, opts: on, wantErr: true},
		{name: "two lines", header: []string{"permessage-deflate", "x-foo"}, opts: on, wantErr: true},
		{name: "unknown parameter", header: []string{"permessage-deflate; foo=1"}, opts: on, wantErr: true},
		{name: "duplicate", header: []string{"permessage-deflate; client_no_context_takeover; client_no_context_takeover"}, opts: on, wantErr: true},
		{name: "no_context_takeover with value", header: []string{"permessage-deflate; server_no_context_takeover=true"}, opts: on, wantErr: true},
		{name: "server window larger than asked", header: []string{"permessage-deflate; server_max_window_bits=11"}, opts: CompressionOptions{Enabled: true, ServerMaxWindowBits: 10}, wantErr: true},
		{name: "client window larger than asked", header: []string{"permessage-deflate; client_max_window_bits=11"}, opts: CompressionOptions{Enabled: true, ClientMaxWindowBits: 10}, wantErr: true},
		{name: "client window without value", header: []string{"permessage-deflate; client_max_window_bits"}, opts: on, wantErr: true},
		{name: "server window without value", header: []string{"permessage-deflate; server_max_window_bits"}, opts: on, wantErr: true},
		{name: "window out of range", header: []string{"permessage-deflate; server_max_window_bits=16"}, opts: on, wantErr: true},
		{name: "syntax", header: []string{"permessage-deflate;;"}, opts: on, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, enabled, err := acceptDeflateResponse(tt.header, tt.opts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, errBadExtension) {
					t.Errorf("err %v does not wrap errBadExtension", err)
				}
				return
			}
			if enabled != tt.enabled || p != tt.want {
				t.Fatalf("got (%+v, %v), want (%+v, %v)", p, enabled, tt.want, tt.enabled)
			}
		})
	}
}

func TestValidateCompressionOptions(t *testing.T) {
	if err := validateCompressionOptions(CompressionOptions{Enabled: true, ServerMaxWindowBits: 8, ClientMaxWindowBits: 15, Level: 9}); err != nil {
		t.Errorf("valid options: %v", err)
	}
	err := validateCompressionOptions(CompressionOptions{ServerMaxWindowBits: 7, ClientMaxWindowBits: 16, Level: 10})
	if err == nil {
		t.Fatal("invalid options accepted")
	}
	for _, s := range []string{"ServerMaxWindowBits", "ClientMaxWindowBits", "Level"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %s", err, s)
		}
	}
}

// pair returns the server's compressor and the client's decompressor for p.
func pair(p deflateParams, opts CompressionOptions) (*compressor, *decompressor) {
	return newCompressor(p, true, opts), newDecompressor(p, false)
}

func TestDeflateRoundTrip(t *testing.T) {
	const threshold = 64
	sizes := []int{0, 1, threshold - 1, threshold, 1000, 64 << 10, 1 << 20}
	modes := []struct {
		name string
		p    deflateParams
	}{
		{"context takeover", deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
		{"no context takeover", deflateParams{serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15}},
		{"window 10", deflateParams{serverMaxWindowBits: 10, clientMaxWindowBits: 10}},
		{"window 8", deflateParams{serverMaxWindowBits: 8, clientMaxWindowBits: 8}},
	}
	for _, m := range modes {
		for _, level := range []int{flate.BestSpeed, flate.BestCompression} {
			t.Run(fmt.Sprintf("%s/level%d", m.name, level), func(t *testing.T) {
				opts := CompressionOptions{Enabled: true, Threshold: threshold, Level: level}
				// Both directions: server to client and client to server.
				for _, server := range []bool{true, false} {
					c, d := newCompressor(m.p, server, opts), newDecompressor(m.p, !server)
					for round := range 2 {
						for i, n := range sizes {
							if n > 64<<10 && (level != flate.BestSpeed || !server || round > 0) {
								continue // once is enough: keeps -race bearable
							}
							msg := jsonLike(n, uint64(i+round)) // round 2 repeats content: context helps
							if i%2 == 1 {
								msg = randomBytes(n, uint64(i))
							}
							payload, compressed, err := c.compress(nil, msg)
							if err != nil {
								t.Fatal(err)
							}
							bits := m.p.serverMaxWindowBits
							if !server {
								bits = m.p.clientMaxWindowBits
							}
							wantCompressed := n >= threshold && (bits == 15 || n <= 1<<bits)
							if compressed && !wantCompressed {
								t.Fatalf("size %d compressed, want uncompressed", n)
							}
							if !compressed {
								// Incompressible data may go uncompressed only
								// when each message stands alone.
								if wantCompressed && (!c.noContext || i%2 == 0) {
									t.Fatalf("size %d (random %v) not compressed", n, i%2 == 1)
								}
								continue
							}
							if bytes.HasSuffix(payload, deflateTail) && n > 0 {
								t.Errorf("size %d: payload keeps the 00 00 ff ff tail", n)
							}
							got, err := d.decompress([]byte("prefix"), payload, int64(n))
							if err != nil {
								t.Fatalf("size %d round %d: %v", n, round, err)
							}
							if string(got[:6]) != "prefix" || !bytes.Equal(got[6:], msg) {
								t.Fatalf("size %d round %d: round trip differs", n, round)
							}
						}
					}
					if c.noContext && c.pw != nil {
						t.Error("no-context compressor holds a flate writer between messages")
					}
					if d.noContext && d.hist != nil {
						t.Error("no-context decompressor holds history")
					}
				}
			})
		}
	}
}

// TestDeflateContextTakeover checks that context takeover is really used:
// a repeated message compresses to far less the second time, and an
// independent decompressor cannot read it.
func TestDeflateContextTakeover(t *testing.T) {
	p := deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15}
	c, d := pair(p, CompressionOptions{Enabled: true, Threshold: 1})
	msg := jsonLike(2000, 1)
	first, ok, err := c.compress(nil, msg)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if _, err := d.decompress(nil, first, 1<<20); err != nil {
		t.Fatal(err)
	}
	second, ok, err := c.compress(nil, msg)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if len(second)*4 > len(first) {
		t.Errorf("repeated message: %d bytes then %d: context not taken over", len(first), len(second))
	}
	got, err := d.decompress(nil, second, 1<<20)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("second message: %v", err)
	}
	fresh := newDecompressor(p, false)
	if got, err := fresh.decompress(nil, second, 1<<20); err == nil && bytes.Equal(got, msg) {
		t.Error("second message decodes without the first: no context was used")
	}

	// With no_context_takeover the repeated message costs as much again.
	pn := deflateParams{serverNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15}
	cn, dn := pair(pn, CompressionOptions{Enabled: true, Threshold: 1})
	a, _, _ := cn.compress(nil, msg)
	b, _, _ := cn.compress(nil, msg)
	if !bytes.Equal(a, b) {
		t.Error("no_context_takeover: the same message compresses differently")
	}
	if got, err := dn.decompress(nil, b, 1<<20); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("no context: %v", err)
	}
}

// TestDeflateWindowBits checks the per-message choice below 15 bits: each
// message is standalone (readable by a fresh inflater) and sent compressed
// only when it fits the window.
func TestDeflateWindowBits(t *testing.T) {
	for bits := 8; bits <= 14; bits++ {
		p := deflateParams{serverMaxWindowBits: bits, clientMaxWindowBits: 15}
		c := newCompressor(p, true, CompressionOptions{Enabled: true, Threshold: 1})
		if !c.noContext {
			t.Fatalf("bits %d: context takeover with a window below 15", bits)
		}
		for _, n := range []int{1 << bits, 1<<bits + 1} {
			msg := jsonLike(n, uint64(bits))
			for range 2 {
				payload, ok, err := c.compress(nil, msg)
				if err != nil {
					t.Fatal(err)
				}
				if ok != (n <= 1<<bits) {
					t.Fatalf("bits %d size %d: compressed=%v", bits, n, ok)
				}
				if !ok {
					continue
				}
				got, err := newDecompressor(p, false).decompress(nil, payload, -1)
				if err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("bits %d size %d: not standalone: %v", bits, n, err)
				}
			}
		}
	}
}

// TestInflateWindowBits feeds a context-takeover stream made by flate itself
// (one writer across messages, as a zlib peer does) to decompressors whose
// history is bounded by the peer's window.
func TestInflateWindowBits(t *testing.T) {
	for _, bits := range []int{8, 9, 12, 15} {
		var wire bytes.Buffer
		fw, _ := flate.NewWriter(&wire, flate.BestCompression)
		p := deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: bits}
		d := newDecompressor(p, true)
		// Random messages, each sent twice: the back-references of the
		// second copy reach into the previous message only, within the
		// window.
		size := 1 << bits / 2
		for i := range 20 {
			msg := randomBytes(size, uint64(i/2))
			wire.Reset()
			fw.Write(msg)
			fw.Flush()
			payload := bytes.TrimSuffix(wire.Bytes(), deflateTail)
			got, err := d.decompress(nil, payload, int64(size))
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("bits %d message %d: %v", bits, i, err)
			}
		}
		if len(d.hist) > 1<<max(bits, 9) { // 8 is read as 9, as zlib writes it
			t.Errorf("bits %d: history %d bytes", bits, len(d.hist))
		}
	}
}

func TestDeflateThreshold(t *testing.T) {
	p := deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15}
	c := newCompressor(p, true, CompressionOptions{Enabled: true})
	if c.threshold != DefaultCompressionThreshold || c.level != DefaultCompressionLevel {
		t.Fatalf("defaults: threshold %d level %d", c.threshold, c.level)
	}
	msg := jsonLike(DefaultCompressionThreshold, 3)
	if _, ok, _ := c.compress(nil, msg[:len(msg)-1]); ok {
		t.Error("message under the threshold compressed")
	}
	if _, ok, _ := c.compress(nil, msg); !ok {
		t.Error("message at the threshold not compressed")
	}
}

// TestDeflateFinalBlock reads messages whose payload ends with a final block
// (RFC 7692 7.2.3.4) and the single 0x00 empty message (7.2.3.6).
func TestDeflateFinalBlock(t *testing.T) {
	d := newDecompressor(deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15}, false)
	for i, n := range []int{0, 10, 5000} {
		var buf bytes.Buffer
		fw, _ := flate.NewWriter(&buf, flate.BestSpeed)
		msg := jsonLike(n, uint64(i))
		fw.Write(msg)
		fw.Close()
		got, err := d.decompress(nil, buf.Bytes(), -1)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("final block, size %d: %v", n, err)
		}
	}
	for _, payload := range [][]byte{{}, {0x00}} {
		got, err := d.decompress(nil, payload, 0)
		if err != nil || len(got) != 0 {
			t.Fatalf("empty message %x: %q, %v", payload, got, err)
		}
	}
	// Bytes after a final block are ignored (zlib does so; RFC 7692
	// 7.2.3.4 shows a final block followed by a 0x00 byte).
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestSpeed)
	fw.Write([]byte("hello"))
	fw.Close()
	buf.Write([]byte{0x01, 0x02, 0xff})
	if got, err := d.decompress(nil, buf.Bytes(), -1); err != nil || string(got) != "hello" {
		t.Fatalf("data after final block: %q, %v", got, err)
	}
}

func TestInflateLimit(t *testing.T) {
	p := deflateParams{serverNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15}
	c, d := pair(p, CompressionOptions{Enabled: true, Threshold: 1})
	msg := jsonLike(10000, 5)
	payload, _, _ := c.compress(nil, msg)
	if got, err := d.decompress(nil, payload, int64(len(msg))); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("exactly at the limit: %v", err)
	}
	if _, err := d.decompress(nil, payload, int64(len(msg)-1)); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("one byte over: %v", err)
	}
	if _, err := d.decompress(nil, payload, 0); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("limit 0: %v", err)
	}
	// A caller's buffer larger than the limit does not stretch it.
	big := make([]byte, 3, 1<<20)
	got, err := d.decompress(big, payload, 1000)
	if !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("large dst: %v", err)
	}
	if len(got) > 3+1000 {
		t.Fatalf("large dst: %d bytes written for a 1000 limit", len(got)-3)
	}
	if got, err := d.decompress(big, payload, -1); err != nil || !bytes.Equal(got[3:], msg) {
		t.Fatalf("no limit: %v", err)
	}
}

// bomb returns a payload of about n/1000 bytes that inflates to n zero
// bytes: one compressed 256 KiB block of zeros, repeated (each copy ends
// byte-aligned with a sync flush, so copies chain into one valid stream).
func bomb(t testing.TB, n int) []byte {
	const chunk = 256 << 10
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(make([]byte, chunk))
	fw.Flush()
	out := bytes.Repeat(buf.Bytes(), (n+chunk-1)/chunk)
	return bytes.TrimSuffix(out, deflateTail)
}

func TestInflateBomb(t *testing.T) {
	const limit = 1 << 20
	payload := bomb(t, 16<<20)
	if len(payload) > 20<<10 {
		t.Fatalf("bomb is %d bytes", len(payload))
	}
	for _, noContext := range []bool{true, false} {
		p := deflateParams{clientNoContextTakeover: noContext, serverMaxWindowBits: 15, clientMaxWindowBits: 15}
		d := newDecompressor(p, true)
		// Warm the reader pool so that only the output buffer is measured.
		if _, err := d.decompress(nil, []byte{0x00}, 0); err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		got, err := d.decompress(nil, payload, limit)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrMessageTooLarge) {
			t.Fatalf("bomb of %d bytes: err %v", len(payload), err)
		}
		t.Logf("bomb of %d bytes (16 MiB inflated), limit %d: output cap %d, %d bytes allocated", len(payload), limit, cap(got), after.TotalAlloc-before.TotalAlloc)
		if cap(got) > limit {
			t.Errorf("output buffer grew to %d, limit %d", cap(got), limit)
		}
		// Doubling from 512 to the limit allocates < 2*limit in all; a
		// reader may be allocated if the pool was emptied by a GC.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2*limit+128<<10 {
			t.Errorf("bomb allocated %d bytes for a %d limit", alloc, limit)
		}
	}
}

// TestInflateCorrupt mutates valid payloads and feeds garbage: the result is
// an error wrapping ErrInvalidCompressedData or a message within the limit,
// never a panic.
func TestInflateCorrupt(t *testing.T) {
	p := deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15}
	c := newCompressor(p, true, CompressionOptions{Enabled: true, Threshold: 1})
	msg := jsonLike(3000, 9)
	valid, _, _ := c.compress(nil, msg)
	r := rand.New(rand.NewPCG(1, 2))
	errs := 0
	for i := range 2000 {
		var payload []byte
		switch i % 3 {
		case 0: // flip bits
			payload = bytes.Clone(valid)
			for range 1 + r.IntN(4) {
				payload[r.IntN(len(payload))] ^= byte(1 << r.IntN(8))
			}
		case 1: // truncate
			payload = valid[:r.IntN(len(valid))]
		case 2: // garbage
			payload = randomBytes(1+r.IntN(200), uint64(i))
		}
		d := newDecompressor(p, false)
		got, err := d.decompress(nil, payload, 8192)
		if err != nil {
			errs++
			if !errors.Is(err, ErrInvalidCompressedData) && !errors.Is(err, ErrMessageTooLarge) {
				t.Fatalf("case %d: unexpected error %v", i, err)
			}
			continue
		}
		if len(got) > 8192 {
			t.Fatalf("case %d: %d bytes over the limit", i, len(got))
		}
	}
	if errs < 1000 {
		t.Errorf("only %d of 2000 corrupted payloads failed", errs)
	}
	// A truncated payload that stops inside a block is an error.
	if _, err := newDecompressor(p, false).decompress(nil, valid[:len(valid)/2], -1); !errors.Is(err, ErrInvalidCompressedData) {
		t.Errorf("truncated payload: %v", err)
	}
}

// TestCompressOnceInContext sends a prepared (standalone) message in the
// middle of a context-takeover stream: the receiver must still read every
// later message.
func TestCompressOnceInContext(t *testing.T) {
	p := deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15}
	c, d := pair(p, CompressionOptions{Enabled: true, Threshold: 1})
	shared := jsonLike(4000, 42)
	prepared, ok := compressOnce(shared, flate.BestSpeed)
	if !ok {
		t.Fatal("compressOnce refused compressible data")
	}
	for i := range 6 {
		msg := jsonLike(4000, uint64(i%2))
		var payload []byte
		if i == 3 {
			if !c.usePrepared(len(shared)) {
				t.Fatal("usePrepared refused")
			}
			msg, payload = shared, prepared
		} else {
			payload, ok, _ = c.compress(nil, msg)
			if !ok {
				t.Fatal("not compressed")
			}
		}
		got, err := d.decompress(nil, payload, -1)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if _, ok := compressOnce(randomBytes(1000, 1), flate.BestSpeed); ok {
		t.Error("compressOnce accepted incompressible data")
	}
	small := newCompressor(deflateParams{serverMaxWindowBits: 9, clientMaxWindowBits: 15}, true, CompressionOptions{Enabled: true, Threshold: 1})
	if small.usePrepared(513) || !small.usePrepared(512) {
		t.Error("usePrepared ignores the window")
	}
}

// TestDeflateIdleMemory checks the claim of docs/compression.md: without
// context takeover a connection holds no flate state between messages.
func TestDeflateIdleMemory(t *testing.T) {
	p := deflateParams{serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15}
	c, d := pair(p, CompressionOptions{Enabled: true, Threshold: 1})
	d2 := newDecompressor(p, true)
	msg := jsonLike(5000, 1)
	payload, _, _ := c.compress(nil, msg)
	if _, err := d.decompress(nil, payload, -1); err != nil {
		t.Fatal(err)
	}
	if _, err := d2.decompress(nil, payload, -1); err != nil {
		t.Fatal(err)
	}
	if c.pw != nil || d.hist != nil || d.src.p != nil {
		t.Error("state retained after a no-context message")
	}
}

// FuzzInflate feeds arbitrary payloads to the decompressor, in both context
// modes and twice in a row (so a second message reads the first one's
// history): it must return the message within the limit or a documented
// error, never panic. The fuzzed bytes are also compressed and read back.
func FuzzInflate(f *testing.F) {
	p := deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15}
	c := newCompressor(p, true, CompressionOptions{Enabled: true, Threshold: 1})
	for _, msg := range [][]byte{[]byte("hello"), jsonLike(300, 1), bytes.Repeat([]byte("ab"), 2000)} {
		payload, _, _ := c.compress(nil, msg)
		f.Add(payload, false)
		f.Add(payload, true)
	}
	f.Add([]byte{0x00}, false)
	f.Add([]byte{}, true)
	f.Add(bomb(f, 1<<20), false)
	const limit = 64 << 10
	f.Fuzz(func(t *testing.T, payload []byte, noContext bool) {
		p := deflateParams{clientNoContextTakeover: noContext, serverMaxWindowBits: 15, clientMaxWindowBits: 15}
		d := newDecompressor(p, true)
		for range 2 {
			got, err := d.decompress(nil, payload, limit)
			if err != nil {
				if !errors.Is(err, ErrInvalidCompressedData) && !errors.Is(err, ErrMessageTooLarge) {
					t.Fatalf("undocumented error %v", err)
				}
				break
			}
			if len(got) > limit {
				t.Fatalf("%d bytes past a %d limit", len(got), limit)
			}
		}

		// Round trip of the fuzzed bytes as a message (no context takeover:
		// a fresh context writer per input would cost ~1 MiB an execution).
		p.clientNoContextTakeover = true
		c := newCompressor(p, false, CompressionOptions{Enabled: true, Threshold: 1})
		d = newDecompressor(p, true)
		for range 2 {
			out, ok, err := c.compress(nil, payload)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				continue
			}
			got, err := d.decompress(nil, out, int64(len(payload)))
			if err != nil || !bytes.Equal(got, payload) {
				t.Fatalf("round trip: %v", err)
			}
		}
	})
}

// FuzzNegotiateDeflate checks the negotiation on arbitrary headers: a
// syntax error wraps errBadExtension, and an accepted offer yields a
// response our own client accepts with the same parameters.
func FuzzNegotiateDeflate(f *testing.F) {
	for _, s := range []string{
		"permessage-deflate",
		"permessage-deflate; client_max_window_bits",
		"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=9",
		`x-foo; a="b\"c", permessage-deflate; server_max_window_bits="10"`,
		"permessage-deflate; foo, permessage-deflate;client_max_window_bits=15",
		"permessage-deflate;;",
	} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(0xff))
	}
	f.Fuzz(func(t *testing.T, header string, flags uint8) {
		opts := CompressionOptions{
			Enabled:                 true,
			ServerNoContextTakeover: flags&1 != 0,
			ClientNoContextTakeover: flags&2 != 0,
			ServerMaxWindowBits:     int(flags>>2&3) + 12, // 12..15
			ClientMaxWindowBits:     int(flags>>4&7) + 8,  // 8..15
		}
		lines := strings.Split(header, "\n")
		p, resp, ok, err := negotiateDeflate(lines, opts)
		if err != nil {
			if !errors.Is(err, errBadExtension) {
				t.Fatalf("error %v does not wrap errBadExtension", err)
			}
			return
		}
		// The header read as a server's response never panics either.
		_, _, _ = acceptDeflateResponse(lines, opts)
		if !ok {
			return
		}
		if opts.ServerNoContextTakeover && !p.serverNoContextTakeover ||
			p.serverMaxWindowBits > opts.ServerMaxWindowBits || p.clientMaxWindowBits < 8 || p.clientMaxWindowBits > 15 {
			t.Fatalf("params %+v ignore options %+v", p, opts)
		}
		cp, enabled, err := acceptDeflateResponse([]string{resp}, CompressionOptions{Enabled: true})
		if err != nil || !enabled {
			t.Fatalf("response %q refused: %v", resp, err)
		}
		if cp.serverNoContextTakeover != p.serverNoContextTakeover || cp.clientNoContextTakeover != p.clientNoContextTakeover ||
			cp.serverMaxWindowBits != p.serverMaxWindowBits || (p.clientMaxWindowBits < 15 && cp.clientMaxWindowBits != p.clientMaxWindowBits) {
			t.Fatalf("response %q: client reads %+v, server uses %+v", resp, cp, p)
		}
	})
}

// TestInflateRFC7692Examples reads the examples of RFC 7692 section 7.2.3.
func TestInflateRFC7692Examples(t *testing.T) {
	p := deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15}
	d := newDecompressor(p, false)
	for _, tc := range []struct {
		name    string
		payload []byte
	}{
		{"7.2.3.1 one message", []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}},
		{"7.2.3.2 shared window", []byte{0xf2, 0x00, 0x11, 0x00, 0x00}},
		{"7.2.3.3 stored block", []byte{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}},
		{"7.2.3.4 BFINAL", []byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}},
	} {
		got, err := d.decompress(nil, tc.payload, 5)
		if err != nil || string(got) != "Hello" {
			t.Errorf("%s: %q, %v", tc.name, got, err)
		}
	}
	// The shared-window example needs the first message's history.
	if _, err := newDecompressor(p, false).decompress(nil, []byte{0xf2, 0x00, 0x11, 0x00, 0x00}, 5); err == nil {
		t.Error("7.2.3.2 read without history")
	}
}

// TestBombIsValid checks the test's own bomb: with no limit it inflates to
// exactly n zero bytes.
func TestBombIsValid(t *testing.T) {
	const n = 2 << 20
	d := newDecompressor(deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15}, false)
	got, err := d.decompress(nil, bomb(t, n), -1)
	if err != nil || len(got) != n || bytes.IndexFunc(got, func(r rune) bool { return r != 0 }) >= 0 {
		t.Fatalf("bomb inflates to %d bytes, err %v", len(got), err)
	}
}

// TestInflateWindow8AsZlib reads a peer that agreed to an 8-bit window but,
// like zlib, compresses with 9 bits: references up to 512 bytes back.
func TestInflateWindow8AsZlib(t *testing.T) {
	p := deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 8}
	d := newDecompressor(p, true)
	var wire bytes.Buffer
	fw, _ := flate.NewWriter(&wire, flate.BestCompression)
	for i := range 6 {
		msg := randomBytes(500, uint64(i/2)) // each sent twice: distance 500
		wire.Reset()
		fw.Write(msg)
		fw.Flush()
		got, err := d.decompress(nil, bytes.TrimSuffix(wire.Bytes(), deflateTail), 500)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("message %d: %v", i, err)
		}
	}
}

// TestDeflateRelease drops the context-takeover writer between messages: the
// receiver, which keeps its window, still reads every message.
func TestDeflateRelease(t *testing.T) {
	p := deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: 15}
	c, d := pair(p, CompressionOptions{Enabled: true, Threshold: 1, Level: flate.DefaultCompression})
	for i := range 8 {
		msg := jsonLike(3000, uint64(i%3))
		payload, ok, err := c.compress(nil, msg)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		got, err := d.decompress(nil, payload, -1)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("message %d: %v", i, err)
		}
		if c.pw == nil {
			t.Fatal("context writer missing after a compressed message")
		}
		if i%3 == 1 {
			c.release()
			if c.pw != nil {
				t.Fatal("release kept the writer")
			}
		}
	}
}

// TestInflateZlibStreams reads context-takeover streams written by zlib
// (Python's zlib.compressobj(9, DEFLATED, -wbits, 9), sync flush per
// message, tail stripped) with 9- and 15-bit windows: the decompressor's
// history, bounded by the negotiated window, suffices for a real peer.
// Message k is byte((k/2*31 + j*j*13 + j) % 256) for j < 400: each is sent
// twice, so the second copy refers to the first.
func TestInflateZlibStreams(t *testing.T) {
	streams := map[int][]string{
		9: {
			"0090016ffe000e3678d44ada8448261e305ca2027c10be8668647aaaf458d66e20ecd2d2ec206ed658f4aa7a646886be107c02a25c301e264884da4ad478360e000c3272cc40ce7638140a1a4488e65ef09c62423c507ec628a43aeab49896aee02c9212ac602e1618346aba24a846fed0bcc2e21c70de6608c49a8a94b8f64ec04cf2b28c808eb6f854ca5a04c8a69eb0dc2282fc903e06e8e4fa2a74d856eea06c52526ca0ee56d8742afae4e8063e90fc8222dcb09ea6c8045aca54f8b68e808cb2f24cc04ef6b8948a9ac40866de701ce2c2bcd0fe46a824ba6a3418162e60ac12922ce0ae9698b4ea3aa428c67e503c42629cf05ee688441a0a143876ce40cc72320c000e3678d44ada8448261e305ca2027c10be8668647aaaf458d66e20ecd2d2ec206ed658f4aa7a646886be107c02a25c301e264884da4ad478360e000c3272cc40ce7638140a1a4488e65ef09c62423c507ec628a43aeab49896aee02c9212ac602e1618346aba24a846fed0bcc2e21c70de6608c49a8a94b8f64ec04cf2b28c808eb6f854ca5a04c8a69eb0dc2282fc00",
			"1a6cee9960c7f6e2c92fad921b61ef16e40405e52c781776a344ebd793176c7613fe3429ddd9306fd90996a853213fb6f535f46cfae473c0efdb8e295db38e70a4dd2b90797468cf857f6e2b547665994888e925ac119aa4f360ddb4195b5e592dd138561760e39434e743dcb30e17292e118bb2730e678a8c7818f8cc2aae78dd6af15093338859c45423b0af2d23a56ad597886b790a6f2e5d7aa390772de2cbaaaa948cb67d02354c8b620ce4d43c5a6e795da930e363e0312a3ae370aecc42844bcaa5e359dc8739494e360175c7349658bdda3263daba073a9384d624e889499864ed5259e1f6efc29e438f640aeea5711c99d53565c737bf033e9f36f534f46dfb11722a8ae5c4b2791bee2835fd0100",
			"0090016ffe1f2d5597f369f9a367453d4f7bc1219b2fdda5878399c91377f58d3f0bf1f10b3f8df57713c9998387a5dd2f9b21c17b4f3d4567a3f969f397552d1f2b5191eb5fed955733293963a7057d0fbb81615b6f9de547c35909d3b7b5cdff4bb131cb7f4d35375389d943c7651defdbe1013b8ffd8527e3b9a9b3d7156ddf6b11d1ab9fadd51773e97923e7c5bdcffb41a11baf5d250703194993f7750dbf8b71718bbf0d75f79349190307255daf1ba141fbcfbdc5e72379e97317d5ad9fabd1116bdf6d15d7b3a9b9e32785fd8f3b01e1dbef1d65c743d9895337354d7fcb31b14bffcdb5b7d30959c347e59d6f5b6181bb0f7d05a7633929335795ed5feb91512b1f2d5597f369f9a367453d4f7bc1219b2fdda5878399c91377f58d3f0bf1f10b3f8df57713c9998387a5dd2f9b21c17b4f3d4567a3f969f397552d1f2b5191eb5fed955733293963a7057d0fbb81615b6f9de547c35909d3b7b5cdff4bb131cb7f4d35375389d943c7651defdbe1013b8ffd8527e3b9a9b3d7156ddf6b11d1ab9fadd51773e97923e7c5bdcffb41a11b00",
			"1a6cee591fabcace2ce939f97b29effeeec2c2eefdbca5df277b4a32b3abc6ae975ee8f8fbfcdea3cf952b5f168b5f5d3b7ff545c1ecfbb9a2d737afdcf958bdf56fbf35e3c3dbef65538f3bdfec0c3637f5ad3f6db8d1fbffd9addb2f73461e767f3a373f3ab171377f2debf2644b4de3f0a96fe35f4f0cd496d70d9dfe39f3e7e274575bffea838ab3f5ef2e6d6f9e7952b8fc6baf3df7c78fdcf6bd5fcb854fce6c6e5f7a577fb6e2c16a7f5bd7f4c53f333f4f0fd595d70e9cf83afeedd470634dcbe4e5acb5fcbb1b13a3f3e73e753f1cc97979fbd6b3ffbd371a9eaef735350feebce97c3c55f6fded878cd6fd7f5bd51fef5cb9f9ba68eefd6cc18babe7afbd2a5efcb252f9f9d1bde77f3b2e940600",
			"0090016ffe3e4c74b6128818c286645c6e9ae040ba4efcc4a6a2b8e8329614ac5e2a10102a5eac149632e8b8a2a6c4fc4eba40e09a6e5c6486c2188812b6744c3e4a70b00a7e0cb47652485882c6249c2edaa0807a8ebc0466e27828f2d6d4ec1e6ad050ea9e6c545672a8f862e6843c0efa00205aae1ca44602d8c8d2f6348cfe8a30f0cabeccf4369208984206e4dcee1a60c03ace7c4426223868b216942cdeaa9090aade2c9416b268382226447cce3ac0601aeedce4064298089236f4ccbecaf0308afe8c34f6d2c8d80246a41cae5a2000fa0e3c84e662f8a87256546c9eea50d06a1eecd4d6f22878e26604bc8e7a80a0da2e9c24c68258485276b40c7e0ab0704a3e4c74b6128818c286645c6e9ae040ba4efcc4a6a2b8e8329614ac5e2a10102a5eac149632e8b8a2a6c4fc4eba40e09a6e5c6486c2188812b6744c3e4a70b00a7e0cb47652485882c6249c2edaa0807a8ebc0466e27828f2d6d4ec1e6ad050ea9e6c545672a8f862e6843c0efa00205aae1ca44602d8c8d2f6348cfe8a30f0cabeccf4369208984206e4dcee1a60c03a00",
			"1a6cee3957e3a2a66491b1496c8acebd551326acbaa733456c538685929a4bcd39ab030952efee3c61739ac131c9eccb997da73e1874fdeb31f976e9c40d26b72532eba214187ef1d9b43c4bfab1a2282c2467deab800b59726fae5cfba451f1288d654f5f55c3825b7a73548e35457804956de1a9e3da50e065e753b24da843e2505b4a4cdeac070ebbfcfe1c59b668c70ba369226be2b40404b4e2d6884c337ab163d1b2237ffc76393c98951793d27648a243685b898f9d57c106ae3a9e2d65411e114dc754e6e8dd5ad050d5b78725ed5185c6a76b57dec8655d0878352f2724ac68c58fa4672d367cbf1814a2d6c92c7163ba71e2d237939e7f5d061f4eed3bf3c56c12c70c27b62777de49251cb00200",
		},
		15: {
			"62e033abb8e275abc5434dce206611538dc0beb68c94aa555f22aee529bcb974e98d42deb5882fabaa5232daf609d4302d8a319053f368b9e575a5c28c8f81c7a8e88cc3b9320b112e29978e67711fe62439d904d41dd35862f56acb8c69eb1ee84c125a93a027266192b54b6585dbbf0b7b0e3d9229b897c6716456d7941ddffc0ef87cdad4d3d0b7ed47c8a9289613cbe66db8a3d4f467821ddb8b27bfb44a6e84bd5b90131494b3e05dd88d12ad5f4f5eb0d94df8d3a47467c3bc652758a24e85fcd8d6d7d0b3e993cf01bf6f3ba674cd3ac29176af40e6d1a13d17feb9ad50d995652221a697b0466892ce8375d3666c7965b544e3585d808d53d29c0f71cf3a5ca4b8442ccace399c2932e2611864fe0700",
			"62188d8f41e57f0000",
			"92d70d9dfe39f3e7e274575bffea838ab3f5ef2e6d6f9e7952b8fc6baf3df7c78fdcf6bd5fcb854fce6c6e5f7a577fb6e2c16a7f5bd7f4c53f333f4f0fd595d70e9cf83afeedd470634dcbe4e5acb5fcbb1b13a3f3e73e753f1cc97979fbd6b3ffbd371a9eaef735350feebce97c3c55f6fded878cd6fd7f5bd51fef5cb9f9ba68eefd6cc18babe7afbd2a5efcb252f9f9d1bde77f3b2e945e1fabcace2ce939f97b29effeeec2c2eefdbca5df277b4a32b3abc6ae975ee8f8fbfcdea3cf952b5f168b5f5d3b7ff545c1ecfbb9a2d737afdcf958bdf56fbf35e3c3dbef65538f3bdfec0c3637f5ad3f6db8d1fbffd9addb2f73461e767f3a373f3ab171377f2debf2644b4de3f0a96fe35f4f0cd41e6cfe0700",
			"1a8d8fc1e57f0000",
			"b2f329d926d42171a82d25266fd603875d7e7f8e2c5bb4e385d1349135715a02025a716b44a619bdd8b168d9913f7ebb1c1eccca8b49693b24d121b4adc4c7ceab6003571dcf96b2208f88a6632a73f46e2d68a8eadbc392f6a842e3d3b52b6fe4b22e04bc9a97131256b4e247d2b3161bbe5f0c0a51eb6496b831dd3871e99b49cfbf2e830fa7f69df9623689638613db933befa4120e589dab715153b2c8d8243645e7deaa091356ddd39922b629c34249cda5e69cd58104a977779eb039cde09864f6e5ccbe531f0cbafef5987cbb74e20693db129975510a0cbff86c5a9e25fd585114169233ef55c0852cb93757ae7dd2a87894c6b2a7afaa61c12dbd392ac79a223c82cab6f0d4716d28f01a6cfe0700",
			"1a8d8fc1e57f0000",
		},
	}
	for bits, payloads := range streams {
		d := newDecompressor(deflateParams{serverMaxWindowBits: 15, clientMaxWindowBits: bits}, true)
		for k, h := range payloads {
			payload, err := hex.DecodeString(h)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]byte, 400)
			for j := range want {
				want[j] = byte((k/2*31 + j*j*13 + j) % 256)
			}
			got, err := d.decompress(nil, payload, 400)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("window %d message %d: %v", bits, k, err)
			}
		}
	}
}

// zlibPeer is a Python program inflating, with zlib and a window of argv[1]
// bits, one payload per input line ("payload-hex message-hex"), all lines one
// context-takeover stream unless argv[2] is "reset". It prints "ok" or the
// first failure.
const zlibPeer = `
import sys, zlib
bits, reset = int(sys.argv[1]), sys.argv[2] == "reset"
d = zlib.decompressobj(-bits)
for i, line in enumerate(sys.stdin):
    p, m = (bytes.fromhex(x) for x in line.split())
    if reset:
        d = zlib.decompressobj(-bits)
    try:
        out = d.decompress(p + b"\x00\x00\xff\xff")
    except zlib.error as e:
        print("message %d: %s" % (i, e)); sys.exit()
    if out != m:
        print("message %d differs" % i); sys.exit()
print("ok")
`

// TestDeflateZlibPeer has zlib (through python3, skipped when absent) inflate
// our compressor's output with the window the peer negotiated: zlib refuses
// a back-reference beyond its window ("invalid distance too far back"), so
// this proves the per-message choice for windows below 15 bits, and context
// takeover at 15.
func TestDeflateZlibPeer(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	for _, tc := range []struct {
		bits      int
		noContext bool
	}{{8, false}, {9, false}, {12, false}, {15, false}, {15, true}} {
		p := deflateParams{serverNoContextTakeover: tc.noContext, serverMaxWindowBits: tc.bits, clientMaxWindowBits: 15}
		c := newCompressor(p, true, CompressionOptions{Enabled: true, Threshold: 1, Level: flate.BestCompression})
		var input bytes.Buffer
		sent := 0
		for i := range 24 {
			n := []int{100, 1 << tc.bits, 3000, 1<<tc.bits - 1}[i%4]
			msg := jsonLike(n, uint64(i%5))
			payload, ok, err := c.compress(nil, msg)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				fmt.Fprintf(&input, "%x %x\n", payload, msg)
				sent++
			}
		}
		if sent < 12 {
			t.Fatalf("bits %d: only %d of 24 messages compressed", tc.bits, sent)
		}
		mode := "stream"
		if tc.noContext {
			mode = "reset"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, python, "-c", zlibPeer, fmt.Sprint(tc.bits), mode)
		cmd.Stdin = &input
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil || strings.TrimSpace(string(out)) != "ok" {
			t.Errorf("bits %d no_context %v: zlib says %q (%v)", tc.bits, tc.noContext, out, err)
		}
	}
}
