package protocol

// permessage-deflate (RFC 7692): extension negotiation for both roles and the
// per-connection compressor and decompressor. The Conn owns one compressor
// (outbound) and one decompressor (inbound) per connection; docs/compression.md
// explains the memory model and the choices made here.

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// ErrMessageTooLarge is returned when an inbound message (after inflating, for a
// compressed one) is larger than the configured limit. The Conn closes with
// 1009.
var ErrMessageTooLarge = errors.New("protocol: message too large")

// ErrInvalidCompressedData is returned when the payload of a compressed
// message is not a valid DEFLATE stream. The Conn closes with 1007.
var ErrInvalidCompressedData = errors.New("protocol: invalid compressed data")

// errBadExtension is the sentinel of every extension negotiation failure.
var errBadExtension = errors.New("protocol: bad Sec-WebSocket-Extensions")

const (
	deflateExtension = "permessage-deflate"
	deflateMinWindow = 8
	deflateMaxWindow = 15
)

// deflateTail is the empty stored block a sync flush ends with; RFC 7692
// 7.2.1 removes it from the wire and 7.2.2 puts it back before inflating.
var deflateTail = []byte{0x00, 0x00, 0xff, 0xff}

// inflateTail is appended to every inbound payload: the sync-flush tail, then
// an empty final stored block (BFINAL=1, LEN=0). The final block makes the
// flate reader end with io.EOF at the end of the message instead of waiting
// for more input.
var inflateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// deflateParams is the negotiated permessage-deflate configuration.
// Window bits are always resolved (8..15; 15 when the parameter is absent).
type deflateParams struct {
	serverNoContextTakeover, clientNoContextTakeover bool
	serverMaxWindowBits, clientMaxWindowBits         int
}

// windowBits resolves a CompressionOptions window field: 0 (and anything out
// of range) means 15.
func deflateWindowBits(v int) int {
	if v < deflateMinWindow || v > deflateMaxWindow {
		return deflateMaxWindow
	}
	return v
}

// validateCompressionOptions reports every out-of-range field of o at once.
// It is for configuration checks; the negotiation itself treats an
// out-of-range window as 15 and an invalid level as the default.
func validateCompressionOptions(o CompressionOptions) error {
	var errs []error
	for _, w := range []struct {
		name string
		v    int
	}{{"ServerMaxWindowBits", o.ServerMaxWindowBits}, {"ClientMaxWindowBits", o.ClientMaxWindowBits}} {
		if w.v != 0 && (w.v < deflateMinWindow || w.v > deflateMaxWindow) {
			errs = append(errs, fmt.Errorf("protocol: Compression.%s %d: want 0 or 8..15", w.name, w.v))
		}
	}
	if o.Level != 0 && (o.Level < flate.HuffmanOnly || o.Level > flate.BestCompression) {
		errs = append(errs, fmt.Errorf("protocol: Compression.Level %d: want %d..%d", o.Level, flate.HuffmanOnly, flate.BestCompression))
	}
	return errors.Join(errs...)
}

// negotiateDeflate is the server side of the negotiation. offers are the
// values of every Sec-WebSocket-Extensions header line of the request. It
// picks the first permessage-deflate offer it can accept and returns the
// parameters in force and the response header value.
//
// ok is false when compression is disabled or no offer is acceptable (the
// handshake goes on without compression). An offer with an unknown parameter,
// a duplicated parameter or an invalid value is declined, as RFC 7692 section
// 5 requires, and the next offer is considered. err (wrapping
// errBadExtension) is returned only when a header value does not follow the
// extension-list grammar of RFC 6455 section 9.1: that is an invalid
// handshake, answered 400 (RFC 6455 section 4.2.1).
func negotiateDeflate(offers []string, opts CompressionOptions) (p deflateParams, response string, ok bool, err error) {
	if !opts.Enabled {
		return deflateParams{}, "", false, nil
	}
	exts, err := parseExtensions(offers)
	if err != nil {
		return deflateParams{}, "", false, err
	}
	for _, e := range exts {
		if !strings.EqualFold(e.name, deflateExtension) {
			continue
		}
		o, err := parseDeflateParams(e.params, true)
		if err != nil {
			continue // declined: RFC 7692 section 5
		}
		p, response = acceptOffer(o, opts)
		return p, response, true, nil
	}
	return deflateParams{}, "", false, nil
}

