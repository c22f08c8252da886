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
		timers: "presence", timerConfig: "tick_ms = 50\nidle_ms = 1000\n", timerTest: testPresenceIdle,
	},
	{
		name: "tinygo", installer: "scripts/deps/tinygo.sh",
		missing: func(string) string {
			if p := tinygoPath(); !executable(p) {
				return p + " is not installed"
			}
			return ""
		},
		timers: "presence", timerConfig: "tick_ms = 50\nidle_ms = 1000\n", timerTest: testPresenceIdle,
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
// into place, and compares the result with the committed file (git diff
// --stat must stay empty). A file that was already modified in the working
// tree before the build is put back afterwards, so the test never clobbers
// work in progress; the comparison is always with the committed version.
// It returns the rebuilt bytes, and an error when the build failed (then
// no bytes) or its output differs from the committed file (then the bytes
// too). It is safe to call concurrently for different examples.
func rebuild(root, lang, name string) ([]byte, error) {
	dir := filepath.Join(root, "examples", lang, name)
	file := filepath.Join(dir, name+".wasm")
	rel := filepath.ToSlash(filepath.Join("examples", lang, name, name+".wasm"))
	before, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	committed, err := gitShow(root, rel)
	if err != nil {
		return nil, fmt.Errorf("reading the committed %s: %w", rel, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(dir, "build.sh"))
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("examples/%s/%s/build.sh: %w\n%s", lang, name, err, out)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(got, before) {
		// Leave the working tree as it was found.
		if err := os.WriteFile(file, before, 0o644); err != nil {
			return got, fmt.Errorf("restoring %s: %w", rel, err)
		}
	}
	if !bytes.Equal(got, committed) {
		return got, fmt.Errorf("rebuilt %s differs from the committed one (git diff --stat would list it): rebuilt %d bytes sha256 %x, committed %d bytes sha256 %x: the build is not reproducible or the committed file is stale",
			rel, len(got), sha256.Sum256(got), len(committed), sha256.Sum256(committed))
	}
	return got, nil
}

// rebuildAll rebuilds the named examples of lang in parallel (Rust's
// build.sh serialises itself with flock) and returns their bytes by name.
// A failed build fails the test at once; a rebuilt file that differs from
// the committed one fails it at the end, and the scenarios run on what the
// sources build.
func rebuildAll(t *testing.T, root, lang string, names ...string) map[string][]byte {
	t.Helper()
	type result struct {
		name string
		data []byte
		err  error
		took time.Duration
	}
	ch := make(chan result, len(names))
	for _, name := range names {
		go func() {
			start := time.Now()
			data, err := rebuild(root, lang, name)
			ch <- result{name, data, err, time.Since(start)}
		}()
	}
	out := map[string][]byte{}
	var fatal bool
	for range names {
		r := <-ch
		t.Logf("built examples/%s/%s in %v", lang, r.name, r.took.Round(time.Millisecond))
		switch {
		case r.err != nil && r.data == nil:
			t.Error(r.err)
			fatal = true
		case r.err != nil:
			t.Error(r.err)
		}
		out[r.name] = r.data
	}
	if fatal {
		t.FailNow()
	}
	return out
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
