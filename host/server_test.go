package host

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socklet/socklet/protocol"
)

const probeRoute = `
[[route]]
path = "/probe"
plugin = "probe.wasm"
`

func TestEchoTextAndBinary(t *testing.T) {
	ts := startServer(t, probeRoute)
	c := ts.dial(t, "/probe", nil)
	for _, m := range []struct {
		typ protocol.MessageType
		p   string
	}{
		{protocol.MessageText, "hello"},
		{protocol.MessageBinary, "\x00\x01\xff"},
		{protocol.MessageText, ""},
		{protocol.MessageBinary, strings.Repeat("x", 1<<20)},
	} {
		if err := c.Write(m.typ, []byte(m.p)); err != nil {
			t.Fatal(err)
		}
		typ, p, err := readOne(t, c)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if typ != m.typ || p != m.p {
			t.Fatalf("echo of %d bytes type %d: got %d bytes type %d", len(m.p), m.typ, len(p), typ)
		}
	}
}

func TestPluginClosesWithItsCodeAndReason(t *testing.T) {
	ts := startServer(t, probeRoute)
	c := ts.dial(t, "/probe", nil)
	if err := c.Write(protocol.MessageText, []byte("close")); err != nil {
		t.Fatal(err)
	}
	_, _, err := readOne(t, c)
	var ce *protocol.CloseError
	if !errors.As(err, &ce) || ce.Code != 4000 || ce.Reason != "bye" {
		t.Fatalf("read after close: %v, want close 4000 bye", err)
	}
	// The plugin's on_close sees the code the client echoed.
	ts.logs.waitCount(t, "closed 4000", 1)
}

func TestPluginRejectsBeforeUpgrade(t *testing.T) {
	ts := startServer(t, probeRoute)
	status, resp := ts.rawRequest(t, upgradeRequest("/probe?reject"))
	if status != http.StatusForbidden {
		t.Fatalf("status %d, want 403:\n%s", status, resp)
	}
	// A refused connection was never accepted: no close event.
	time.Sleep(50 * time.Millisecond)
	if n := ts.logs.count("closed "); n != 0 {
		t.Fatalf("plugin saw %d close events for a refused connection", n)
	}
}

