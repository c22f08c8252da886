package interop

import (
	"bytes"
	"strings"
	"testing"

	"github.com/socklet/socklet/protocol"
)

// deflateVariant is one permessage-deflate configuration, set the same way
// on both sides.
type deflateVariant struct {
	name     string
	peer     deflateConfig
	ours     protocol.CompressionOptions
	params   []string // parameters the negotiated extension must carry
	takeover bool     // both directions keep their context between messages
	window   int      // bits of the smaller window
	// onlyWS: websockets 10.4 cannot use an 8-bit window (Python's zlib
	// refuses wbits=8 for raw deflate: ValueError, or 500 as a server).
	onlyWS bool
}

var deflateVariants = []deflateVariant{
	{
		name:     "context-takeover",
		ours:     protocol.CompressionOptions{Enabled: true, Threshold: 1},
		takeover: true, window: 15,
	},
	{
		name:     "context-takeover-level-9",
		ours:     protocol.CompressionOptions{Enabled: true, Threshold: 1, Level: 9},
		takeover: true, window: 15,
	},
	{
		name:   "no-context-takeover",
		peer:   deflateConfig{ServerNoContextTakeover: true, ClientNoContextTakeover: true},
		ours:   protocol.CompressionOptions{Enabled: true, Threshold: 1, ServerNoContextTakeover: true, ClientNoContextTakeover: true},
		params: []string{"server_no_context_takeover", "client_no_context_takeover"},
		window: 15,
	},
	{
		name:     "window-bits-10",
		peer:     deflateConfig{ServerMaxWindowBits: 10, ClientMaxWindowBits: 10},
		ours:     protocol.CompressionOptions{Enabled: true, Threshold: 1, ServerMaxWindowBits: 10, ClientMaxWindowBits: 10},
		params:   []string{"server_max_window_bits=10", "client_max_window_bits=10"},
		takeover: true, window: 10,
	},
	{
		name:     "window-bits-9",
		peer:     deflateConfig{ServerMaxWindowBits: 9, ClientMaxWindowBits: 9},
		ours:     protocol.CompressionOptions{Enabled: true, Threshold: 1, ServerMaxWindowBits: 9, ClientMaxWindowBits: 9},
		params:   []string{"server_max_window_bits=9", "client_max_window_bits=9"},
		takeover: true, window: 9,
	},
	{
		name:     "window-bits-8",
		peer:     deflateConfig{ServerMaxWindowBits: 8, ClientMaxWindowBits: 8},
		ours:     protocol.CompressionOptions{Enabled: true, Threshold: 1, ServerMaxWindowBits: 8, ClientMaxWindowBits: 8},
		params:   []string{"server_max_window_bits=8", "client_max_window_bits=8"},
		takeover: true, window: 8, onlyWS: true,
	},
}

