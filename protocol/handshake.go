package protocol

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
)

// Limits on a request head read by ReadRequest.
const (
	// MaxRequestHeadBytes bounds the request line plus header lines.
	MaxRequestHeadBytes = 8 << 10
	// MaxRequestHeaderLines bounds the number of header lines.
	MaxRequestHeaderLines = 100
)

// websocketGUID is the fixed GUID of RFC 6455 section 1.3.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// HandshakeError is a refused opening handshake. Status is the HTTP status to
// answer (4xx), Reason a one-line explanation sent as the body, Header extra
// response headers (e.g. Sec-WebSocket-Version on a 426).
type HandshakeError struct {
	Status int
	Reason string
	Header http.Header
}

// Error implements error.
func (e *HandshakeError) Error() string {
	return "protocol: handshake refused: " + strconv.Itoa(e.Status) + " " + e.Reason
}

func handshakeErr(status int, reason string) *HandshakeError {
	return &HandshakeError{Status: status, Reason: reason}
}

// Handshake is the outcome of a successful Negotiate: what Upgrade needs to
// write the 101 response and configure the Conn.
type Handshake struct {
	// Key is the client's Sec-WebSocket-Key.
	Key string
	// Subprotocol is the selected subprotocol, "" when none.
	Subprotocol string
	// Extensions is the Sec-WebSocket-Extensions response value, "" when none.
	Extensions string

	deflate       bool
	deflateParams deflateParams
}

// Compressed reports whether permessage-deflate was negotiated.
func (h Handshake) Compressed() bool { return h.deflate }

// ReadRequest reads one HTTP/1.x request head from br: the request line and
// header lines up to the empty line, at most MaxRequestHeadBytes and
// MaxRequestHeaderLines. It does not read a body: a request announcing one is
// refused (an upgrade request has none), so every byte after the head stays
// in br (the first WebSocket frames). Malformed input returns a
// *HandshakeError (400, or 431 when too large); a read error is returned
// wrapped. The caller bounds the time with a read deadline on the connection.
func ReadRequest(br *bufio.Reader) (*http.Request, error) {
	var total, lines int
	readLine := func() ([]byte, error) {
		var acc []byte
		for {
			frag, err := br.ReadSlice('\n')
			total += len(frag)
			if total > MaxRequestHeadBytes {
				return nil, handshakeErr(http.StatusRequestHeaderFieldsTooLarge, "request head too large")
			}
			if err == nil {
				if acc != nil {
					frag = append(acc, frag...)
				}
				return trimEOL(frag), nil
			}
			if err == bufio.ErrBufferFull {
				acc = append(acc, frag...)
				continue
			}
			if err == io.EOF {
				if total == 0 {
					return nil, io.EOF
				}
				return nil, fmt.Errorf("protocol: reading request head: %w", io.ErrUnexpectedEOF)
			}
			return nil, fmt.Errorf("protocol: reading request head: %w", err)
		}
	}
	line, err := readLine()
	if err != nil {
		return nil, err
	}
	method, rest, ok1 := strings.Cut(string(line), " ")
	target, proto, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || method == "" || target == "" || !isToken(method) {
		return nil, handshakeErr(http.StatusBadRequest, "malformed request line")
	}
	major, minor, ok := http.ParseHTTPVersion(proto)
	if !ok || major != 1 {
		return nil, handshakeErr(http.StatusBadRequest, "unsupported HTTP version")
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, handshakeErr(http.StatusBadRequest, "malformed request target")
	}
	r := &http.Request{
		Method:     method,
		URL:        u,
		Proto:      proto,
		ProtoMajor: major,
		ProtoMinor: minor,
		Header:     make(http.Header),
		RequestURI: target,
		Body:       http.NoBody,
	}
	for {
		line, err := readLine()
		if err != nil {
			if err == io.EOF {
				err = fmt.Errorf("protocol: reading request head: %w", io.ErrUnexpectedEOF)
			}
			return nil, err
		}
		if len(line) == 0 {
			break
		}
		lines++
		if lines > MaxRequestHeaderLines {
			return nil, handshakeErr(http.StatusRequestHeaderFieldsTooLarge, "too many header lines")
		}
		if line[0] == ' ' || line[0] == '\t' {
			return nil, handshakeErr(http.StatusBadRequest, "obsolete header line folding")
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok || len(name) == 0 || !isToken(string(name)) {
			return nil, handshakeErr(http.StatusBadRequest, "malformed header line")
		}
		value = bytes.Trim(value, " \t")
		if !validHeaderValue(value) {
			return nil, handshakeErr(http.StatusBadRequest, "invalid header value")
		}
		key := textproto.CanonicalMIMEHeaderKey(string(name))
		r.Header[key] = append(r.Header[key], string(value))
	}
	if hosts := r.Header["Host"]; len(hosts) > 1 {
		return nil, handshakeErr(http.StatusBadRequest, "multiple Host headers")
	} else if len(hosts) == 1 {
		r.Host = hosts[0]
		delete(r.Header, "Host")
	}
	if u.Host != "" {
		r.Host = u.Host
	}
	if te := r.Header.Get("Transfer-Encoding"); te != "" {
		return nil, handshakeErr(http.StatusBadRequest, "request with a body")
	}
	if cl := r.Header.Get("Content-Length"); cl != "" && cl != "0" {
		return nil, handshakeErr(http.StatusBadRequest, "request with a body")
	}
	return r, nil
}

func trimEOL(b []byte) []byte {
	b = b[:len(b)-1]
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// isToken reports whether s is a non-empty RFC 7230 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenByte(s[i]) {
			return false
		}
	}
	return true
}

