package plugins

import (
	"strings"
	"testing"

	"github.com/socklet/socklet/abi"
)

func TestLineWriter(t *testing.T) {
	var logs logBuffer
	w := newLineWriter(logs.logger(), "stderr")
	w.Write([]byte("one\ntw"))
	w.Write([]byte("o\n\nthree"))
	if n, err := w.Write([]byte(strings.Repeat("x", abi.MaxLogLine+10) + "\nlast")); n != abi.MaxLogLine+15 || err != nil {
		t.Fatalf("Write: %d %v", n, err)
	}
	w.flush()
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	want := []string{`msg=one`, `msg=two`, `msg=""`, `msg=three` + strings.Repeat("x", abi.MaxLogLine-5), `msg=last`}
	if len(lines) != len(want) {
		t.Fatalf("%d records:\n%s", len(lines), logs.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], "level=WARN "+w+" stream=stderr") {
			t.Errorf("record %d: %.120s, want %.60s", i, lines[i], w)
		}
	}
	if !strings.HasSuffix(lines[3], "truncated=true") || strings.Contains(lines[4], "truncated") {
		t.Errorf("truncation marks wrong:\n%.100s\n%s", lines[3], lines[4])
	}
}