// TestCompression negotiates permessage-deflate with each variant, checks
// both sides agree on the parameters, and sends messages both ways:
// compressible ones must cross the wire compressed, and a poorly
// compressible 16 KiB text sent twice must cost little the second time
// exactly when the context is kept and the window holds it.
func TestCompression(t *testing.T) {
	each(t, func(t *testing.T, kind peerKind, role string) {
		names := make([]string, len(deflateVariants))
		for i, v := range deflateVariants {
			names[i] = v.name
		}
		concurrently(t, names, func(t *testing.T, i int) {
			v := deflateVariants[i]
			if v.onlyWS && kind.name != "ws" {
				t.Skipf("%s cannot use an 8-bit window", kind.name)
			}
			pr := connect(t, kind, role, setup{opts: protocol.Options{Compression: v.ours}, peerDeflate: &v.peer})
			ours := pr.us.conn.Extensions()
			if !strings.HasPrefix(ours, "permessage-deflate") || norm(ours) != norm(pr.open.Extensions) {
				t.Fatalf("negotiated extension: ours %q, the peer's %q", ours, pr.open.Extensions)
			}
			for _, p := range v.params {
				if !strings.Contains(ours, p) {
					t.Errorf("negotiated %q lacks %q", ours, p)
				}
			}

			// Our compressor uses Go's flate, whose window is always 32 KiB: with
			// a smaller window it compresses only messages that fit the window
			// (each on its own), and sends the others uncompressed.
			small := bytes.Repeat([]byte("socklet compresses this. "), 20) // 500 bytes
			large := bytes.Repeat([]byte("socklet compresses this sentence. "), 2000)
			messages := []struct {
				typ  protocol.MessageType
				data []byte
			}{
				{protocol.MessageText, []byte("hi")},
				{protocol.MessageText, small},
				{protocol.MessageText, large},
				{protocol.MessageBinary, gen("binary", 100000, 3)}, // incompressible
				{protocol.MessageText, large},
				{protocol.MessageBinary, []byte{}},
				{protocol.MessageText, small},
				{protocol.MessageText, gen("text", 1<<20, 4)},
			}
			for _, m := range messages {
				n := pr.roundTrip(t, m.typ, m.data)
				if bytes.Equal(m.data, small) || bytes.Equal(m.data, large) {
					if n.in > len(m.data)/3 {
						t.Errorf("%d compressible bytes took %d bytes from the peer: not compressed", len(m.data), n.in)
					}
					if (v.window == 15 || len(m.data) <= 1<<v.window) && n.out > len(m.data)/3 {
						t.Errorf("%d compressible bytes took %d bytes to the peer: not compressed", len(m.data), n.out)
					}
				}
			}

			// Context takeover: the same 16 KiB twice. The peers' zlib finds
			// nearly all of the second in the window; Go's BestSpeed encoder
			// (our default level) only part of it.
			text := gen("text", 16<<10, 5)
			first := pr.roundTrip(t, protocol.MessageText, text)
			second := pr.roundTrip(t, protocol.MessageText, text)
			reuse := v.takeover && v.window >= 15
			// Most the second copy may cost, as a share of the first, in quarters.
			ourQuarters := 1
			if v.ours.Level == 0 {
				ourQuarters = 3
			}
			for _, d := range []struct {
				dir           string
				first, second int
				quarters      int
			}{{"peer to us", first.in, second.in, 1}, {"us to peer", first.out, second.out, ourQuarters}} {
				if reuse && 4*d.second > d.quarters*d.first {
					t.Errorf("%s: a repeated 16 KiB text took %d bytes after %d: the context was not kept", d.dir, d.second, d.first)
				}
				if !reuse && d.second < d.first/2 {
					t.Errorf("%s: a repeated 16 KiB text took %d bytes after %d: a context was kept that %s forbids", d.dir, d.second, d.first, v.name)
				}
			}
		})
	})
}

// TestCompressionDeclined: when only one side enables permessage-deflate,
// nothing is negotiated and messages still flow.
func TestCompressionDeclined(t *testing.T) {
	each(t, func(t *testing.T, kind peerKind, role string) {
		concurrently(t, []string{"peer-off", "ours-off"}, func(t *testing.T, i int) {
			s := setup{opts: protocol.Options{Compression: protocol.CompressionOptions{Enabled: true}}}
			if i == 1 {
				s = setup{peerDeflate: &deflateConfig{}}
			}
			pr := connect(t, kind, role, s)
			if got := pr.us.conn.Extensions(); got != "" || pr.open.Extensions != "" {
				t.Fatalf("negotiated %q (ours) %q (peer's) with compression on one side only", got, pr.open.Extensions)
			}
			data := bytes.Repeat([]byte("uncompressed "), 1000)
			if n := pr.roundTrip(t, protocol.MessageText, data); n.in < len(data) {
				t.Errorf("%d bytes arrived in %d wire bytes without compression", len(data), n.in)
			}
		})
	})
}

// wire counts the bytes a round trip took on our side of TCP.
type wire struct{ in, out int }

// roundTrip has the peer send (typ, data) to us, then sends it back to the
// peer, checks both arrived intact and returns the wire bytes each way.
func (pr *pair) roundTrip(t *testing.T, typ protocol.MessageType, data []byte) wire {
	t.Helper()
	var w wire
	before := pr.us.tap.read.Load()
	pr.peer.sendBytes(t, typ.String(), data)
	m := pr.us.next(t)
	w.in = int(pr.us.tap.read.Load() - before)
	if m.typ != typ || !bytes.Equal(m.data, data) {
		t.Fatalf("we read %v of %d bytes, the peer sent %v of %d", m.typ, len(m.data), typ, len(data))
	}
	before = pr.us.tap.written.Load()
	pr.us.write(t, typ, data)
	e := pr.peer.await(t, "message")
	// The flusher counts its write after the syscall returns, possibly
	// after the peer read it: wait for it.
	if err := pr.us.conn.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	w.out = int(pr.us.tap.written.Load() - before)
	if e.Type != typ.String() || e.Len != len(data) || e.SHA256 != sum(data) {
		t.Fatalf("peer read %s of %d bytes, we sent %v of %d", e.Type, e.Len, typ, len(data))
	}
	return w
}

// norm removes the spaces of an extension header value.
func norm(s string) string { return strings.ReplaceAll(s, " ", "") }
