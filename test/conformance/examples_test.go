package conformance

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/socklet/socklet/protocol"
)

// maxMessage is max_message_size of the /echo64k and /chat routes.
const maxMessage = 64 << 10

// serverConfig serves echo.wasm on /echo (default limits) and /echo64k,
// chat.wasm on /chat (two instances: the room spans instances, as the host
// keeps topics and attachments), and the language's richer example on
// /timers.
func serverConfig(lang language) string {
	return fmt.Sprintf(`listen = "127.0.0.1:0"

[limits]
close_timeout = "1s"

[[route]]
path = "/echo"
plugin = "echo.wasm"

[[route]]
path = "/echo64k"
plugin = "echo.wasm"
max_message_size = %[1]d

[[route]]
path = "/chat"
plugin = "chat.wasm"
instances = 2
max_message_size = %[1]d

[[route]]
path = "/timers"
plugin = "timers.wasm"

[route.config]
%[2]s`, maxMessage, lang.timerConfig)
}

// TestExamples builds the echo and chat examples of every language and runs
// the same scenarios against each through a real server.
func TestExamples(t *testing.T) {
	root := repoRoot(t)
	for _, lang := range languages {
		t.Run(lang.name, func(t *testing.T) {
			if why := lang.missing(root); why != "" {
				t.Skipf("%s toolchain missing: %s; run %s", lang.name, why, lang.installer)
			}
			built := rebuildAll(t, root, lang.name, "echo", "chat")
			echo, chat := built["echo"], built["chat"]
			timers, err := os.ReadFile(filepath.Join(root, "examples", lang.name, lang.timers, lang.timers+".wasm"))
			if err != nil {
				t.Fatal(err)
			}
			s := startServer(t, serverConfig(lang), map[string][]byte{
				"echo.wasm": echo, "chat.wasm": chat, "timers.wasm": timers,
			})
			t.Run("echo", func(t *testing.T) { testEcho(t, s) })
			t.Run("chat", func(t *testing.T) { testChat(t, s) })
			t.Run("reload", func(t *testing.T) { testNickSurvivesReload(t, s, chat) })
			t.Run("close", func(t *testing.T) { testCloseCodes(t, s) })
			t.Run("timers/"+lang.timers, func(t *testing.T) { lang.timerTest(t, s) })
			t.Run("shutdown", func(t *testing.T) { testShutdown(t, s) })
		})
	}
}

