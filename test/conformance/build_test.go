package conformance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// language is one guest language: where its examples live, how to tell
// that its toolchain is installed, and which richer example has timers.
type language struct {
	name      string // directory under examples/
	installer string // the script that installs the toolchain, relative to the repository
	// missing says why the toolchain cannot build, or "" when it can.
	missing func(root string) string
	// timers is the richer example the timer scenario serves (its
	// committed .wasm), and the scenario itself.
	timers      string
	timerConfig string // [route.config] lines of the timer route
	timerTest   func(t *testing.T, s *server)
}

var languages = []language{
	{
		name: "rust", installer: "scripts/deps/rust.sh",
		missing: func(string) string {
			if _, err := os.Stat("/usr/bin/cargo"); err != nil {
				return "Debian's /usr/bin/cargo is not installed"
			}
			if _, err := os.Stat("/usr/lib/rustlib/wasm32-unknown-unknown"); err != nil {
				return "the wasm32-unknown-unknown target (libstd-rust-dev-wasm32) is not installed"
			}
			return ""
		},
		timers: "jsonrpc", timerTest: testRustSleep,
	},
	{
		name: "go", installer: "(the Go toolchain itself)",
		missing: func(string) string {
			if _, err := exec.LookPath("go"); err != nil {
				return "go is not on PATH"
			}
			return ""
		},
		timers: "presence", timerConfig: "tick_ms = 50\nidle_ms = 600\n", timerTest: testPresenceIdle,
	},
	{
		name: "tinygo", installer: "scripts/deps/tinygo.sh",
		missing: func(string) string {
			if p := tinygoPath(); !executable(p) {
				return p + " is not installed"
			}
			return ""
		},
		timers: "presence", timerConfig: "tick_ms = 50\nidle_ms = 600\n", timerTest: testPresenceIdle,
	},
	{
		name: "assemblyscript", installer: "scripts/deps/assemblyscript.sh",
		missing: func(root string) string {
			sdk := filepath.Join(root, "sdk/assemblyscript/node_modules")
			if !executable(filepath.Join(sdk, ".bin/asc")) {
				return "asc is not installed in sdk/assemblyscript/node_modules"
			}
			if _, err := os.Stat(filepath.Join(sdk, "@socklet/sdk")); err != nil {
				return "@socklet/sdk is not linked in sdk/assemblyscript/node_modules"
			}
			if _, err := exec.LookPath("node"); err != nil {
				return "node is not on PATH"
			}
			return ""
		},
		timers: "ticker", timerConfig: "interval_ms = 50\n", timerTest: testTicker,
	},
}

// tinygoPath is where examples/tinygo/*/build.sh finds TinyGo.
func tinygoPath() string {
	if p := os.Getenv("TINYGO"); p != "" {
		return p
	}
	tools := os.Getenv("SOCKLET_TOOLS")
	if tools == "" {
		home, _ := os.UserHomeDir()
		tools = filepath.Join(home, ".cache/socklet-tools")
	}
	return filepath.Join(tools, "bin/tinygo")
}

func executable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// repoRoot is the repository's top directory (this package is test/conformance).
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found at %s: %v", root, err)
	}
	return root
}

// buildTimeout bounds one build.sh run (a cold TinyGo or AssemblyScript
// build takes 10 to 30 seconds on two cores).
const buildTimeout = 3 * time.Minute

// rebuild runs examples/<lang>/<name>/build.sh, which writes <name>.wasm
// into place, and fails the test when the result differs from the
// committed file (git diff --stat must stay empty). A file that was already
// modified in the working tree before the build is put back afterwards, so
// the test never clobbers work in progress; the comparison is always with
// the committed version. It returns the rebuilt bytes.
func rebuild(t *testing.T, root, lang, name string) []byte {
	t.Helper()
	dir := filepath.Join(root, "examples", lang, name)
	file := filepath.Join(dir, name+".wasm")
	rel := filepath.ToSlash(filepath.Join("examples", lang, name, name+".wasm"))
	before, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	committed, err := gitShow(root, rel)
	if err != nil {
		t.Fatalf("reading the committed %s: %v", rel, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(dir, "build.sh"))
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("examples/%s/%s/build.sh: %v\n%s", lang, name, err, out)
	}
	t.Logf("built %s in %v", rel, time.Since(start).Round(time.Millisecond))
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, before) {
		// Leave the working tree as it was found.
		if err := os.WriteFile(file, before, 0o644); err != nil {
			t.Errorf("restoring %s: %v", rel, err)
		}
	}
	if !bytes.Equal(got, committed) {
		t.Errorf("rebuilt %s differs from the committed one (git diff --stat would list it): rebuilt %d bytes sha256 %x, committed %d bytes sha256 %x: the build is not reproducible or the committed file is stale",
			rel, len(got), sha256.Sum256(got), len(committed), sha256.Sum256(committed))
	}
	return got
}

// gitShow returns the committed (HEAD) content of path.
func gitShow(root, path string) ([]byte, error) {
	cmd := exec.Command("git", "show", "HEAD:"+path)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git show: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