// deflateOffer returns the client's Sec-WebSocket-Extensions value, or "" when
// compression is disabled. The client always offers client_max_window_bits:
// it can honour any window the server imposes (see compressor).
func deflateOffer(opts CompressionOptions) string {
	if !opts.Enabled {
		return ""
	}
	var b strings.Builder
	b.WriteString(deflateExtension)
	if opts.ServerNoContextTakeover {
		b.WriteString("; server_no_context_takeover")
	}
	if opts.ClientNoContextTakeover {
		b.WriteString("; client_no_context_takeover")
	}
	if w := deflateWindowBits(opts.ServerMaxWindowBits); w < deflateMaxWindow {
		b.WriteString("; server_max_window_bits=")
		b.WriteString(strconv.Itoa(w))
	}
	b.WriteString("; client_max_window_bits")
	if w := deflateWindowBits(opts.ClientMaxWindowBits); w < deflateMaxWindow {
		b.WriteString("=")
		b.WriteString(strconv.Itoa(w))
	}
	return b.String()
}

// acceptDeflateResponse is the client side verification of the server's
// Sec-WebSocket-Extensions header values (RFC 6455 section 4.1, RFC 7692
// sections 5 and 7.1). It returns enabled=false and no error when the server
// accepted no extension. It fails (error wrapping errBadExtension; the client
// must fail the connection) when the response names an extension the client
// did not offer, more than one extension, an unknown, duplicated or invalid
// parameter, or a window larger than the client offered.
func acceptDeflateResponse(header []string, opts CompressionOptions) (deflateParams, bool, error) {
	exts, err := parseExtensions(header)
	if err != nil {
		return deflateParams{}, false, err
	}
	if len(exts) == 0 {
		return deflateParams{}, false, nil
	}
	if !opts.Enabled || len(exts) > 1 || !strings.EqualFold(exts[0].name, deflateExtension) {
		return deflateParams{}, false, fmt.Errorf("%w: server accepted an extension that was not offered: %q", errBadExtension, strings.Join(header, ", "))
	}
	r, err := parseDeflateParams(exts[0].params, false)
	if err != nil {
		return deflateParams{}, false, err
	}
	offeredServer := deflateWindowBits(opts.ServerMaxWindowBits)
	offeredClient := deflateWindowBits(opts.ClientMaxWindowBits)
	if r.serverBits > offeredServer {
		return deflateParams{}, false, fmt.Errorf("%w: server_max_window_bits=%d larger than offered %d", errBadExtension, r.serverBits, offeredServer)
	}
	if r.clientBits > offeredClient {
		return deflateParams{}, false, fmt.Errorf("%w: client_max_window_bits=%d larger than offered %d", errBadExtension, r.clientBits, offeredClient)
	}
	p := deflateParams{
		serverNoContextTakeover: r.serverNoContext,
		clientNoContextTakeover: r.clientNoContext || opts.ClientNoContextTakeover,
		serverMaxWindowBits:     deflateMaxWindow,
		clientMaxWindowBits:     offeredClient,
	}
	if r.serverBits != 0 {
		p.serverMaxWindowBits = r.serverBits
	}
	if r.clientBits != 0 {
		p.clientMaxWindowBits = r.clientBits
	}
	return p, true, nil
}

// deflateOfferParams holds the parameters of one offer or response as written.
// A zero window means the parameter is absent or has no value;
// clientBitsPresent records a client_max_window_bits with or without a value
// (without one only in an offer).
type deflateOfferParams struct {
	serverNoContext, clientNoContext bool
	serverBits, clientBits           int
	clientBitsPresent                bool
}

