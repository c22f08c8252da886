// Package interop tests the protocol package against WebSocket peers no one
// here wrote: npm ws (Node.js) and Debian's python3-websockets. Each peer is
// a script in testdata that makes or accepts one connection and is driven
// over stdin/stdout with one JSON object a line:
//
// Commands to the peer:
//
//	{"op":"send","type":"text"|"binary","b64":"..."}          one message
//	{"op":"send","type":...,"gen":{"len":N,"seed":S}}          a generated payload (see gen)
//	{"op":"fragments","type":...,"parts":["b64",...],"pingAfter":I}
//	{"op":"ping","b64":"..."}, {"op":"pong","b64":"..."}
//	{"op":"close","code":C,"reason":"..."}                     closing handshake
//	{"op":"abort"}                                             drop TCP, no close frame
//	{"op":"raw","b64":"..."}                                   bytes written as they are
//
// Events from the peer:
//
//	{"ev":"listening","port":N}      server mode, before the connection
//	{"ev":"open","extensions":"...","protocol":"..."} the response's extensions and subprotocol
//	{"ev":"message","type":...,"len":N,"sha256":"...","b64":"..."(short ones)}
//	{"ev":"ping"|"pong","b64":"..."}
//	{"ev":"close","code":C,"reason":"..."}   1006 when TCP ended without a close frame
//	{"ev":"done","op":"...","error":"..."}    a command was carried out
//	{"ev":"error","message":"..."}
package interop

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// stepTimeout bounds every wait for one event from a peer or from our Conn.
// startTimeout bounds a peer's start (interpreter, library, listen or
// handshake): on a loaded 2-core machine a process can wait seconds for CPU.
const (
	stepTimeout  = 30 * time.Second
	startTimeout = 90 * time.Second
)

// peerKind is one implementation of the peer protocol above.
type peerKind struct {
	name string
	// command returns the command running the peer with the JSON config
	// argument, or skips the test when the peer is not installed.
	command func(t *testing.T, cfg string) *exec.Cmd
}

var peers = []peerKind{
	{name: "ws", command: nodeCommand},
	{name: "websockets", command: pythonCommand},
}

func toolsDir() string {
	if d := os.Getenv("SOCKLET_TOOLS"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "socklet-tools")
}

func nodeCommand(t *testing.T, cfg string) *exec.Cmd {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed: run scripts/deps/peers.sh")
	}
	modules := filepath.Join(toolsDir(), "npm", "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "ws", "package.json")); err != nil {
		t.Skip("npm ws not installed: run scripts/deps/peers.sh")
	}
	cmd := exec.Command(node, filepath.Join("testdata", "peer.js"), cfg)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	return cmd
}

// debianPython is Debian's interpreter: python3-websockets installs for it,
// not for another python3 that may come first in PATH.
const debianPython = "/usr/bin/python3"

var pythonWebsockets = sync.OnceValue(func() error {
	return exec.Command(debianPython, "-c", "import websockets").Run()
})

func pythonCommand(t *testing.T, cfg string) *exec.Cmd {
	t.Helper()
	if err := pythonWebsockets(); err != nil {
		t.Skipf("python3-websockets not installed for %s (%v): run scripts/deps/peers.sh", debianPython, err)
	}
	return exec.Command(debianPython, filepath.Join("testdata", "peer.py"), cfg)
}

// peerConfig is the JSON argument of a peer script.
type peerConfig struct {
	Mode    string         `json:"mode"`
	URL     string         `json:"url,omitempty"`
	Deflate *deflateConfig `json:"deflate"`
	MaxSize int            `json:"maxSize,omitempty"`
	// Subprotocols: offered (client) or supported in preference order (server).
	Subprotocols []string `json:"subprotocols,omitempty"`
	// Origin is sent by a client when set.
	Origin string `json:"origin,omitempty"`
}

// deflateConfig enables permessage-deflate in a peer with these parameters
// (zero values leave the peer's defaults).
type deflateConfig struct {
	ServerNoContextTakeover bool `json:"serverNoContextTakeover,omitempty"`
	ClientNoContextTakeover bool `json:"clientNoContextTakeover,omitempty"`
	ServerMaxWindowBits     int  `json:"serverMaxWindowBits,omitempty"`
	ClientMaxWindowBits     int  `json:"clientMaxWindowBits,omitempty"`
}

// event is one line a peer printed.
type event struct {
	Ev         string `json:"ev"`
	Port       int    `json:"port"`
	Extensions string `json:"extensions"`
	Protocol   string `json:"protocol"`
	Type       string `json:"type"`
	Len        int    `json:"len"`
	SHA256     string `json:"sha256"`
	B64        string `json:"b64"`
	Code       int    `json:"code"`
	Reason     string `json:"reason"`
	Sent       int    `json:"sent"` // the close code the peer sent when it failed the connection
	Op         string `json:"op"`
	Error      string `json:"error"`
	Message    string `json:"message"`
	Status     int    `json:"status"` // HTTP status of a refused handshake
}

func (e event) data(t *testing.T) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(e.B64)
	if err != nil {
		t.Fatalf("peer event %+v: %v", e, err)
	}
	return b
}