func isTokenByte(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// validHeaderValue rejects control characters other than HTAB.
func validHeaderValue(v []byte) bool {
	for _, c := range v {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// headerTokens returns the comma-separated elements of every value of
// header name, trimmed, empty ones dropped.
func headerTokens(h http.Header, name string) []string {
	var out []string
	for _, v := range h[textproto.CanonicalMIMEHeaderKey(name)] {
		for _, t := range strings.Split(v, ",") {
			if t = strings.Trim(t, " \t"); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// hasToken reports whether header name holds token (case-insensitive) in
// one of its comma lists.
func hasToken(h http.Header, name, token string) bool {
	for _, t := range headerTokens(h, name) {
		if strings.EqualFold(t, token) {
			return true
		}
	}
	return false
}

// acceptKey computes Sec-WebSocket-Accept for key (RFC 6455 4.2.2).
func acceptKey(key string) string {
	h := sha1.New()
	h.Write([]byte(key))
	h.Write([]byte(websocketGUID))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// Negotiate validates r as a WebSocket opening handshake (RFC 6455 4.2.1)
// and chooses the response parameters, without writing anything. It is pure
// and safe for concurrent use. Errors are *HandshakeError:
//   - 405 (Allow: GET) for another method; 400 for HTTP older than 1.1 or a
//     missing Host;
//   - 426 (Upgrade: websocket) without an Upgrade: websocket token; 400
//     without a Connection: upgrade token;
//   - 426 (Sec-WebSocket-Version: 13) for a missing or other version;
//   - 400 for a Sec-WebSocket-Key that is not base64 of 16 bytes;
//   - 403 when CheckOrigin returns false;
//   - 400 for a malformed Sec-WebSocket-Extensions offer.
//
// The subprotocol is the server's first preference the client offered ("" if
// none matches, and no header is sent).
func (u *Upgrader) Negotiate(r *http.Request) (Handshake, error) {
	var hs Handshake
	if r.Method != http.MethodGet {
		e := handshakeErr(http.StatusMethodNotAllowed, "method must be GET")
		e.Header = http.Header{"Allow": {"GET"}}
		return hs, e
	}
	if !r.ProtoAtLeast(1, 1) {
		return hs, handshakeErr(http.StatusBadRequest, "HTTP/1.1 or later required")
	}
	if r.Host == "" {
		return hs, handshakeErr(http.StatusBadRequest, "missing Host header")
	}
	if !hasToken(r.Header, "Upgrade", "websocket") {
		e := handshakeErr(http.StatusUpgradeRequired, "missing Upgrade: websocket")
		e.Header = http.Header{"Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"}}
		return hs, e
	}
	if !hasToken(r.Header, "Connection", "upgrade") {
		return hs, handshakeErr(http.StatusBadRequest, "missing Connection: upgrade")
	}
	if v := r.Header.Values("Sec-Websocket-Version"); len(v) != 1 || strings.TrimSpace(v[0]) != "13" {
		e := handshakeErr(http.StatusUpgradeRequired, "unsupported Sec-WebSocket-Version")
		e.Header = http.Header{"Sec-Websocket-Version": {"13"}}
		return hs, e
	}
	keys := r.Header.Values("Sec-Websocket-Key")
	if len(keys) != 1 {
		return hs, handshakeErr(http.StatusBadRequest, "missing or repeated Sec-WebSocket-Key")
	}
	key := strings.TrimSpace(keys[0])
	if raw, err := base64.StdEncoding.DecodeString(key); err != nil || len(raw) != 16 {
		return hs, handshakeErr(http.StatusBadRequest, "Sec-WebSocket-Key is not 16 bytes of base64")
	}
	hs.Key = key
	if u.CheckOrigin != nil && !u.CheckOrigin(r) {
		return hs, handshakeErr(http.StatusForbidden, "origin not allowed")
	}
	if len(u.Subprotocols) > 0 {
		offered := headerTokens(r.Header, "Sec-Websocket-Protocol")
	pick:
		for _, want := range u.Subprotocols {
			for _, o := range offered {
				if o == want {
					hs.Subprotocol = want
					break pick
				}
			}
		}
	}
	if u.Compression.Enabled {
		offers := r.Header.Values("Sec-Websocket-Extensions")
		if len(offers) > 0 {
			copts := u.Compression.withDefaults()
			p, resp, ok, err := negotiateDeflate(offers, copts)
			if err != nil {
				return hs, handshakeErr(http.StatusBadRequest, "malformed Sec-WebSocket-Extensions")
			}
			if ok {
				hs.deflate = true
				hs.deflateParams = p
				hs.Extensions = resp
			}
		}
	}
	return hs, nil
}

// WriteReject writes the HTTP response for a refused handshake: the status
// line, err.Header, Content-Type: text/plain, Connection: close, and the
// reason as a one-line body. The caller closes the connection afterwards.
func WriteReject(w io.Writer, err *HandshakeError) error {
	var b strings.Builder
	status := err.Status
	if status < 400 || status > 599 {
		status = http.StatusBadRequest
	}
	reason := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, err.Reason)
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	for k, vs := range err.Header {
		for _, v := range vs {
			if isToken(k) && validHeaderValue([]byte(v)) {
				fmt.Fprintf(&b, "%s: %s\r\n", k, v)
			}
		}
	}
	fmt.Fprintf(&b, "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s\n", len(reason)+1, reason)
	_, werr := io.WriteString(w, b.String())
	if werr != nil {
		return fmt.Errorf("protocol: writing handshake rejection: %w", werr)
	}
	return nil
}

// errBadHeader: a header given to Upgrade or Dial cannot be written safely.
var errBadHeader = errors.New("protocol: invalid header name or value")

// appendHeader appends h as header lines, refusing names that are not
// tokens and values with control characters (no response splitting).
func appendHeader(dst []byte, h http.Header) ([]byte, error) {
	for k, vs := range h {
		if !isToken(k) {
			return dst, errBadHeader
		}
		for _, v := range vs {
			if !validHeaderValue([]byte(v)) {
				return dst, errBadHeader
			}
			dst = append(dst, k...)
			dst = append(dst, ": "...)
			dst = append(dst, v...)
			dst = append(dst, "\r\n"...)
		}
	}
	return dst, nil
}