// parseDeflateParams checks the parameters of one permessage-deflate element.
// offer selects the offer rules (client_max_window_bits may have no value)
// rather than the response rules.
func parseDeflateParams(params []extParam, offer bool) (deflateOfferParams, error) {
	var o deflateOfferParams
	var seen [4]bool
	for _, prm := range params {
		var i int
		switch strings.ToLower(prm.name) {
		case "server_no_context_takeover":
			i = 0
			o.serverNoContext = true
		case "client_no_context_takeover":
			i = 1
			o.clientNoContext = true
		case "server_max_window_bits":
			i = 2
			w, ok := parseWindowBits(prm.value)
			if !prm.hasValue || !ok {
				return o, fmt.Errorf("%w: server_max_window_bits=%q", errBadExtension, prm.value)
			}
			o.serverBits = w
		case "client_max_window_bits":
			i = 3
			o.clientBitsPresent = true
			if prm.hasValue || !offer {
				w, ok := parseWindowBits(prm.value)
				if !prm.hasValue || !ok {
					return o, fmt.Errorf("%w: client_max_window_bits=%q", errBadExtension, prm.value)
				}
				o.clientBits = w
			}
		default:
			return o, fmt.Errorf("%w: unknown permessage-deflate parameter %q", errBadExtension, prm.name)
		}
		if seen[i] {
			return o, fmt.Errorf("%w: duplicate parameter %q", errBadExtension, prm.name)
		}
		seen[i] = true
		if i < 2 && prm.hasValue {
			return o, fmt.Errorf("%w: %s takes no value", errBadExtension, prm.name)
		}
	}
	return o, nil
}

// parseWindowBits accepts exactly "8" .. "15" (RFC 7692 7.1.2: 1*DIGIT with
// no leading zero, in range).
func parseWindowBits(s string) (int, bool) {
	if len(s) == 0 || len(s) > 2 || s[0] == '0' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n >= deflateMinWindow && n <= deflateMaxWindow
}

// acceptOffer builds the server's answer to an acceptable offer o.
func acceptOffer(o deflateOfferParams, opts CompressionOptions) (deflateParams, string) {
	p := deflateParams{
		serverNoContextTakeover: o.serverNoContext || opts.ServerNoContextTakeover,
		// Echoing client_no_context_takeover when offered lets us keep no
		// inbound history at all.
		clientNoContextTakeover: o.clientNoContext || opts.ClientNoContextTakeover,
		serverMaxWindowBits:     deflateWindowBits(opts.ServerMaxWindowBits),
		clientMaxWindowBits:     deflateMaxWindow,
	}
	if o.serverBits != 0 && o.serverBits < p.serverMaxWindowBits {
		p.serverMaxWindowBits = o.serverBits
	}
	var b strings.Builder
	b.WriteString(deflateExtension)
	if p.serverNoContextTakeover {
		b.WriteString("; server_no_context_takeover")
	}
	if p.clientNoContextTakeover {
		b.WriteString("; client_no_context_takeover")
	}
	if o.serverBits != 0 || p.serverMaxWindowBits < deflateMaxWindow {
		b.WriteString("; server_max_window_bits=")
		b.WriteString(strconv.Itoa(p.serverMaxWindowBits))
	}
	// client_max_window_bits may appear in the response only when offered.
	// Without it we cannot limit the client, and accept anyway: our inflater
	// reads any window.
	if o.clientBitsPresent {
		want := deflateWindowBits(opts.ClientMaxWindowBits)
		if o.clientBits != 0 && o.clientBits < want {
			want = o.clientBits
		}
		if want < deflateMaxWindow || o.clientBits != 0 {
			p.clientMaxWindowBits = want
			b.WriteString("; client_max_window_bits=")
			b.WriteString(strconv.Itoa(want))
		}
	}
	return p, b.String()
}

// extElement is one element of a Sec-WebSocket-Extensions list.
type extElement struct {
	name   string
	params []extParam
}

type extParam struct {
	name, value string
	hasValue    bool
}

// maxExtElements bounds the elements parsed from one request, so a huge
// header cannot make the parser allocate without bound (the request head is
// bounded too).
const maxExtElements = 64

