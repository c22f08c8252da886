package abi

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The Rust SDK (sdk/rust) declares the host imports in src/sys.rs, mirrors
// them in its emulator (src/testing/fake.rs) and emits the exports from the
// plugin! macro (src/macros.rs). These tests read that source text, so they
// need no Rust toolchain, and fail when the SDK drifts from this package.

const rustSDK = "../sdk/rust/src"

// rustWasmType maps a Rust parameter or result type to the WebAssembly type
// it lowers to on wasm32.
var rustWasmType = map[string]ValueType{
	"i64": I64, "u64": I64,
	"i32": I32, "u32": I32, "usize": I32, "isize": I32,
	"*const u8": I32, "*mut u8": I32,
}

// rustFn matches a Rust function signature; group 1 is the name, 2 the
// parameter list (possibly over several lines), 3 the result type if any.
func rustFn(prefix string) *regexp.Regexp {
	return regexp.MustCompile(prefix + `fn (\w+)\(([^)]*)\)(?:\s*->\s*([\w* ]+?))?\s*[;{]`)
}

func readRust(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(rustSDK, name))
	if err != nil {
		t.Fatalf("read Rust SDK source: %v", err)
	}
	return string(b)
}

// parseRustFns returns the functions matched by re in src as abi Funcs.
func parseRustFns(t *testing.T, file, src string, re *regexp.Regexp) map[string]Func {
	t.Helper()
	out := map[string]Func{}
	for _, m := range re.FindAllStringSubmatch(src, -1) {
		f := Func{Name: m[1], Params: []ValueType{}, ParamNames: []string{}, Results: []ValueType{}}
		for _, p := range strings.Split(m[2], ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			name, typ, ok := strings.Cut(p, ":")
			typ = strings.TrimSpace(typ)
			vt, known := rustWasmType[typ]
			if !ok || !known {
				t.Errorf("%s: %s: parameter %q has no ABI type", file, f.Name, p)
				continue
			}
			f.Params = append(f.Params, vt)
			f.ParamNames = append(f.ParamNames, strings.TrimSpace(name))
		}
		if r := strings.TrimSpace(m[3]); r != "" {
			vt, known := rustWasmType[r]
			if !known {
				t.Errorf("%s: %s: result %q has no ABI type", file, f.Name, r)
			}
			f.Results = append(f.Results, vt)
		}
		if _, dup := out[f.Name]; dup {
			t.Errorf("%s: %s declared twice", file, f.Name)
		}
		out[f.Name] = f
	}
	return out
}

func compareFuncs(t *testing.T, file string, want []Func, got map[string]Func) {
	t.Helper()
	for _, w := range want {
		g, ok := got[w.Name]
		if !ok {
			t.Errorf("%s: %s is missing", file, w.Name)
			continue
		}
		if g.Signature() != w.Signature() {
			t.Errorf("%s: %s has signature %s, the ABI says %s", file, w.Name, g.Signature(), w.Signature())
		}
		if len(w.Params) > 0 && strings.Join(g.ParamNames, ",") != strings.Join(w.ParamNames, ",") {
			t.Errorf("%s: %s has parameters (%s), the ABI names them (%s)", file, w.Name,
				strings.Join(g.ParamNames, ", "), strings.Join(w.ParamNames, ", "))
		}
		delete(got, w.Name)
	}
	for name := range got {
		t.Errorf("%s: %s is not part of the ABI", file, name)
	}
}

func TestRustSDKImports(t *testing.T) {
	src := readRust(t, "sys.rs")
	if !strings.Contains(src, `#[link(wasm_import_module = "`+Module+`")]`) {
		t.Errorf("sys.rs: the extern block is not linked to module %q", Module)
	}
	start := strings.Index(src, `extern "C" {`)
	end := strings.Index(src[max(start, 0):], "\n}")
	if start < 0 || end < 0 {
		t.Fatal(`sys.rs: no extern "C" block`)
	}
	block := src[start : start+end]
	compareFuncs(t, "sys.rs", Imports, parseRustFns(t, "sys.rs", block, rustFn(`pub `)))
}

func TestRustSDKEmulatorImports(t *testing.T) {
	src := readRust(t, "testing/fake.rs")
	compareFuncs(t, "testing/fake.rs", Imports, parseRustFns(t, "testing/fake.rs", src, rustFn(`pub unsafe `)))
}

func TestRustSDKExports(t *testing.T) {
	src := readRust(t, "macros.rs")
	got := parseRustFns(t, "macros.rs", src, rustFn(`#\[no_mangle\]\s*pub extern "C" `))
	var want []Func
	for _, f := range Exports {
		if f.Name != ExportInitial { // a wasm32-unknown-unknown module has no WASI initializer
			want = append(want, f)
		}
	}
	compareFuncs(t, "macros.rs", want, got)
}

func TestRustSDKStatuses(t *testing.T) {
	src := readRust(t, "error.rs")
	fromStatus := map[Status]string{}
	for _, m := range regexp.MustCompile(`(-\d+) => Error::(\w+),`).FindAllStringSubmatch(src, -1) {
		n, _ := strconv.Atoi(m[1])
		fromStatus[Status(n)] = m[2]
	}
	toStatus := map[string]Status{}
	for _, m := range regexp.MustCompile(`Error::(\w+) => (-\d+),`).FindAllStringSubmatch(src, -1) {
		n, _ := strconv.Atoi(m[2])
		toStatus[m[1]] = Status(n)
	}
	words := map[string]string{}
	for _, m := range regexp.MustCompile(`Error::(\w+) => "([^"]+)",`).FindAllStringSubmatch(src, -1) {
		words[m[1]] = m[2]
	}
	for _, s := range Statuses() {
		if s == StatusOK {
			continue
		}
		v, ok := fromStatus[s]
		if !ok {
			t.Errorf("error.rs: Error::from_status does not map %d (%s)", s, s)
			continue
		}
		if toStatus[v] != s {
			t.Errorf("error.rs: Error::%s.status() is %d, want %d", v, toStatus[v], s)
		}
		if words[v] != s.String() {
			t.Errorf("error.rs: Error::%s.as_str() is %q, want %q", v, words[v], s.String())
		}
		delete(fromStatus, s)
	}
	for s, v := range fromStatus {
		t.Errorf("error.rs: status %d maps to Error::%s but is not an ABI status", s, v)
	}
}