func TestRouting(t *testing.T) {
	ts := startServer(t, probeRoute+`
[[route]]
path = "/probe"
host = "tenant.example"
plugin = "chat.wasm"
`, func(o *Options) {
		o.Pages = map[string]Page{"/": {ContentType: "text/plain", Body: []byte("the page")}}
	})

	t.Run("unknown path is 404", func(t *testing.T) {
		status, resp := ts.rawRequest(t, upgradeRequest("/nope"))
		if status != http.StatusNotFound || !strings.Contains(resp, "no route for /nope") {
			t.Fatalf("status %d:\n%s", status, resp)
		}
	})
	t.Run("plain GET of a route is 426", func(t *testing.T) {
		status, resp := ts.rawRequest(t, "GET /probe HTTP/1.1\r\nHost: localhost\r\n\r\n")
		if status != http.StatusUpgradeRequired || !strings.Contains(resp, "Upgrade: websocket") {
			t.Fatalf("status %d:\n%s", status, resp)
		}
	})
	t.Run("page", func(t *testing.T) {
		status, resp := ts.rawRequest(t, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
		if status != http.StatusOK || !strings.HasSuffix(resp, "the page") {
			t.Fatalf("status %d:\n%s", status, resp)
		}
	})
	t.Run("host routes to its tenant", func(t *testing.T) {
		// The tenant's route is the chat plugin, which does not echo to the
		// sender: a probe echo proves the wrong route.
		h := http.Header{}
		h.Set("Host", "tenant.example:80")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, _, err := protocol.Dial(ctx, ts.url("/probe"), &protocol.DialOptions{Header: h})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		other := ts.dial(t, "/probe", &protocol.DialOptions{Header: h})
		_ = c.Write(protocol.MessageText, []byte("hi"))
		_, p, err := readOne(t, other)
		if err != nil || !strings.HasSuffix(p, ": hi") {
			t.Fatalf("tenant chat: got %q, %v", p, err)
		}
		// Any other host gets the probe, which echoes.
		d := ts.dial(t, "/probe", nil)
		_ = d.Write(protocol.MessageText, []byte("echo?"))
		if _, p, err := readOne(t, d); err != nil || p != "echo?" {
			t.Fatalf("default host: got %q, %v", p, err)
		}
	})
}

func TestOrigins(t *testing.T) {
	ts := startServer(t, probeRoute+`origins = ["https://app.example", "https://*.tenant.example"]`)
	for _, tc := range []struct {
		origin string
		want   int
	}{
		{"https://app.example", http.StatusSwitchingProtocols},
		{"https://APP.example", http.StatusSwitchingProtocols},
		{"https://a.tenant.example", http.StatusSwitchingProtocols},
		{"http://app.example", http.StatusForbidden},
		{"https://evil.example", http.StatusForbidden},
		{"https://tenant.example.evil", http.StatusForbidden},
		{"", http.StatusSwitchingProtocols}, // not a browser
	} {
		var extra []string
		if tc.origin != "" {
			extra = append(extra, "Origin: "+tc.origin)
		}
		status, resp := ts.rawRequest(t, upgradeRequest("/probe", extra...))
		if status != tc.want {
			t.Errorf("origin %q: status %d, want %d\n%s", tc.origin, status, tc.want, resp)
		}
	}
}

func TestSubprotocols(t *testing.T) {
	ts := startServer(t, probeRoute+`subprotocols = ["v2.chat", "v1.chat"]`)
	for _, tc := range []struct {
		offer []string
		want  string
	}{
		{[]string{"v1.chat", "v2.chat"}, "v2.chat"},
		{[]string{"v1.chat"}, "v1.chat"},
		{[]string{"other"}, ""},
		{nil, ""},
	} {
		c := ts.dial(t, "/probe", &protocol.DialOptions{Subprotocols: tc.offer})
		if got := c.Subprotocol(); got != tc.want {
			t.Errorf("offer %v: subprotocol %q, want %q", tc.offer, got, tc.want)
		}
		_ = c.CloseNow()
	}
}

func TestConnectionLimits(t *testing.T) {
	t.Run("route", func(t *testing.T) {
		ts := startServer(t, probeRoute+`max_connections = 2`)
		ts.dial(t, "/probe", nil)
		ts.dial(t, "/probe", nil)
		status, resp := ts.rawRequest(t, upgradeRequest("/probe"))
		if status != http.StatusServiceUnavailable || !strings.Contains(resp, "route connection limit") {
			t.Fatalf("third connection: status %d\n%s", status, resp)
		}
	})
	t.Run("per IP", func(t *testing.T) {
		ts := startServer(t, "[limits]\nmax_connections_per_ip = 1\n"+probeRoute)
		ts.dial(t, "/probe", nil)
		status, resp := ts.rawRequest(t, upgradeRequest("/probe"))
		if status != http.StatusServiceUnavailable || !strings.Contains(resp, "127.0.0.1") {
			t.Fatalf("second connection: status %d\n%s", status, resp)
		}
	})
	t.Run("server, and a slot frees when a connection ends", func(t *testing.T) {
		ts := startServer(t, "[limits]\nmax_connections = 1\n"+probeRoute)
		c := ts.dial(t, "/probe", nil)
		if status, _ := ts.rawRequest(t, upgradeRequest("/probe")); status != http.StatusServiceUnavailable {
			t.Fatalf("second connection: status %d, want 503", status)
		}
		_ = c.Close(protocol.StatusNormalClosure, "")
		<-c.Done()
		ts.logs.waitCount(t, "closed 1000", 1)
		ts.dial(t, "/probe", nil)
	})
}

func TestMessageTooBigCloses1009(t *testing.T) {
	ts := startServer(t, probeRoute+`max_message_size = "1KiB"`)
	c := ts.dial(t, "/probe", nil)
	if err := c.Write(protocol.MessageBinary, make([]byte, 1025)); err != nil {
		t.Fatal(err)
	}
	_, _, err := readOne(t, c)
	if code := protocol.CloseStatus(err); code != protocol.StatusMessageTooBig {
		t.Fatalf("got %v, want close 1009", err)
	}
	ts.logs.waitCount(t, "closed 1009", 1)
}

func TestShutdownClosesEveryConnectionWith1001(t *testing.T) {
	ts := startServer(t, probeRoute)
	const n = 20
	conns := make([]*protocol.Conn, n)
	for i := range conns {
		conns[i] = ts.dial(t, "/probe", nil)
	}
	var wg sync.WaitGroup
	codes := make(chan protocol.StatusCode, n)
	for _, c := range conns {
		wg.Add(1)
		go func(c *protocol.Conn) {
			defer wg.Done()
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					codes <- protocol.CloseStatus(err)
					return
				}
			}
		}(c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ts.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != protocol.StatusGoingAway {
			t.Errorf("client got close %d, want 1001", code)
		}
	}
	// Every plugin saw every close, before Shutdown returned.
	if got := ts.logs.count("closed 1001"); got != n {
		t.Fatalf("plugin saw %d close events with 1001, want %d", got, n)
	}
	// New connections are refused once shut down.
	if _, _, err := protocol.Dial(ctx, ts.url("/probe"), nil); err == nil {
		t.Fatal("dial after shutdown succeeded")
	}
}