// parseExtensions parses header values with the grammar of RFC 6455 section
// 9.1: extension-list = 1#extension; extension = token *( ";" param );
// param = token [ "=" (token / quoted-string) ]. Empty list elements are
// skipped (RFC 9110 section 5.6.1); a quoted value must unescape to a token.
func parseExtensions(values []string) ([]extElement, error) {
	var exts []extElement
	for _, v := range values {
		s := v
		for {
			s = extSkipOWS(s)
			if s == "" {
				break
			}
			if s[0] == ',' {
				s = s[1:]
				continue
			}
			if len(exts) == maxExtElements {
				return nil, fmt.Errorf("%w: more than %d extensions", errBadExtension, maxExtElements)
			}
			var e extElement
			var ok bool
			if e.name, s, ok = extCutToken(s); !ok {
				return nil, fmt.Errorf("%w: %q: expected an extension name", errBadExtension, v)
			}
			for {
				s = extSkipOWS(s)
				if s == "" || s[0] == ',' {
					break
				}
				if s[0] != ';' {
					return nil, fmt.Errorf("%w: %q: expected ';' or ','", errBadExtension, v)
				}
				s = extSkipOWS(s[1:])
				var prm extParam
				if prm.name, s, ok = extCutToken(s); !ok {
					return nil, fmt.Errorf("%w: %q: expected a parameter name", errBadExtension, v)
				}
				s = extSkipOWS(s)
				if s != "" && s[0] == '=' {
					prm.hasValue = true
					s = extSkipOWS(s[1:])
					if s != "" && s[0] == '"' {
						prm.value, s, ok = extCutQuoted(s)
						if ok && !extIsToken(prm.value) {
							ok = false
						}
					} else {
						prm.value, s, ok = extCutToken(s)
					}
					if !ok {
						return nil, fmt.Errorf("%w: %q: bad value of %s", errBadExtension, v, prm.name)
					}
				}
				if len(e.params) == maxExtElements {
					return nil, fmt.Errorf("%w: more than %d parameters", errBadExtension, maxExtElements)
				}
				e.params = append(e.params, prm)
			}
			exts = append(exts, e)
		}
	}
	return exts, nil
}

func extSkipOWS(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

// extCutToken splits a leading RFC 9110 token off s.
func extCutToken(s string) (tok, rest string, ok bool) {
	i := 0
	for i < len(s) && extTokenChar(s[i]) {
		i++
	}
	return s[:i], s[i:], i > 0
}

// extCutQuoted splits a leading quoted-string off s and returns it unescaped.
func extCutQuoted(s string) (val, rest string, ok bool) {
	var b []byte
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return string(b), s[i+1:], true
		case c == '\\':
			i++
			if i == len(s) {
				return "", "", false
			}
			b = append(b, s[i])
		case c == '\t' || (c >= 0x20 && c != 0x7f):
			b = append(b, c)
		default:
			return "", "", false
		}
	}
	return "", "", false
}

func extIsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !extTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// extTokenChar reports whether c is an RFC 9110 tchar.
func extTokenChar(c byte) bool {
	if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// compressor compresses the messages of one direction of one connection.
// It is not safe for concurrent use: the Conn calls it under its write lock,
// in the order the messages go on the wire.
type compressor struct {
	level     int
	threshold int
	// windowBits is the window the peer allows us (its max_window_bits for
	// our direction). Go's flate always uses a 32 KiB window, so below 15 we
	// compress each message on its own and only when it is at most
	// 1<<windowBits bytes long: no back-reference can then reach further.
	windowBits int
	// noContext is true when every message is compressed on its own: the
	// peer asked for no_context_takeover, or windowBits < 15. The flate
	// writer then comes from a pool for the duration of one message.
	noContext bool
	// pw is the writer of context takeover, taken from the pool by the first
	// compressed message (an idle connection that never compresses holds
	// none) and kept until release.
	pw *pooledDeflater
}

// newCompressor returns the compressor of the messages this endpoint sends.
// server tells our role; opts supply Level and Threshold.
func newCompressor(p deflateParams, server bool, opts CompressionOptions) *compressor {
	opts = opts.withDefaults()
	c := &compressor{level: opts.Level, threshold: opts.Threshold}
	if c.level < flate.HuffmanOnly || c.level > flate.BestCompression {
		c.level = DefaultCompressionLevel
	}
	if server {
		c.windowBits, c.noContext = p.serverMaxWindowBits, p.serverNoContextTakeover
	} else {
		c.windowBits, c.noContext = p.clientMaxWindowBits, p.clientNoContextTakeover
	}
	if c.windowBits < deflateMinWindow || c.windowBits > deflateMaxWindow {
		c.windowBits = deflateMaxWindow
	}
	if c.windowBits < deflateMaxWindow {
		c.noContext = true
	}
	return c
}

// fits reports whether an n-byte message may be compressed: not under the
// threshold and, with a window below 15 bits, not longer than the window.
func (c *compressor) fits(n int) bool {
	return n >= c.threshold && (c.windowBits == deflateMaxWindow || n <= 1<<c.windowBits)
}

// compress appends the RFC 7692 payload of message src to dst (without the
// trailing 00 00 ff ff) and returns it with compressed=true: the caller sends
// it with RSV1 set. compressed=false means the message goes uncompressed
// (RSV1 unset, payload src) and dst is returned unchanged: src is shorter
// than the threshold, longer than the window allows, or (when messages are
// compressed independently) would not shrink. dst may be nil; src is not
// retained.
func (c *compressor) compress(dst, src []byte) (out []byte, compressed bool, err error) {
	if !c.fits(len(src)) {
		return dst, false, nil
	}
	if c.noContext {
		out, ok, err := deflateStandalone(dst, src, c.level)
		if err != nil || !ok {
			return dst, false, err
		}
		return out, true, nil
	}
	if c.pw == nil {
		if c.pw, err = getDeflater(c.level); err != nil {
			return dst, false, err
		}
	}
	c.pw.sink.b = dst
	_, err = c.pw.fw.Write(src)
	if err == nil {
		err = c.pw.fw.Flush()
	}
	out, c.pw.sink.b = c.pw.sink.b, nil
	if err != nil {
		return dst, false, fmt.Errorf("protocol: deflate: %w", err)
	}
	if !bytes.HasSuffix(out[len(dst):], deflateTail) {
		return dst, false, errors.New("protocol: deflate: flush without sync marker")
	}
	return out[:len(out)-len(deflateTail)], true, nil
}

// usePrepared reports whether the caller may send, as the next message on
// this connection, a standalone payload made by compressOnce from an n-byte
// message (for broadcast). With context takeover it releases the context,
// since the peer's window will then hold bytes our writer never saw: so call
// it only when the payload is then sent.
func (c *compressor) usePrepared(n int) bool {
	if !c.fits(n) {
		return false
	}
	c.release()
	return true
}

// release drops the context-takeover writer (about 0.8-1.2 MiB) back to the
// shared pool; the next compressed message starts a fresh context. That is
// always legal: the peer keeps its window, and a fresh writer never refers
// to it. Call it when the connection closes, or after it has been quiet for
// a while, to trade the next message's ratio for memory.
func (c *compressor) release() {
	if c.pw != nil {
		putDeflater(c.level, c.pw)
		c.pw = nil
	}
}

// compressOnce returns the standalone RFC 7692 payload of message src at
// level: it refers to no earlier message, so any receiver can inflate it,
// with or without context takeover, provided len(src) fits the window it
// imposed (check with compressor.usePrepared). ok is false when compression
// would not make the message smaller (send it uncompressed). The result is
// newly allocated and safe to share between connections.
func compressOnce(src []byte, level int) ([]byte, bool) {
	if level < flate.HuffmanOnly || level > flate.BestCompression || level == 0 {
		level = DefaultCompressionLevel
	}
	out, ok, err := deflateStandalone(nil, src, level)
	if err != nil || !ok {
		return nil, false
	}
	return out, true
}

// deflaterPools holds idle pooledWriters per level (HuffmanOnly..BestCompression).
var deflaterPools [flate.BestCompression - flate.HuffmanOnly + 1]sync.Pool

// pooledDeflater is a flate writer bound to its own sink, so that taking it
// from the pool needs one Reset (which clears ~640 KiB of hash tables at
// levels 2..9) and putting it back none.
type pooledDeflater struct {
	fw   *flate.Writer
	sink deflateSink
}

// getDeflater returns a pooled writer at level, reset to a fresh context.
func getDeflater(level int) (*pooledDeflater, error) {
	pw, _ := deflaterPools[level-flate.HuffmanOnly].Get().(*pooledDeflater)
	if pw == nil {
		pw = new(pooledDeflater)
		fw, err := flate.NewWriter(&pw.sink, level)
		if err != nil {
			return nil, fmt.Errorf("protocol: deflate: %w", err)
		}
		pw.fw = fw
	} else {
		pw.fw.Reset(&pw.sink)
	}
	return pw, nil
}

// putDeflater gives pw back to the pool of level.
func putDeflater(level int, pw *pooledDeflater) {
	pw.sink.b = nil // the pool must not keep a caller's buffer
	deflaterPools[level-flate.HuffmanOnly].Put(pw)
}

// deflateStandalone compresses src on its own with a pooled writer and
// appends the payload (without the sync tail) to dst. ok is false when the
// payload would not be shorter than src; dst is then returned unchanged.
func deflateStandalone(dst, src []byte, level int) ([]byte, bool, error) {
	pw, err := getDeflater(level)
	if err != nil {
		return dst, false, err
	}
	pw.sink.b = dst
	_, err = pw.fw.Write(src)
	if err == nil {
		err = pw.fw.Flush()
	}
	out := pw.sink.b
	putDeflater(level, pw)
	if err != nil {
		return dst, false, fmt.Errorf("protocol: deflate: %w", err)
	}
	if !bytes.HasSuffix(out[len(dst):], deflateTail) {
		return dst, false, errors.New("protocol: deflate: flush without sync marker")
	}
	out = out[:len(out)-len(deflateTail)]
	if len(out)-len(dst) >= len(src) {
		return dst, false, nil
	}
	return out, true, nil
}

// deflateSink is an io.Writer appending to b.
type deflateSink struct{ b []byte }

func (w *deflateSink) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// decompressor inflates the compressed messages of one direction of one
// connection. It is not safe for concurrent use (the reading goroutine owns
// it).
//
// The flate reader itself is pooled and taken for one message only; with
// context takeover the connection keeps just the last 1<<windowBits bytes of
// output (the peer's window), given back to the reader as its dictionary
// for the next message. An idle connection therefore holds at most that
// history, and nothing at all without context takeover.
type decompressor struct {
	windowBits int
	noContext  bool
	hist       []byte // last output bytes, at most 1<<windowBits (context takeover)
	src        inflateSource
	probe      [1]byte
}

// newDecompressor returns the decompressor of the messages this endpoint
// receives. server tells our role.
func newDecompressor(p deflateParams, server bool) *decompressor {
	d := &decompressor{}
	if server {
		d.windowBits, d.noContext = p.clientMaxWindowBits, p.clientNoContextTakeover
	} else {
		d.windowBits, d.noContext = p.serverMaxWindowBits, p.serverNoContextTakeover
	}
	if d.windowBits < deflateMinWindow || d.windowBits > deflateMaxWindow {
		d.windowBits = deflateMaxWindow
	}
	// zlib cannot compress raw deflate with an 8-bit window; zlib-based peers
	// (Chromium among them) quietly use 9 bits when 8 was agreed. Keeping
	// 512 bytes of history costs nothing and reads them.
	if d.windowBits < 9 {
		d.windowBits = 9
	}
	return d
}

var inflaterPool sync.Pool // of io.ReadCloser implementing flate.Resetter

// minInflateGrow is the first growth step of the output buffer.
const minInflateGrow = 512

// decompress inflates the payload src of one compressed message (all its
// fragments joined, RFC 7692 7.2.2) and appends the result to dst. limit
// bounds the bytes appended (limit < 0: no bound): as soon as the output
// would pass it, decompress returns ErrMessageTooLarge, having allocated
// no more than about len(dst)+limit bytes. A malformed stream returns an
// error wrapping ErrInvalidCompressedData. After an error the decompressor's
// context is unspecified: the connection must be failed. src is not retained.
func (d *decompressor) decompress(dst, src []byte, limit int64) ([]byte, error) {
	if len(src) == 0 {
		// Not a DEFLATE stream at all, but unambiguous: an empty message.
		return dst, nil
	}
	d.src = inflateSource{p: src, tail: inflateTail}
	var dict []byte
	if !d.noContext {
		dict = d.hist
	}
	fr, _ := inflaterPool.Get().(io.ReadCloser)
	if fr == nil {
		fr = flate.NewReaderDict(&d.src, dict)
	} else if err := fr.(flate.Resetter).Reset(&d.src, dict); err != nil {
		return dst, fmt.Errorf("protocol: inflate: %w", err)
	}
	base := len(dst)
	out, err := d.inflate(fr, dst, limit)
	// Drop the references to src and the history before pooling.
	_ = fr.(flate.Resetter).Reset(&inflateEOF{}, nil)
	inflaterPool.Put(fr)
	d.src = inflateSource{}
	if err != nil {
		return out, err
	}
	// Bytes after a final block are ignored, as zlib does: RFC 7692 7.2.3.4
	// shows such a payload (a final block then a 0x00 byte).
	if !d.noContext {
		d.remember(out[base:])
	}
	return out, nil
}

// inflate reads fr to its end into dst, bounded by limit.
func (d *decompressor) inflate(fr io.Reader, dst []byte, limit int64) ([]byte, error) {
	base := len(dst)
	for zeros := 0; ; {
		if limit >= 0 && int64(len(dst)-base) >= limit {
			// Full to the limit: one more byte means too large.
			n, err := io.ReadFull(fr, d.probe[:])
			if n > 0 {
				return dst, ErrMessageTooLarge
			}
			if err == io.EOF {
				return dst, nil
			}
			return dst, inflateError(err)
		}
		if len(dst) == cap(dst) {
			dst = growBounded(dst, base, limit)
		}
		end := cap(dst)
		if limit >= 0 && int64(end-base) > limit {
			end = base + int(limit) // a caller's buffer may be larger
		}
		n, err := fr.Read(dst[len(dst):end])
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, inflateError(err)
		}
		if n == 0 {
			if zeros++; zeros > 100 {
				return dst, inflateError(io.ErrNoProgress)
			}
		} else {
			zeros = 0
		}
	}
}

