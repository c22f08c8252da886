package plugins

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestCompileRejects(t *testing.T) {
	rt := newTestRuntime(t)
	cases := map[string][]string{
		"bad_missing.wasm": {
			"missing export socklet_abi_v1 () -> ()",
			"missing export socklet_alloc (i32) -> i32",
			`missing export "memory" (the linear memory)`,
		},
		"bad_imports.wasm": {
			"imports memory env.memory; a plugin must define and export its own memory",
			"import socklet.send_text has signature (i32, i32) -> i32, want (i64, i32, i32) -> i32",
			"import socklet.send_file is not a socklet ABI v1 host function",
			`import env.abort is not provided by the host (only modules "socklet" and "wasi_snapshot_preview1" are)`,
			"import wasi_snapshot_preview1.fd_write has signature (i32) -> i32, want (i32, i32, i32, i32) -> i32",
			"import wasi_snapshot_preview1.no_such_call is not provided by the host",
		},
		"bad_exports.wasm": {
			"export socklet_abi_v1 has signature () -> i32, want () -> ()",
			"export socklet_alloc has signature (i64) -> i64, want (i32) -> i32",
			"export socklet_on_open has signature (i64) -> (), want (i64) -> i32",
			"export socklet_on_text has signature (i32, i32, i32) -> (), want (i64, i32, i32) -> ()",
		},
	}
	for name, want := range cases {
		_, err := rt.Compile(context.Background(), name, fixture(t, name))
		var ime *InvalidModuleError
		if !errors.As(err, &ime) || !errors.Is(err, ErrInvalidModule) {
			t.Errorf("%s: %v, want an InvalidModuleError", name, err)
			continue
		}
		if !slices.Equal(ime.Problems, want) {
			t.Errorf("%s: problems\n  %s\nwant\n  %s", name, strings.Join(ime.Problems, "\n  "), strings.Join(want, "\n  "))
		}
		if !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error does not name the module: %v", name, err)
		}
	}
	if _, err := rt.Compile(context.Background(), "junk", []byte("not wasm")); err == nil {
		t.Error("junk compiled")
	}
}

func TestCompileDeduplicates(t *testing.T) {
	rt := newTestRuntime(t)
	ctx := context.Background()
	wasm := fixture(t, "echo.wasm")
	a, err := rt.Compile(ctx, "a", wasm)
	if err != nil {
		t.Fatal(err)
	}
	b, err := rt.Compile(ctx, "b", append([]byte(nil), wasm...))
	if err != nil {
		t.Fatal(err)
	}
	if a != b || a.Hash() != b.Hash() {
		t.Fatal("identical bytes compiled twice")
	}
	// Releasing one reference keeps the module usable.
	a.Release(ctx)
	r := newTestRoute(t, rt, b, RouteConfig{})
	c := newRecorder()
	h := open(t, r, c)
	if err := r.Text(ctx, h, []byte("x")); err != nil || !hasMessage(c, "x") {
		t.Fatalf("after one Release: %v", err)
	}
	_ = r.Close(ctx)
	b.Release(ctx)
	c2, err := rt.Compile(ctx, "c", wasm)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Release(ctx)
	if c2 == a {
		t.Fatal("a released module was handed out again")
	}
}

func TestCompilationCacheDir(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for range 2 {
		rt, err := NewRuntime(ctx, RuntimeConfig{CacheDir: dir, Logger: discard})
		if err != nil {
			t.Fatal(err)
		}
		m, err := rt.Compile(ctx, "echo", fixture(t, "echo.wasm"))
		if err != nil {
			t.Fatal(err)
		}
		m.Release(ctx)
		if err := rt.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestInspect(t *testing.T) {
	ctx := context.Background()
	rep, err := Inspect(ctx, fixture(t, "echo.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Valid || len(rep.Problems) != 0 {
		t.Fatalf("echo invalid: %v", rep.Problems)
	}
	out := rep.String()
	for _, want := range [][]string{
		{"exports:"},
		{"  socklet_on_text ", " (i64, i32, i32) -> () ", " # a whole text message"},
		{"  memory memory ", " pages 1.."},
		{"imports:"},
		{"  socklet.send_text ", " (i64, i32, i32) -> i32 ", " # queue a text message"},
		{"valid: yes (socklet ABI v1)"},
	} {
		if !hasLine(out, want...) {
			t.Errorf("report lacks a line with %q:\n%s", want, out)
		}
	}

	rep, err = Inspect(ctx, fixture(t, "bad_imports.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Valid || len(rep.Problems) != 6 {
		t.Fatalf("bad_imports: valid %v, %d problems", rep.Valid, len(rep.Problems))
	}
	out = rep.String()
	for _, want := range []string{"valid: no (6 problems)", "  - import socklet.send_file is not a socklet ABI v1 host function", "memory env.memory"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if _, err := Inspect(ctx, []byte("\x00asm junk")); err == nil {
		t.Error("Inspect accepted junk")
	}
}

// hasLine reports whether a line of out contains every part, in order.
func hasLine(out string, parts ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		rest, ok := line, true
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(p):]
		}
		if ok {
			return true
		}
	}
	return false
}
