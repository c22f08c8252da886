package browser

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/socklet/socklet/protocol"
)

// echoResult is what testdata/echo.html posts to /result.
type echoResult struct {
	Error string `json:"error"`
	Steps []struct {
		Name string `json:"name"`
		OK   bool   `json:"ok"`
	} `json:"steps"`
	Extensions  string     `json:"extensions"`
	ServerClose closeEvent `json:"serverClose"`
	ClientClose closeEvent `json:"clientClose"`
}

type closeEvent struct {
	Code     int    `json:"code"`
	Reason   string `json:"reason"`
	WasClean bool   `json:"wasClean"`
}

// serverSide is what our end of one browser WebSocket saw.
type serverSide struct {
	extensions string
	pong       string
	end        error
}

// TestChromiumEcho: a page served by this test opens WebSockets to our
// Upgrader (permessage-deflate on): text, empty, binary, 1 MiB binary and
// 200 KB text messages come back intact; a close we start (4000) and one
// the browser starts (4001) are clean on both sides; Chromium answers our
// ping.
func TestChromiumEcho(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()

	page, err := readTestdata("echo.html")
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan echoResult, 1)
	sides := make(chan serverSide, 2)
	u := &protocol.Upgrader{Options: protocol.Options{
		Compression: protocol.CompressionOptions{Enabled: true, Threshold: 1},
	}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	})
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		pongs := make(chan string, 1)
		c, err := u.Accept(w, r, nil)
		if err != nil {
			t.Errorf("Accept: %v", err)
			return
		}
		c.SetPongHandler(func(p []byte) {
			select {
			case pongs <- string(p):
			default:
			}
		})
		_ = c.Ping([]byte("are you there"))
		side := serverSide{extensions: c.Extensions()}
		for {
			typ, p, err := c.ReadMessage()
			if err != nil {
				side.end = err
				break
			}
			if typ == protocol.MessageText && string(p) == "close-me" {
				_ = c.Close(4000, "bye browser")
				continue
			}
			if err := c.Write(typ, p); err != nil {
				t.Errorf("echo: %v", err)
			}
		}
		select {
		case side.pong = <-pongs:
		default:
		}
		sides <- side
	})
	mux.HandleFunc("POST /result", func(w http.ResponseWriter, r *http.Request) {
		var res echoResult
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err := json.Unmarshal(body, &res); err != nil {
			t.Errorf("result %q: %v", body, err)
		}
		select {
		case results <- res:
		default:
		}
	})
	addr := serveHTTP(t, mux)

	startChromium(t, "http://"+addr+"/")

	var res echoResult
	select {
	case res = <-results:
	case <-ctx.Done():
		t.Fatal("no result from the page before the test's deadline")
	}
	if res.Error != "" {
		t.Fatalf("page failed: %s (steps %+v)", res.Error, res.Steps)
	}
	if len(res.Steps) != 5 {
		t.Errorf("page ran %d echo steps, want 5: %+v", len(res.Steps), res.Steps)
	}
	for _, s := range res.Steps {
		if !s.OK {
			t.Errorf("echo of %s: the browser got back something else", s.Name)
		}
	}
	if !strings.HasPrefix(res.Extensions, "permessage-deflate") {
		t.Errorf("the browser's ws.extensions = %q, want permessage-deflate", res.Extensions)
	}
	if res.ServerClose != (closeEvent{4000, "bye browser", true}) {
		t.Errorf("browser saw our close as %+v, want 4000 \"bye browser\" clean", res.ServerClose)
	}
	// Our echo of a close carries the code only (RFC 6455 5.5.1 asks no
	// more), and the browser's close event reports the echo.
	if res.ClientClose.Code != 4001 || !res.ClientClose.WasClean {
		t.Errorf("browser saw its own close end as %+v, want 4001 clean", res.ClientClose)
	}

	pongs := 0
	for i := range 2 {
		var s serverSide
		select {
		case s = <-sides:
		case <-ctx.Done():
			t.Fatalf("connection %d: our side did not end", i)
		}
		if !strings.HasPrefix(s.extensions, "permessage-deflate") {
			t.Errorf("our Extensions() = %q, want permessage-deflate", s.extensions)
		}
		var ce *protocol.CloseError
		if !errors.As(s.end, &ce) || errors.Is(s.end, protocol.ErrFailed) {
			t.Errorf("our side ended with %v, want the browser's close frame", s.end)
			continue
		}
		// The first connection ends with the browser's echo of our 4000,
		// the second with its own 4001.
		if ce.Code != 4000 && !(ce.Code == 4001 && ce.Reason == "client bye") {
			t.Errorf("our side ended with close %v %q", ce.Code, ce.Reason)
		}
		if s.pong != "" {
			pongs++
			if s.pong != "are you there" {
				t.Errorf("pong %q, want our ping's payload", s.pong)
			}
		}
	}
	// The first connection lives for several round trips after our ping:
	// its pong has arrived by then.
	if pongs == 0 {
		t.Error("Chromium answered none of our pings")
	}
}

// serveHTTP serves h on 127.0.0.1 until the test ends and returns the
// address.
func serveHTTP(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}