func inflateError(err error) error {
	return fmt.Errorf("%w: %w", ErrInvalidCompressedData, err)
}

// growBounded returns dst with more spare capacity, doubling, but never
// beyond base+limit bytes in all (limit >= 0).
func growBounded(dst []byte, base int, limit int64) []byte {
	want := 2 * cap(dst)
	if want < len(dst)+minInflateGrow {
		want = len(dst) + minInflateGrow
	}
	if limit >= 0 && int64(want-base) > limit {
		want = base + int(limit)
	}
	nb := make([]byte, len(dst), want)
	copy(nb, dst)
	return nb
}

// remember keeps the last 1<<windowBits bytes of the output history.
func (d *decompressor) remember(out []byte) {
	size := 1 << d.windowBits
	if len(out) >= size {
		if cap(d.hist) < size {
			d.hist = make([]byte, 0, size)
		}
		d.hist = append(d.hist[:0], out[len(out)-size:]...)
		return
	}
	if keep := size - len(out); len(d.hist) > keep {
		n := copy(d.hist, d.hist[len(d.hist)-keep:])
		d.hist = d.hist[:n]
	}
	if cap(d.hist) < len(d.hist)+len(out) {
		nh := make([]byte, len(d.hist), size)
		copy(nh, d.hist)
		d.hist = nh
	}
	d.hist = append(d.hist, out...)
}

// inflateSource reads p then tail, as a flate.Reader (io.ByteReader, so the
// flate reader does not buffer ahead and off tells exactly what it consumed).
type inflateSource struct {
	p, tail []byte
	off     int // bytes consumed from p then tail
}

func (r *inflateSource) Read(b []byte) (int, error) {
	if r.off >= len(r.p)+len(r.tail) {
		return 0, io.EOF
	}
	var n int
	if r.off < len(r.p) {
		n = copy(b, r.p[r.off:])
	} else {
		n = copy(b, r.tail[r.off-len(r.p):])
	}
	r.off += n
	return n, nil
}

func (r *inflateSource) ReadByte() (byte, error) {
	var c byte
	switch {
	case r.off < len(r.p):
		c = r.p[r.off]
	case r.off < len(r.p)+len(r.tail):
		c = r.tail[r.off-len(r.p)]
	default:
		return 0, io.EOF
	}
	r.off++
	return c, nil
}

// inflateEOF is an empty flate.Reader, parked in pooled flate readers.
type inflateEOF struct{}

func (*inflateEOF) Read([]byte) (int, error) { return 0, io.EOF }
func (*inflateEOF) ReadByte() (byte, error)  { return 0, io.EOF }
