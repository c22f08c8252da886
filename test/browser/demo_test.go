package browser

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemoChat builds socklet, serves the embedded demo on 127.0.0.1, opens
// its page in two Chromium tabs and has them chat through /chat, driving
// Chromium over the DevTools protocol with our own protocol.Dial. Each tab
// must show the other's message as "<nick>: text", rendered in its log. A
// screenshot of the first tab is checked to be a real picture; set
// SOCKLET_SCREENSHOT=FILE.png to keep it.
func TestDemoChat(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()

	addr := startSocklet(t, ctx)
	b := startChromium(t, "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
		"--window-size=900,760", "--disable-background-timer-throttling",
		"--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
		"about:blank")
	c := dialCDP(t, ctx, b.devToolsURL(t))

	alice := openTab(t, ctx, c, "http://"+addr+"/")
	bob := openTab(t, ctx, c, "http://"+addr+"/")
	for _, tab := range []string{alice, bob} {
		waitJS(t, ctx, c, tab, `document.getElementById("status").textContent === "connected"`)
	}

	say(t, ctx, c, alice, "/nick alice")
	waitLog(t, ctx, c, alice, "nick alice")
	say(t, ctx, c, bob, "/nick bob")
	waitLog(t, ctx, c, bob, "nick bob")

	say(t, ctx, c, alice, "hello from alice ✓")
	waitLog(t, ctx, c, bob, "alice: hello from alice ✓")
	say(t, ctx, c, bob, "hi alice, bob here")
	waitLog(t, ctx, c, alice, "bob: hi alice, bob here")

	wantA := []string{"nick alice", "me: hello from alice ✓", "bob: hi alice, bob here"}
	wantB := []string{"nick bob", "alice: hello from alice ✓", "me: hi alice, bob here"}
	if got := logLines(t, ctx, c, alice); !slices.Equal(got, wantA) {
		t.Errorf("alice's log %q, want %q", got, wantA)
	}
	if got := logLines(t, ctx, c, bob); !slices.Equal(got, wantB) {
		t.Errorf("bob's log %q, want %q", got, wantB)
	}

	checkScreenshot(t, ctx, c, alice)
	_ = c.call(ctx, "", "Browser.close", nil, nil)
}

// startSocklet builds cmd/socklet into a temporary dir, starts `socklet
// serve` (the embedded demo) on 127.0.0.1 with a free port and returns its
// address. The process gets SIGTERM when the test ends, SIGKILL if it has
// not exited 10 seconds later.
func startSocklet(t *testing.T, ctx context.Context) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	bin := filepath.Join(t.TempDir(), "socklet")
	build := exec.CommandContext(ctx, goBin, "build", "-o", bin, "github.com/socklet/socklet/cmd/socklet")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/socklet: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	logs := &syncBuffer{}
	addrc := make(chan string, 1)
	re := regexp.MustCompile(`msg="socklet serving" addr=(127\.0\.0\.1:\d+)`)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		scanLines(stderr, func(line string) bool {
			fmt.Fprintln(logs, line)
			if m := re.FindStringSubmatch(line); m != nil {
				select {
				case addrc <- m[1]:
				default:
				}
			}
			return false
		})
		_, _ = io.Copy(io.Discard, stderr)
	}()
	waited := make(chan error, 1)
	go func() { <-copied; waited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		select {
		case err := <-waited:
			if err != nil {
				t.Errorf("socklet serve exited with %v after SIGTERM", err)
			}
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(pid, syscall.SIGKILL)
			<-waited
			t.Errorf("socklet serve (pid %d) still running 10s after SIGTERM", pid)
		}
		if t.Failed() {
			t.Logf("socklet serve log:\n%s", tail(logs.String(), 3000))
		}
	})
	select {
	case addr := <-addrc:
		return addr
	case err := <-waited:
		waited <- err
		t.Fatalf("socklet serve exited: %v\n%s", err, logs.String())
	case <-time.After(startTimeout):
		t.Fatalf("socklet serve did not log its address in %v:\n%s", startTimeout, logs.String())
	}
	return ""
}

