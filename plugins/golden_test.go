package plugins

import (
	"bytes"
	"context"
	"flag"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/experimental/logging"
)

var update = flag.Bool("update", false, "rewrite the golden ABI traces in testdata")

// TestGoldenTrace runs a scripted session against the probe fixture with
// wazero's logging listener and compares the ABI trace (every export the
// host calls, every host function the guest calls, with parameters and
// results) with testdata/probe_session.golden.
func TestGoldenTrace(t *testing.T) {
	var trace bytes.Buffer
	ctx := experimental.WithFunctionListenerFactory(context.Background(),
		logging.NewHostLoggingListenerFactory(&trace, logging.LogScopeAll))
	// The listener is attached when a module is compiled: the host
	// module's too, so the runtime is created with it.
	rt, err := NewRuntime(ctx, RuntimeConfig{Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	mod, err := rt.Compile(ctx, "probe.wasm", fixture(t, "probe.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Release(ctx)
	r := newTestRoute(t, rt, mod, RouteConfig{Config: map[string]string{"k": "v"}})
	trace.Reset() // instantiation

	a, b := newRecorder(), newRecorder()
	a.info[0] = "/chat"
	ha, hb := open(t, r, a), open(t, r, b)
	p := &prober{t: t, r: r, h: ha, c: a}
	_ = r.Text(ctx, ha, []byte("hi"))
	_ = r.Pong(ctx, ha, nil)
	p.do(opSubscribe, []byte("room"), int64(hb.ID()), scratch, 4)
	p.do(opPublishText, []byte("xroom"), scratch+1, 4, scratch, 1, int64(ha.ID()))
	p.do(opConnInfo, nil, int64(ha.ID()), 0, scratch, 16)
	p.do(opConfig, []byte("k"), scratch, 1, scratch+16, 0)
	p.do(opAttach, []byte("state"), int64(hb.ID()), scratch, 5)
	p.do(opSendText, nil, int64(hb.ID()), badPtr, 1)
	p.do(opSendText, []byte("x"), 424242, scratch, 1)
	p.do(opTimer, nil, 1, 7)
	deadline := time.Now().Add(5 * time.Second)
	for countMessages(a, "timer\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00") == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	_ = r.Binary(ctx, ha, command(opTrap, nil, nil))
	_ = r.Closed(ctx, hb, 1001, "gone")
	_ = r.Closed(ctx, ha, 1000, "")

	// Handles are unique in the process, so they differ between runs:
	// name them in order of appearance.
	got := normalizeHandles(trace.String(), ha.ID(), hb.ID())
	const golden = "testdata/probe_session.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("ABI trace differs from %s (go test ./plugins/ -run Golden -update to accept):\n%s", golden, diffLines(string(want), got))
	}
}

var connParam = regexp.MustCompile(`\bconn=\d+|except_conn=\d+`)

// normalizeHandles replaces the handles in conn= parameters by <connN>,
// N being the handle's position in handles.
func normalizeHandles(s string, handles ...uint64) string {
	return connParam.ReplaceAllStringFunc(s, func(m string) string {
		name, value, _ := strings.Cut(m, "=")
		for i, h := range handles {
			if value == strconv.FormatUint(h, 10) {
				return name + "=<conn" + strconv.Itoa(i+1) + ">"
			}
		}
		return m
	})
}

// diffLines shows the first differing line of want and got with context.
func diffLines(want, got string) string {
	wl, gl := bytes.Split([]byte(want), []byte("\n")), bytes.Split([]byte(got), []byte("\n"))
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + string(w) + "\n  got:  " + string(g)
		}
	}
	return "(no line differs)"
}