// peer is a running peer process.
type peer struct {
	step   time.Duration // bounds each wait for an event after the start
	kind   string
	pid    int
	stdin  *json.Encoder
	events chan event
	stderr *syncBuffer
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startPeer starts kind with cfg. The process is killed by PID when the
// test ends; its stderr is logged if the test failed.
func startPeer(t *testing.T, kind peerKind, cfg peerConfig) *peer {
	t.Helper()
	arg, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cmd := kind.command(t, string(arg))
	p := &peer{step: stepTimeout, kind: kind.name, events: make(chan event, 64), stderr: &syncBuffer{}}
	cmd.Stderr = p.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s peer: %v", kind.name, err)
	}
	p.stdin = json.NewEncoder(stdin)
	p.pid = cmd.Process.Pid
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer close(p.events)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var e event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				e = event{Ev: "error", Message: "bad event line: " + sc.Text()}
			}
			if e.Ev == "error" || e.Error != "" {
				// Logged with stderr if the test fails, even when the
				// test was not waiting on the peer.
				fmt.Fprintf(p.stderr, "[event] %s\n", sc.Bytes())
			}
			p.events <- e
		}
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		go func() {
			for range p.events { // unblock the scanner if the channel is full
			}
		}()
		<-readDone
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s peer (pid %d) stderr:\n%s", kind.name, cmd.Process.Pid, p.stderr.String())
		}
	})
	return p
}

// do sends one command to the peer.
func (p *peer) do(t *testing.T, cmd map[string]any) {
	t.Helper()
	if err := p.stdin.Encode(cmd); err != nil {
		t.Fatalf("%s peer: command %v: %v", p.kind, cmd, err)
	}
}

// await returns the next event named ev. Events a test does not wait for
// are skipped only when harmless (a command done without error, a ping or
// pong); any other event first fails the test.
func (p *peer) await(t *testing.T, ev string) event {
	t.Helper()
	timeout := p.step
	if ev == "listening" || ev == "open" {
		timeout = startTimeout
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case e, ok := <-p.events:
			if !ok {
				t.Fatalf("%s peer exited while waiting for %q; stderr:\n%s", p.kind, ev, p.stderr.String())
			}
			if e.Ev == ev {
				return e
			}
			switch {
			case e.Ev == "done" && e.Error == "", e.Ev == "ping", e.Ev == "pong":
				continue
			case e.Ev == "error" && ev == "close":
				continue // ws reports why it fails the connection
			}
			t.Fatalf("%s peer: waiting for %q, got %+v", p.kind, ev, e)
		case <-timer.C:
			t.Fatalf("%s peer: no %q event after %v (%s)", p.kind, ev, timeout, procState(p.pid))
		}
	}
}

// failed waits for the peer's close event after the peer failed the
// connection with code. Both libraries stop reading when they fail a
// connection and report 1006 as the received code, so the code they sent
// is checked.
func (p *peer) failed(t *testing.T, code int) {
	t.Helper()
	e := p.await(t, "close")
	if e.Sent != code {
		t.Errorf("%s peer closed with %+v, want it to fail the connection with %d", p.kind, e, code)
	}
}

// sendBytes asks the peer to send p as one message of type typ.
func (p *peer) sendBytes(t *testing.T, typ string, data []byte) {
	t.Helper()
	p.do(t, map[string]any{"op": "send", "type": typ, "b64": base64.StdEncoding.EncodeToString(data)})
}

// gen returns the payload the peers' gen builds: a 64 KiB block from a
// 31-bit LCG, repeated to n bytes; printable ASCII for text. Both sides
// build large messages locally instead of passing them through a pipe.
func gen(typ string, n int, seed uint32) []byte {
	block := make([]byte, min(n, 64<<10))
	x := seed
	for i := range block {
		x = (x*1103515245 + 12345) & 0x7fffffff
		b := byte(x >> 16)
		if typ == "text" {
			b = 0x20 + b%95
		}
		block[i] = b
	}
	out := make([]byte, n)
	for off := 0; off < n; off += len(block) {
		copy(out[off:], block)
	}
	return out
}

func sum(p []byte) string {
	s := sha256.Sum256(p)
	return hex.EncodeToString(s[:])
}

func b64(p []byte) string { return base64.StdEncoding.EncodeToString(p) }

// frame builds one raw frame. A client frame (masked) uses the all-zero
// masking key, which is valid and leaves the payload as it is.
func frame(fin bool, rsv, opcode byte, payload []byte, masked bool) []byte {
	b0 := rsv<<4 | opcode
	if fin {
		b0 |= 0x80
	}
	var mask byte
	if masked {
		mask = 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		out = append(out, mask|byte(n))
	case n <= 0xffff:
		out = append(out, mask|126, byte(n>>8), byte(n))
	default:
		out = append(out, mask|127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	if masked {
		out = append(out, 0, 0, 0, 0)
	}
	return append(out, payload...)
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func itoa(i int) string { return strconv.Itoa(i) }

// procState describes a process for a timeout message: its state and
// where it waits in the kernel (Linux only; empty elsewhere).
func procState(pid int) string {
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	wchan, _ := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", pid))
	state := ""
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "State:") {
			state = strings.TrimSpace(strings.TrimPrefix(line, "State:"))
		}
	}
	return fmt.Sprintf("pid %d state %q wchan %q", pid, state, wchan)
}

func maskBit(masked bool) byte {
	if masked {
		return 0x80
	}
	return 0
}

// maskKey is the all-zero masking key of frame, when masked.
func maskKey(masked bool) []byte {
	if masked {
		return []byte{0, 0, 0, 0}
	}
	return nil
}