// openTab opens url in a new tab and returns the DevTools session of its page.
func openTab(t *testing.T, ctx context.Context, c *cdp, url string) string {
	t.Helper()
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := c.call(ctx, "", "Target.createTarget", map[string]any{"url": url}, &target); err != nil {
		t.Fatal(err)
	}
	var session struct {
		SessionID string `json:"sessionId"`
	}
	if err := c.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &session); err != nil {
		t.Fatal(err)
	}
	return session.SessionID
}

// waitJS waits, inside the page, until the JavaScript condition is true
// (polled every 50 ms, at most 30 s).
func waitJS(t *testing.T, ctx context.Context, c *cdp, session, cond string) {
	t.Helper()
	expr := `new Promise((resolve, reject) => {
	  const t0 = Date.now();
	  (function poll() {
	    let ok = false;
	    try { ok = (` + cond + `); } catch (e) {}
	    if (ok) return resolve(true);
	    if (Date.now() - t0 > 30000) return reject(new Error("timed out; status: " +
	      (document.getElementById("status") || {}).textContent + "; log: " +
	      (document.getElementById("log") || {}).innerText));
	    setTimeout(poll, 50);
	  })();
	})`
	// A tab just opened may still replace its first document (about:blank)
	// with the page, destroying the context the expression runs in: retry.
	for {
		err := c.eval(ctx, session, expr, nil)
		if err == nil {
			return
		}
		if !strings.Contains(err.Error(), "context") || ctx.Err() != nil {
			t.Fatalf("waiting for %s: %v", cond, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// say types text into the page's input and presses Send.
func say(t *testing.T, ctx context.Context, c *cdp, session, text string) {
	t.Helper()
	q, _ := json.Marshal(text)
	expr := `(() => {
	  const m = document.getElementById("msg");
	  m.value = ` + string(q) + `;
	  document.getElementById("send").click();
	  return m.value === "";
	})()`
	var sent bool
	if err := c.eval(ctx, session, expr, &sent); err != nil || !sent {
		t.Fatalf("say %q: sent=%v err=%v", text, sent, err)
	}
}

// waitLog waits until the page's log shows line.
func waitLog(t *testing.T, ctx context.Context, c *cdp, session, line string) {
	t.Helper()
	q, _ := json.Marshal(line)
	waitJS(t, ctx, c, session, `[...document.querySelectorAll("#log div")].some(d => d.textContent === `+string(q)+`)`)
}

// logLines returns the lines of the page's chat log.
func logLines(t *testing.T, ctx context.Context, c *cdp, session string) []string {
	t.Helper()
	var lines []string
	if err := c.eval(ctx, session, `[...document.querySelectorAll("#log div")].map(d => d.textContent)`, &lines); err != nil {
		t.Fatal(err)
	}
	return lines
}

// checkScreenshot captures the page as PNG, checks it decodes to a picture
// of the window's size with more than a few colours, and keeps it in
// $SOCKLET_SCREENSHOT when set.
func checkScreenshot(t *testing.T, ctx context.Context, c *cdp, session string) {
	t.Helper()
	var shot struct {
		Data string `json:"data"`
	}
	if err := c.call(ctx, session, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 300 {
		t.Errorf("screenshot is %v, want about the 900x760 window", b)
	}
	if n := colours(img, 64); n < 8 {
		t.Errorf("screenshot has %d colours: a blank page?", n)
	}
	if path := os.Getenv("SOCKLET_SCREENSHOT"); path != "" {
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Error(err)
		}
	}
}

// colours counts the distinct colours of img, stopping at max.
func colours(img image.Image, max int) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
			if len(seen) >= max {
				return len(seen)
			}
		}
	}
	return len(seen)
}