func TestMetricsAfterKnownWorkload(t *testing.T) {
	ts := startServer(t, probeRoute)
	c := ts.dial(t, "/probe", nil)
	for i := 0; i < 3; i++ {
		_ = c.Write(protocol.MessageText, []byte("12345"))
		if _, _, err := readOne(t, c); err != nil {
			t.Fatal(err)
		}
	}
	ts.rawRequest(t, upgradeRequest("/missing"))
	var b bytes.Buffer
	if _, err := ts.Metrics().WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		`socklet_connections{route="/probe"} 1`,
		`socklet_connections_accepted_total{route="/probe"} 1`,
		`socklet_messages_in_total{route="/probe"} 3`,
		`socklet_messages_out_total{route="/probe"} 3`,
		`socklet_bytes_in_total{route="/probe"} 15`,
		`socklet_bytes_out_total{route="/probe"} 15`,
		`socklet_handshake_failures_total{reason="not_found"} 1`,
		`socklet_plugin_traps_total{route="/probe"} 0`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	// Open + 3 texts went through the plugin and were timed.
	if !strings.Contains(out, `socklet_plugin_event_seconds_count{route="/probe"} 4`) {
		t.Errorf("event histogram count is not 4:\n%s", grep(out, "event_seconds_count"))
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return fmt.Sprint(out)
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSignedCert(t, dir)
	ts := startServer(t, fmt.Sprintf("[tls]\ncert_file = %q\nkey_file = %q\n", certFile, keyFile)+probeRoute)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := protocol.Dial(ctx, "wss://"+ts.addr+"/probe", &protocol.DialOptions{TLSConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}})
	if err != nil {
		t.Fatalf("dial wss: %v", err)
	}
	defer c.CloseNow()
	_ = c.Write(protocol.MessageText, []byte("over tls"))
	if _, p, err := readOne(t, c); err != nil || p != "over tls" {
		t.Fatalf("echo over TLS: %q, %v", p, err)
	}
	// A plain-text client gets no WebSocket from a TLS listener.
	if _, _, err := protocol.Dial(ctx, ts.url("/probe"), nil); err == nil {
		t.Fatal("ws:// dial to a TLS listener succeeded")
	}
}

// selfSignedCert writes a certificate for localhost and 127.0.0.1 and its key
// into dir, and returns their paths and a pool that trusts the certificate.
func selfSignedCert(t *testing.T, dir string) (string, string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeFile(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})))
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestAdminListener(t *testing.T) {
	ts := startServer(t, probeRoute)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = ts.ServeAdmin(ln) }()
	base := "http://" + ln.Addr().String()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	c := ts.dial(t, "/probe", nil)
	if code, body := get("/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	code, body := get("/metrics")
	if code != http.StatusOK || !strings.Contains(body, `socklet_connections{route="/probe"} 1`) ||
		!strings.Contains(body, "# TYPE socklet_plugin_event_seconds histogram") {
		t.Fatalf("/metrics: %d\n%s", code, body)
	}
	if code, _ := get("/nope"); code != http.StatusNotFound {
		t.Fatalf("/nope: %d", code)
	}
	_ = c.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = ts.Shutdown(ctx)
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("the admin listener still answers after Shutdown")
	}
}

// TestWritesDuringOpenGoOutAfterThe101 checks that what a plugin sends and
// closes in socklet_on_open reaches the client, in order, once it is open.
func TestWritesDuringOpenGoOutAfterThe101(t *testing.T) {
	ts := startServer(t, probeRoute)
	c := ts.dial(t, "/probe?bye", nil)
	typ, p, err := readOne(t, c)
	if err != nil || typ != protocol.MessageText || p != "bye" {
		t.Fatalf("first message: %v %q %v", typ, p, err)
	}
	_, _, err = readOne(t, c)
	var ce *protocol.CloseError
	if !errors.As(err, &ce) || ce.Code != 4000 || ce.Reason != "bye" {
		t.Fatalf("then: %v, want close 4000 bye", err)
	}
	ts.logs.waitCount(t, "closed 4000", 1)
}

// TestIdleConnectionsPark: open connections wait in the Poller while idle
// (the gauge counts them), wake for each message, and park again.
func TestIdleConnectionsPark(t *testing.T) {
	const n = 20
	ts := startServer(t, probeRoute)
	parked := func() int {
		var b bytes.Buffer
		if _, err := ts.Metrics().WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		var v int
		for _, line := range strings.Split(b.String(), "\n") {
			if _, err := fmt.Sscanf(line, "socklet_parked_connections %d", &v); err == nil {
				return v
			}
		}
		t.Fatal("metrics lack socklet_parked_connections")
		return 0
	}
	waitParked := func(want int) {
		t.Helper()
		for range 500 {
			if parked() == want {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("parked connections: %d, want %d", parked(), want)
	}
	conns := make([]*protocol.Conn, n)
	for i := range conns {
		conns[i] = ts.dial(t, "/probe", nil)
	}
	waitParked(n)
	for round := range 2 {
		for i, c := range conns {
			msg := fmt.Sprintf("round %d conn %d", round, i)
			if err := c.Write(protocol.MessageText, []byte(msg)); err != nil {
				t.Fatal(err)
			}
			if _, got, err := readOne(t, c); err != nil || !strings.Contains(string(got), msg) {
				t.Fatalf("reply %q, %v; want it to contain %q", got, err, msg)
			}
		}
		// ParkAfter (1 s) without a message parks them again.
		waitParked(n)
	}
}
