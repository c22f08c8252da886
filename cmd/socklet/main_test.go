package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/socklet/socklet/protocol"
)

func runCLI(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{nil, exitUsage, "", "Usage:"},
		{[]string{"version"}, exitOK, "socklet dev (ABI v1)", ""},
		{[]string{"--help"}, exitOK, "socklet serve", ""},
		{[]string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{[]string{"serve", "--help"}, exitOK, "", "Usage: socklet serve"},
		{[]string{"serve", "--bogus"}, exitUsage, "", "flag provided but not defined: -bogus"},
		{[]string{"serve", "extra"}, exitUsage, "", "serve takes no arguments"},
		{[]string{"check"}, exitUsage, "", "check takes exactly one PLUGIN.wasm"},
		{[]string{"check", "demo/echo.wasm"}, exitOK, "valid: yes", ""},
		{[]string{"check", "../../plugins/testdata/bad_imports.wasm"}, exitInvalid, "valid: no", "is not a valid socklet plugin"},
		{[]string{"check", "missing.wasm"}, exitFailure, "", "no such file"},
		{[]string{"new", "cobol", "x"}, exitUsage, "", `unknown language "cobol"`},
		{[]string{"new", "rust", "Bad Name"}, exitUsage, "", `invalid name "Bad Name"`},
	} {
		code, out, errOut := runCLI(tc.args...)
		if code != tc.code || !strings.Contains(out, tc.inStdout) || !strings.Contains(errOut, tc.inStderr) {
			t.Errorf("socklet %v: exit %d, want %d\nstdout: %s\nstderr: %s", tc.args, code, tc.code, out, errOut)
		}
	}
}

func TestServeRefusesInvalidConfigWithEveryProblem(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "socklet.toml")
	if err := os.WriteFile(cfg, []byte("listen = \"127.0.0.1:0\"\n\n[[route]]\npath = \"echo\"\nplugin = \"missing.wasm\"\nmax_conections = 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI("serve", "--config", cfg)
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitInvalid, errOut)
	}
	for _, want := range []string{cfg + `:4:`, `"/"`, cfg + ":5:", "missing.wasm", cfg + ":6:", "max_conections"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestDemoPluginsMatchExamples(t *testing.T) {
	for demo, example := range map[string]string{
		"demo/echo.wasm": "../../examples/rust/echo/echo.wasm",
		"demo/chat.wasm": "../../examples/rust/chat/chat.wasm",
	} {
		a, err := os.ReadFile(demo)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(example)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from %s: run scripts/update-demo", demo, example)
		}
	}
}

func TestNewScaffoldsEveryLanguage(t *testing.T) {
	langs := templateLanguages()
	if len(langs) == 0 {
		t.Fatal("no templates embedded")
	}
	for _, lang := range langs {
		dir := filepath.Join(t.TempDir(), "hello")
		if err := scaffold(lang, "hello", dir); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		var files []string
		err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			if strings.Contains(p, "__NAME__") {
				t.Errorf("%s: placeholder left in path %s", lang, p)
			}
			if info.Mode().IsRegular() {
				files = append(files, p)
				data, _ := os.ReadFile(p)
				if bytes.Contains(data, []byte("__NAME__")) {
					t.Errorf("%s: placeholder left in %s", lang, p)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"build.sh", "socklet.toml"} {
			if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
				t.Errorf("%s: template lacks %s (files: %v)", lang, want, files)
			}
		}
		if info, err := os.Stat(filepath.Join(dir, "build.sh")); err == nil && info.Mode()&0o100 == 0 {
			t.Errorf("%s: build.sh is not executable", lang)
		}
		for _, s := range shared[lang] {
			if _, err := os.Stat(filepath.Join(dir, filepath.Base(s))); err != nil {
				t.Errorf("%s: the shared folder %s was not copied: %v", lang, s, err)
			}
		}
	}
}

// TestServeEmbeddedDemoAndShutDownOnSIGTERM runs the real binary: the
// embedded demo echoes, and SIGTERM closes every client with 1001 and exits 0.
func TestServeEmbeddedDemoAndShutDownOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	cmd := exec.Command(socklet(t), "serve", "--listen", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	addr := ""
	addrRE := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)
	for addr == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("socklet exited before serving")
			}
			if m := addrRE.FindStringSubmatch(l); m != nil {
				addr = m[1]
			}
		case <-time.After(30 * time.Second):
			t.Fatal("socklet did not log its address within 30s")
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	echo, _, err := protocol.Dial(ctx, "ws://"+addr+"/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer echo.CloseNow()
	if err := echo.Write(protocol.MessageText, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if typ, p, err := echo.ReadMessage(); err != nil || typ != protocol.MessageText || string(p) != "hello" {
		t.Fatalf("echo: %v %q %v", typ, p, err)
	}
	alice, _, err := protocol.Dial(ctx, "ws://"+addr+"/chat", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer alice.CloseNow()
	bob, _, err := protocol.Dial(ctx, "ws://"+addr+"/chat", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bob.CloseNow()
	if err := alice.Write(protocol.MessageText, []byte("hi bob")); err != nil {
		t.Fatal(err)
	}
	if _, p, err := bob.ReadMessage(); err != nil || !strings.HasSuffix(string(p), ": hi bob") {
		t.Fatalf("chat: %q %v", p, err)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*protocol.Conn{echo, alice, bob} {
		var err error
		for err == nil {
			_, _, err = c.ReadMessage()
		}
		if code := protocol.CloseStatus(err); code != protocol.StatusGoingAway {
			t.Errorf("client got %v, want close 1001", err)
		}
	}
	go func() {
		for range lines {
		}
	}()
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Fatalf("socklet exited with %v, want 0", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("socklet did not exit within 20s of SIGTERM")
	}
}
