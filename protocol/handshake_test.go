package protocol

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const goodRequest = "GET /chat?x=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n" +
	"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n"

// RFC 6455 1.3: the example key and accept value.
func TestAcceptKeyRFCExample(t *testing.T) {
	if got := acceptKey("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("got %q", got)
	}
}

func negotiateRaw(u *Upgrader, raw string) (Handshake, error) {
	r, err := ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		return Handshake{}, err
	}
	return u.Negotiate(r)
}

func TestReadRequestKeepsTrailingBytes(t *testing.T) {
	br := bufio.NewReader(strings.NewReader(goodRequest + "\x81\x00rest"))
	r, err := ReadRequest(br)
	if err != nil {
		t.Fatal(err)
	}
	if r.Host != "server.example.com" || r.URL.Path != "/chat" || r.URL.RawQuery != "x=1" || r.Header.Get("Origin") != "http://example.com" {
		t.Fatalf("parsed %+v", r)
	}
	rest, _ := io.ReadAll(br)
	if string(rest) != "\x81\x00rest" {
		t.Fatalf("trailing bytes %q", rest)
	}
}

func TestNegotiate(t *testing.T) {
	replace := func(old, new string) string { return strings.Replace(goodRequest, old, new, 1) }
	cases := []struct {
		name   string
		u      Upgrader
		raw    string
		status int
		header string // a header the error response must carry
		sub    string
	}{
		{name: "ok", raw: goodRequest},
		{name: "subprotocol server preference", u: Upgrader{Subprotocols: []string{"superchat", "chat"}}, raw: goodRequest, sub: "superchat"},
		{name: "subprotocol none match", u: Upgrader{Subprotocols: []string{"mqtt"}}, raw: goodRequest},
		{name: "tokens in lists, any case", raw: replace("Upgrade: websocket", "Upgrade: h2c, WebSocket") + "", sub: ""},
		{name: "connection list", raw: replace("Connection: Upgrade", "Connection: keep-alive, UPGRADE")},
		{name: "POST", raw: replace("GET", "POST"), status: 405, header: "Allow"},
		{name: "HTTP/1.0", raw: replace("HTTP/1.1", "HTTP/1.0"), status: 400},
		{name: "no upgrade", raw: replace("Upgrade: websocket\r\n", ""), status: 426, header: "Upgrade"},
		{name: "upgrade other", raw: replace("Upgrade: websocket", "Upgrade: h2c"), status: 426},
		{name: "no connection upgrade", raw: replace("Connection: Upgrade", "Connection: keep-alive"), status: 400},
		{name: "version 8", raw: replace("Version: 13", "Version: 8"), status: 426, header: "Sec-Websocket-Version"},
		{name: "version missing", raw: replace("Sec-WebSocket-Version: 13\r\n", ""), status: 426, header: "Sec-Websocket-Version"},
		{name: "key short", raw: replace("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ=="), status: 400},
		{name: "key not base64", raw: replace("dGhlIHNhbXBsZSBub25jZQ==", "not base64 at all!!!!!!"), status: 400},
		{name: "key missing", raw: replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""), status: 400},
		{name: "key twice", raw: replace("Origin:", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin:"), status: 400},
		{name: "host missing", raw: replace("Host: server.example.com\r\n", ""), status: 400},
		{name: "origin refused", u: Upgrader{CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "https://ok" }}, raw: goodRequest, status: 403},
		{name: "bad request line", raw: "GET\r\n\r\n", status: 400},
		{name: "bad version token", raw: replace("HTTP/1.1", "HTTP/2.0"), status: 400},
		{name: "header without colon", raw: replace("Origin:", "Origin"), status: 400},
		{name: "header name with space", raw: replace("Origin:", "Ori gin:"), status: 400},
		{name: "control char in value", raw: replace("http://example.com", "http://exa\x01mple.com"), status: 400},
		{name: "folded header", raw: replace("Origin:", " folded\r\nOrigin:"), status: 400},
		{name: "body", raw: replace("Origin:", "Content-Length: 5\r\nOrigin:"), status: 400},
		{name: "chunked", raw: replace("Origin:", "Transfer-Encoding: chunked\r\nOrigin:"), status: 400},
		{name: "head too large", raw: replace("Origin:", "X-Big: "+strings.Repeat("a", MaxRequestHeadBytes)+"\r\nOrigin:"), status: 431},
		{name: "too many lines", raw: replace("Origin:", strings.Repeat("X-A: b\r\n", MaxRequestHeaderLines)+"Origin:"), status: 431},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hs, err := negotiateRaw(&c.u, c.raw)
			if c.status == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if hs.Key != "dGhlIHNhbXBsZSBub25jZQ==" || hs.Subprotocol != c.sub {
					t.Fatalf("handshake %+v", hs)
				}
				return
			}
			var he *HandshakeError
			if !errors.As(err, &he) {
				t.Fatalf("want HandshakeError %d, got %v", c.status, err)
			}
			if he.Status != c.status || he.Reason == "" || strings.ContainsAny(he.Reason, "\r\n") {
				t.Fatalf("got %d %q, want %d", he.Status, he.Reason, c.status)
			}
			if c.header != "" && he.Header.Get(c.header) == "" {
				t.Fatalf("missing response header %s", c.header)
			}
		})
	}
}

func TestReadRequestTruncated(t *testing.T) {
	for i := 0; i < len(goodRequest)-1; i++ {
		_, err := ReadRequest(bufio.NewReader(strings.NewReader(goodRequest[:i])))
		if err == nil {
			t.Fatalf("truncated at %d accepted", i)
		}
		var he *HandshakeError
		if i > 0 && !errors.As(err, &he) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("truncated at %d: %v", i, err)
		}
	}
}

