package config_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/socklet/socklet/host/config"
)

// writeFile writes data to dir/name, creating directories.
func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadExample loads a copy of examples/socklet.toml in a temporary
// directory, with a placeholder file at each plugin path it names: the test
// proves the example is valid whether or not the example plugins are built.
func TestLoadExample(t *testing.T) {
	src, err := os.ReadFile("../../examples/socklet.toml")
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := config.Parse("socklet.toml", src)
	if err != nil {
		t.Fatalf("examples/socklet.toml: %v", err)
	}
	dir := t.TempDir()
	path := writeFile(t, dir, "socklet.toml", string(src))
	for _, r := range parsed.Routes {
		writeFile(t, dir, r.Plugin, "placeholder")
	}
	c, err := config.Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(c.Routes) != 3 {
		t.Fatalf("%d routes, want 3", len(c.Routes))
	}
	if c.File != path || c.Dir != dir {
		t.Errorf("File, Dir = %q, %q; want %q, %q", c.File, c.Dir, path, dir)
	}
	chat := c.Routes[1]
	if chat.Plugin != filepath.Join(dir, "rust", "chat", "chat.wasm") {
		t.Errorf("chat plugin = %q", chat.Plugin)
	}
	if !chat.Compression.Enabled || chat.EventTimeout.String() != "250ms" || chat.MaxMessageSize.String() != "64KiB" {
		t.Errorf("chat route = %+v", chat)
	}
	if v, _ := chat.ConfigValue("admins"); v != `["ana","bo"]` {
		t.Errorf(`config("admins") = %s`, v)
	}
	if !c.Routes[2].Compression.Enabled {
		t.Errorf("compression = true did not enable compression")
	}
}

// TestLoadExampleInPlace loads examples/socklet.toml where it is, when the
// example plugins have been built.
func TestLoadExampleInPlace(t *testing.T) {
	src, err := os.ReadFile("../../examples/socklet.toml")
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := config.Parse("../../examples/socklet.toml", src)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range parsed.Routes {
		if _, err := os.Stat(r.Plugin); err != nil {
			t.Skipf("example plugin not built: %v", err)
		}
	}
	if _, err := config.Load("../../examples/socklet.toml"); err != nil {
		t.Errorf("Load: %v", err)
	}
}

// TestRelativePaths checks that relative paths resolve against the config
// file's directory, and absolute ones stay.
func TestRelativePaths(t *testing.T) {
	dir := t.TempDir()
	abs := writeFile(t, t.TempDir(), "abs.wasm", "x")
	writeFile(t, dir, "plugins/echo.wasm", "x")
	writeFile(t, dir, "tls/cert.pem", "x")
	writeFile(t, dir, "tls/key.pem", "x")
	path := writeFile(t, dir, "conf/socklet.toml", `cache_dir = "../cache"
[tls]
cert_file = "../tls/cert.pem"
key_file = "../tls/key.pem"
[[route]]
path = "/echo"
plugin = "../plugins/echo.wasm"
watch = ["src/*.rs", "/etc/x/*.toml"]
[[route]]
path = "/abs"
plugin = "`+filepath.ToSlash(abs)+`"
`)
	// Load from another working directory, through a relative path.
	t.Chdir(filepath.Join(dir, "plugins"))
	c, err := config.Load("../conf/socklet.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{
		"cache_dir":       {c.CacheDir, filepath.Join(dir, "cache")},
		"tls.cert_file":   {c.TLS.CertFile, filepath.Join(dir, "tls", "cert.pem")},
		"tls.key_file":    {c.TLS.KeyFile, filepath.Join(dir, "tls", "key.pem")},
		"route[0].plugin": {c.Routes[0].Plugin, filepath.Join(dir, "plugins", "echo.wasm")},
		"route[0].watch":  {c.Routes[0].Watch[0], filepath.Join(dir, "conf", "src", "*.rs")},
		"route[0].watch1": {c.Routes[0].Watch[1], "/etc/x/*.toml"},
		"route[1].plugin": {c.Routes[1].Plugin, abs},
		"File":            {c.File, path},
	}
	for k, v := range want {
		if v[0] != v[1] {
			t.Errorf("%s = %q, want %q", k, v[0], v[1])
		}
	}

	// Parse of an embedded config keeps relative paths relative to its name.
	e, err := config.Parse("default.toml", []byte("[[route]]\npath = \"/echo\"\nplugin = \"echo.wasm\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Routes[0].Plugin != "echo.wasm" || e.File != "default.toml" || e.Dir != "." {
		t.Errorf("embedded: plugin %q, File %q, Dir %q", e.Routes[0].Plugin, e.File, e.Dir)
	}
	e, err = config.Parse("demo/default.toml", []byte("[[route]]\npath = \"/echo\"\nplugin = \"echo.wasm\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Routes[0].Plugin != filepath.Join("demo", "echo.wasm") {
		t.Errorf("embedded in a directory: plugin %q", e.Routes[0].Plugin)
	}
}

// TestLoadMissingFiles checks that Load (and not Parse) reports files that
// do not exist, with the other problems of the file.
func TestLoadMissingFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "cert.pem", "x")
	if err := os.Mkdir(filepath.Join(dir, "dir.wasm"), 0o755); err != nil {
		t.Fatal(err)
	}
	src := `[tls]
cert_file = "cert.pem"
key_file = "key.pem"
[[route]]
path = "/a"
plugin = "missing.wasm"
[[route]]
path = "/b"
plugin = "dir.wasm"
instances = 0
`
	path := writeFile(t, dir, "socklet.toml", src)
	_, err := config.Load(path)
	want := strings.Join([]string{
		path + ":3: tls.key_file: " + filepath.Join(dir, "key.pem") + " does not exist",
		path + ":6: route[0].plugin: " + filepath.Join(dir, "missing.wasm") + " does not exist",
		path + ":9: route[1].plugin: " + filepath.Join(dir, "dir.wasm") + " is not a regular file",
		path + ":10: route[1].instances: 0 is out of range 1..64",
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("Load error:\n%v\nwant:\n%s", err, want)
	}
	// Parse does not look at the file system.
	if _, err := config.Parse("socklet.toml", []byte(strings.Replace(src, "instances = 0", "", 1))); err != nil {
		t.Errorf("Parse: %v", err)
	}
}

func TestLoadUnreadable(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "none.toml"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "config: open ") {
		t.Errorf("Load of a missing file = %v", err)
	}
	var ce *config.Error
	if errors.As(err, &ce) {
		t.Errorf("a read error is not a *config.Error")
	}
}