// testEcho: text comes back as text and binary as binary, byte for byte,
// from empty to 1 MiB, multi-byte UTF-8 included.
func testEcho(t *testing.T, s *server) {
	c := s.dial(t, "/echo", nil)
	texts := []string{
		"", "hello", "a\x00b", "héllo wörld", "日本語のテキスト", "emoji 🎉👍🏽 and 𝄞",
		strings.Repeat("a", 1<<20),
		strings.Repeat("é", 1<<19), // 1 MiB of two-byte sequences
		strings.Repeat("€𝄞", 1<<20/7),
	}
	for _, text := range texts {
		c.sendText(text)
		if got := c.nextText(); got != text {
			t.Errorf("echo of %d bytes of text %.20q: got %d bytes %.20q", len(text), text, len(got), got)
		}
	}
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	for _, bin := range [][]byte{{}, {0}, {0, 0xff, 0xc0, 0x80}, big} {
		c.send(protocol.MessageBinary, bin)
		m := c.next()
		if m.typ != protocol.MessageBinary || !bytes.Equal(m.data, bin) {
			t.Errorf("echo of %d binary bytes: got %v of %d bytes", len(bin), m.typ, len(m.data))
		}
	}
	// Pipelined: many messages in flight come back in order.
	for i := range 100 {
		c.sendText(fmt.Sprintf("pipelined %d ✓", i))
	}
	for i := range 100 {
		if got, want := c.nextText(), fmt.Sprintf("pipelined %d ✓", i); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

var anonLine = regexp.MustCompile(`^(anon-[0-9]+): (.*)$`)

// chatRoom dials n clients to /chat.
func chatRoom(t *testing.T, s *server, n int) []*client {
	cs := make([]*client, n)
	for i := range cs {
		cs[i] = s.dial(t, "/chat", nil)
		cs[i].name = fmt.Sprintf("/chat client %d", i)
	}
	return cs
}

// say has cs[from] send text and checks that every other client receives
// exactly want(line) once, the sender nothing (fence checks that later).
// It returns the line received.
func say(t *testing.T, cs []*client, from int, text string) string {
	t.Helper()
	cs[from].sendText(text)
	var line string
	for i, c := range cs {
		if i == from {
			continue
		}
		got := c.nextText()
		if line == "" {
			line = got
		} else if got != line {
			t.Fatalf("client %d got %q, client before it %q", i, got, line)
		}
	}
	return line
}

// fence has every client rename itself and checks that the next message
// each receives is its own "nick NAME" reply: nothing else (no copy of its
// own message, no duplicate) was queued for it before.
func fence(t *testing.T, cs []*client, prefix string) {
	t.Helper()
	for i, c := range cs {
		c.sendText(fmt.Sprintf("/nick %s%d", prefix, i))
	}
	for i, c := range cs {
		if got, want := c.nextText(), fmt.Sprintf("nick %s%d", prefix, i); got != want {
			t.Fatalf("client %d: got %q, want its own %q (an unexpected or duplicate message)", i, got, want)
		}
	}
}

// testChat: 50 clients in the room; one client's text reaches the 49
// others exactly once as "<nick>: MSG" and never the sender; "/nick NAME"
// answers the sender only and later messages carry NAME; binary messages
// are ignored.
func testChat(t *testing.T, s *server) {
	cs := chatRoom(t, s, 50)
	nicks := map[string]int{}
	for _, from := range []int{0, 17, 49} {
		text := fmt.Sprintf("hello from %d, ça va? 👋", from)
		line := say(t, cs, from, text)
		m := anonLine.FindStringSubmatch(line)
		if m == nil || m[2] != text {
			t.Fatalf("client %d said %q; the others got %q, want \"anon-<handle>: %s\"", from, text, line, text)
		}
		if prev, dup := nicks[m[1]]; dup {
			t.Fatalf("clients %d and %d both have the default nick %s", prev, from, m[1])
		}
		nicks[m[1]] = from
	}
	cs[3].send(protocol.MessageBinary, []byte("ignored"))
	fence(t, cs, "n") // the senders got nothing back; every line came once
	for _, from := range []int{0, 49} {
		text := "now with a nick"
		if got, want := say(t, cs, from, text), fmt.Sprintf("n%d: %s", from, text); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	// A nick with spaces and UTF-8 is kept as sent.
	cs[5].sendText("/nick Zoë the 2nd")
	if got := cs[5].nextText(); got != "nick Zoë the 2nd" {
		t.Fatalf("got %q, want %q", got, "nick Zoë the 2nd")
	}
	if got := say(t, cs, 5, "hi"); got != "Zoë the 2nd: hi" {
		t.Fatalf("got %q", got)
	}
	// A text near the 64 KiB limit fans out intact.
	long := strings.Repeat("ü", 30000) // 60,000 bytes
	if got := say(t, cs, 2, long); got != "n2: "+long {
		t.Fatalf("a 60,000-byte message arrived as %d bytes", len(got))
	}
	fence(t, cs, "m")
	if got := say(t, cs, 10, "bye"); got != "m10: bye" {
		t.Fatalf("after the last fence: got %q", got)
	}
	for i, c := range cs {
		if !c.alive() {
			t.Errorf("client %d closed: %v", i, c.err)
		}
	}
}

// reloadChat writes wasm as the /chat plugin file and hot-swaps it.
func reloadChat(t *testing.T, s *server, wasm []byte) bool {
	t.Helper()
	return reload(t, s, "/chat", "chat.wasm", wasm)
}

func reload(t *testing.T, s *server, route, file string, wasm []byte) bool {
	t.Helper()
	if err := os.WriteFile(filepath.Join(s.dir, file), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	swapped, err := s.ReloadRoute(ctx, route)
	if err != nil {
		t.Fatalf("ReloadRoute(%s): %v", route, err)
	}
	return swapped
}

// testNickSurvivesReload: a nick set before a hot swap of the chat module
// (the same program with a custom section appended) is used after it; a
// default nick too; no connection closes; identical bytes are a no-op and a
// broken module is refused while the running one keeps serving.
func testNickSurvivesReload(t *testing.T, s *server, chat []byte) {
	cs := chatRoom(t, s, 3)
	m := anonLine.FindStringSubmatch(say(t, cs, 1, "before"))
	if m == nil {
		t.Fatal("no default nick")
	}
	anon1 := m[1]
	cs[0].sendText("/nick alice")
	if got := cs[0].nextText(); got != "nick alice" {
		t.Fatalf("got %q", got)
	}

	if !reloadChat(t, s, appendCustomSection(chat, "conformance", []byte("build 2"))) {
		t.Fatal("ReloadRoute did not swap a changed module")
	}
	if got := say(t, cs, 0, "after the reload"); got != "alice: after the reload" {
		t.Errorf("after the reload: got %q, want %q", got, "alice: after the reload")
	}
	if got, want := say(t, cs, 1, "me too"), anon1+": me too"; got != want {
		t.Errorf("default nick after the reload: got %q, want %q", got, want)
	}
	cs[2].sendText("/nick carol")
	if got := cs[2].nextText(); got != "nick carol" {
		t.Fatalf("/nick after the reload: got %q", got)
	}
	if got := say(t, cs, 2, "hi"); got != "carol: hi" {
		t.Errorf("got %q", got)
	}

	// Identical bytes: nothing to swap.
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if swapped, err := s.ReloadRoute(ctx, "/chat"); swapped || err != nil {
		t.Errorf("ReloadRoute of identical bytes = %v, %v; want false, nil", swapped, err)
	}
	// A broken module is refused; the running one keeps the nicks.
	if err := os.WriteFile(filepath.Join(s.dir, "chat.wasm"), chat[:len(chat)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if swapped, err := s.ReloadRoute(ctx, "/chat"); swapped || err == nil {
		t.Errorf("ReloadRoute of a truncated module = %v, %v; want false and an error", swapped, err)
	}
	if got := say(t, cs, 0, "still here"); got != "alice: still here" {
		t.Errorf("after a refused reload: got %q", got)
	}
	// And back to the original build.
	if !reloadChat(t, s, chat) {
		t.Fatal("ReloadRoute did not swap back to the original module")
	}
	if got := say(t, cs, 0, "again"); got != "alice: again" {
		t.Errorf("after the second reload: got %q", got)
	}
	fence(t, cs, "f")
	for i, c := range cs {
		if !c.alive() {
			t.Errorf("client %d closed during the reloads: %v", i, c.err)
		}
	}
}

// testCloseCodes: the server echoes the client's close code; a message over
// max_message_size closes with 1009 without disturbing other connections.
func testCloseCodes(t *testing.T, s *server) {
	for _, tc := range []struct {
		path   string
		code   protocol.StatusCode
		reason string
	}{
		{"/echo", 1000, ""},
		{"/echo", 4001, "client done"},
		{"/chat", 1000, "bye"},
		{"/chat", 4001, "going home ✓"},
	} {
		c := s.dial(t, tc.path, nil)
		c.sendText("x") // a message first, so the plugin saw the connection work
		if tc.path == "/echo" && c.nextText() != "x" {
			t.Fatal("no echo")
		}
		if err := c.conn.Close(tc.code, tc.reason); err != nil {
			t.Fatal(err)
		}
		if code, _ := c.closed(); code != tc.code {
			t.Errorf("%s: closed with %d %q, server answered %d (%v); want the same code", tc.path, tc.code, tc.reason, code, c.err)
		}
	}

	other := s.dial(t, "/chat", nil)
	for _, path := range []string{"/echo64k", "/chat"} {
		c := s.dial(t, path, nil)
		if path == "/echo64k" {
			atLimit := bytes.Repeat([]byte{'z'}, maxMessage)
			c.send(protocol.MessageBinary, atLimit)
			if m := c.next(); !bytes.Equal(m.data, atLimit) {
				t.Fatalf("a message of exactly max_message_size was not echoed (got %d bytes)", len(m.data))
			}
		}
		c.send(protocol.MessageText, bytes.Repeat([]byte{'z'}, maxMessage+1))
		if code, _ := c.closed(); code != protocol.StatusCode(1009) {
			t.Errorf("%s: a message of max_message_size+1 bytes closed with %d (%v), want 1009", path, code, c.err)
		}
	}
	other.sendText("/nick still-here")
	if got := other.nextText(); got != "nick still-here" {
		t.Errorf("another client after the 1009s: got %q", got)
	}
}

// testShutdown: Server.Shutdown closes every connection with 1001 (going
// away), on every route. It runs last: the server is gone afterwards.
func testShutdown(t *testing.T, s *server) {
	var cs []*client
	for _, path := range []string{"/echo", "/echo64k", "/chat", "/chat", "/timers?name=last"} {
		c := s.dial(t, path, nil)
		c.name = path
		cs = append(cs, c)
	}
	cs[0].sendText("ping")
	if got := cs[0].nextText(); got != "ping" {
		t.Fatalf("got %q", got)
	}
	s.shutdown(t)
	for _, c := range cs {
		if code, _ := c.closed(); code != protocol.StatusGoingAway {
			t.Errorf("%s: closed with %d (%v) at shutdown, want 1001", c.name, code, c.err)
		}
	}
}