func TestWriteReject(t *testing.T) {
	var b strings.Builder
	err := WriteReject(&b, &HandshakeError{Status: 426, Reason: "bad\r\nversion", Header: http.Header{"Sec-Websocket-Version": {"13"}}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(b.String())), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 426 || resp.Header.Get("Sec-WebSocket-Version") != "13" || !resp.Close || string(body) != "bad  version\n" {
		t.Fatalf("response %d %v %q", resp.StatusCode, resp.Header, body)
	}
}

// TestServerRejectsGarbageWithStatus: malformed requests on a raw socket get
// a 4xx response and the connection is closed (never a hang).
func TestServerRejectsGarbageWithStatus(t *testing.T) {
	url := testServer(t, &Upgrader{}, echo)
	for _, raw := range []string{"HELLO\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET / HTTP/1.1\r\nbad header\r\n\r\n"} {
		p := rawConnectRaw(t, url, raw)
		resp, err := http.ReadResponse(p.br, nil)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		if resp.StatusCode < 400 || resp.StatusCode > 499 {
			t.Fatalf("%q: status %d", raw, resp.StatusCode)
		}
		io.Copy(io.Discard, resp.Body)
		p.expectTCPClosed()
	}
}

func TestAcceptNetHTTP(t *testing.T) {
	u := &Upgrader{Subprotocols: []string{"v2", "v1"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := u.Accept(w, r, http.Header{"X-Extra": {"yes"}})
		if err != nil {
			return
		}
		echo(c)
	}))
	t.Cleanup(srv.Close)
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := Dial(ctx, url, &DialOptions{Subprotocols: []string{"v1", "v2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if c.Subprotocol() != "v2" || resp.Header.Get("X-Extra") != "yes" {
		t.Fatalf("subprotocol %q header %v", c.Subprotocol(), resp.Header)
	}
	if err := c.Write(MessageText, []byte("via net/http")); err != nil {
		t.Fatal(err)
	}
	if _, p, err := c.ReadMessage(); err != nil || string(p) != "via net/http" {
		t.Fatalf("%q %v", p, err)
	}
	// A plain GET is answered 426 by Accept.
	r, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("plain GET: %d", r.StatusCode)
	}
}

func TestDialRejectsBadResponses(t *testing.T) {
	cases := []struct {
		name  string
		extra string
		opts  *DialOptions
	}{
		{"wrong accept", "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n", nil},
		{"subprotocol not offered", "Sec-WebSocket-Protocol: chat\r\n", nil},
		{"subprotocol not in offer", "Sec-WebSocket-Protocol: chat\r\n", &DialOptions{Subprotocols: []string{"mqtt"}}},
		{"extension not offered", "Sec-WebSocket-Extensions: permessage-deflate\r\n", nil},
		{"unknown extension", "Sec-WebSocket-Extensions: x-custom\r\n", &DialOptions{Options: Options{Compression: CompressionOptions{Enabled: true}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url := rawServer(t, c.extra, func(p *rawPeer) {})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			conn, _, err := Dial(ctx, url, c.opts)
			if err == nil {
				conn.CloseNow()
				t.Fatal("Dial accepted the response")
			}
			if !errors.Is(err, ErrBadHandshake) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestDialRefusedStatus(t *testing.T) {
	u := &Upgrader{CheckOrigin: func(*http.Request) bool { return false }}
	url := testServer(t, u, echo)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, resp, err := Dial(ctx, url, nil)
	if !errors.Is(err, ErrBadHandshake) || resp == nil || resp.StatusCode != 403 {
		t.Fatalf("got %v %v", resp, err)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "origin") {
		t.Fatalf("body %q", body)
	}
}

func TestDialContextCancel(t *testing.T) {
	// A server that accepts TCP and never answers: Dial must return when
	// ctx ends.
	url := rawServerSilent(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err := Dial(ctx, url, nil)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
}

// TestFramesInHandshakePacket: frames sent in the same write as the request
// head are buffered by ReadRequest and must be the Conn's first frames.
func TestFramesInHandshakePacket(t *testing.T) {
	url := testServer(t, &Upgrader{}, echo)
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "ws://"), "/")
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + rawKey + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	peer := &rawPeer{t: t, client: true}
	raw := req + string(peer.frame(0x81, []byte("early"))) + string(peer.frame(0x82, []byte{1, 2}))
	p := rawConnectRaw(t, url, raw)
	resp, err := http.ReadResponse(p.br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("%v %v", resp, err)
	}
	p.expect(opT, []byte("early"))
	p.expect(opB, []byte{1, 2})
	p.closeNormally()
}

// TestDialWSS dials wss:// against a TLS net/http server using Accept.
func TestDialWSS(t *testing.T) {
	u := &Upgrader{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := u.Accept(w, r, nil); err == nil {
			echo(c)
		}
	}))
	t.Cleanup(srv.Close)
	tlsCfg := srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := Dial(ctx, "wss"+strings.TrimPrefix(srv.URL, "https"), &DialOptions{TLSConfig: tlsCfg})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	msg := strings.Repeat("tls ", 5000)
	if err := c.Write(MessageText, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	if _, p, err := c.ReadMessage(); err != nil || string(p) != msg {
		t.Fatalf("echo over TLS: %v", err)
	}
	if err := c.Close(StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ReadMessage(); CloseStatus(err) != StatusNormalClosure {
		t.Fatalf("close: %v", err)
	}
	waitDone(t, c)
}
