package plugins

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFixturesUpToDate rebuilds every WAT fixture with wat2wasm and compares
// it with the committed .wasm.
func TestFixturesUpToDate(t *testing.T) {
	wat2wasm, err := exec.LookPath("wat2wasm")
	if err != nil {
		t.Skip("wat2wasm not installed (scripts/deps/wabt.sh)")
	}
	wats, _ := filepath.Glob("testdata/*.wat")
	if len(wats) == 0 {
		t.Fatal("no WAT fixtures")
	}
	dir := t.TempDir()
	for _, wat := range wats {
		base := strings.TrimSuffix(filepath.Base(wat), ".wat")
		out := filepath.Join(dir, base+".wasm")
		if b, err := exec.Command(wat2wasm, "--debug-names", wat, "-o", out).CombinedOutput(); err != nil {
			t.Errorf("wat2wasm %s: %v\n%s", wat, err, b)
			continue
		}
		built, _ := os.ReadFile(out)
		committed, err := os.ReadFile(strings.TrimSuffix(wat, ".wat") + ".wasm")
		if err != nil || !bytes.Equal(built, committed) {
			t.Errorf("%s.wasm is stale: run go generate ./plugins/", base)
		}
	}
}
