package conformance

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/socklet/socklet/host/config"
	"github.com/socklet/socklet/plugins"
)

// TestExampleConfigs checks, for every example of every language, that its
// socklet.toml loads, serves the example's committed .wasm, and that the
// module is a valid ABI v1 plugin (plugins.Inspect, the check of `socklet
// check`) importing only from module "socklet" (and WASI for standard Go).
// It needs no toolchain.
func TestExampleConfigs(t *testing.T) {
	root := repoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, "examples", "*", "*", "socklet.toml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples/*/*/socklet.toml (%v)", err)
	}
	for _, file := range files {
		dir := filepath.Dir(file)
		name := filepath.Base(dir)
		rel, _ := filepath.Rel(root, dir)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			cfg, err := config.Load(file)
			if err != nil {
				t.Fatalf("socklet.toml: %v", err)
			}
			if len(cfg.Routes) == 0 {
				t.Fatal("socklet.toml has no route")
			}
			want := filepath.Join(dir, name+".wasm")
			served := false
			for _, r := range cfg.Routes {
				if filepath.Clean(r.Plugin) == want {
					served = true
				}
			}
			if !served {
				t.Errorf("socklet.toml does not serve %s.wasm (routes: %+v)", name, cfg.Routes)
			}
			wasm, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := plugins.Inspect(context.Background(), wasm)
			if err != nil {
				t.Fatalf("%s.wasm: %v", name, err)
			}
			if !rep.Valid {
				t.Errorf("%s.wasm is not a valid plugin:\n%s", name, rep)
			}
			// Only standard Go needs WASI (its runtime); every other
			// language imports from module "socklet" alone.
			lang := filepath.Base(filepath.Dir(dir))
			for _, imp := range rep.Imports {
				if imp.Module != "socklet" && (lang != "go" || imp.Module != "wasi_snapshot_preview1") {
					t.Errorf("%s.wasm imports %s.%s", name, imp.Module, imp.Name)
				}
			}
		})
	}
}
