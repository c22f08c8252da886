package abi

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The AssemblyScript SDK declares the host functions in sdk/assemblyscript/assembly/env.ts
// and the guest exports in .../exports.ts. These tests read those files as text, so
// they need no AssemblyScript toolchain, and fail when the SDK drifts from this package.

const asSDK = "../sdk/assemblyscript/assembly"

func readAS(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(asSDK, name))
	if err != nil {
		t.Fatalf("read AssemblyScript SDK: %v", err)
	}
	return string(b)
}

// asType maps an AssemblyScript parameter or result type to a wasm value type
// (wasm32: usize and isize are i32). ok is false for void.
func asType(t *testing.T, where, typ string) (ValueType, bool) {
	t.Helper()
	switch strings.TrimSpace(typ) {
	case "i32", "u32", "usize", "isize", "bool", "Status":
		return I32, true
	case "i64", "u64":
		return I64, true
	case "void":
		return 0, false
	}
	t.Errorf("%s: AssemblyScript type %q has no ABI mapping", where, typ)
	return 0, false
}

// asFunc builds a Func from an AssemblyScript parameter list and result type.
func asFunc(t *testing.T, name, params, result string) Func {
	t.Helper()
	f := Func{Name: name, Params: []ValueType{}, ParamNames: []string{}, Results: []ValueType{}}
	for _, p := range strings.Split(params, ",") {
		if strings.TrimSpace(p) == "" {
			continue
		}
		pname, ptype, ok := strings.Cut(p, ":")
		if !ok {
			t.Errorf("%s: parameter %q has no type", name, p)
			continue
		}
		vt, _ := asType(t, name, ptype)
		f.Params = append(f.Params, vt)
		f.ParamNames = append(f.ParamNames, strings.TrimSpace(pname))
	}
	if vt, ok := asType(t, name, result); ok {
		f.Results = append(f.Results, vt)
	}
	return f
}

func sameNames(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}

var asImportRE = regexp.MustCompile(`@external\("([^"]*)",\s*"([^"]*)"\)\s*export declare function (\w+)\(([^)]*)\):\s*(\w+);`)

func TestAssemblyScriptSDKImports(t *testing.T) {
	src := readAS(t, "env.ts")
	if n, m := strings.Count(src, "@external("), len(asImportRE.FindAllString(src, -1)); n != m {
		t.Errorf("env.ts has %d @external declarations but %d match the expected form", n, m)
	}
	seen := map[string]bool{}
	for _, m := range asImportRE.FindAllStringSubmatch(src, -1) {
		module, name, fn, params, result := m[1], m[2], m[3], m[4], m[5]
		if module != Module {
			t.Errorf("%s: import module %q, want %q", name, module, Module)
		}
		if fn != name {
			t.Errorf("%s: declared as %s; keep the ABI name", name, fn)
		}
		if seen[name] {
			t.Errorf("%s declared twice", name)
		}
		seen[name] = true
		want, ok := Import(name)
		if !ok {
			t.Errorf("env.ts imports %q, which is not a socklet host function", name)
			continue
		}
		got := asFunc(t, name, params, result)
		if got.Signature() != want.Signature() {
			t.Errorf("%s: SDK signature %s, ABI %s", name, got.Signature(), want.Signature())
		}
		if !sameNames(got.ParamNames, want.ParamNames) {
			t.Errorf("%s: SDK parameter names %v, ABI %v", name, got.ParamNames, want.ParamNames)
		}
	}
	for _, f := range Imports {
		if !seen[f.Name] {
			t.Errorf("the SDK does not declare host function %s %s", f.Name, f.Signature())
		}
	}
}

var asExportRE = regexp.MustCompile(`(?m)^export function (\w+)\(([^)]*)\):\s*(\w+)`)

func TestAssemblyScriptSDKExports(t *testing.T) {
	src := readAS(t, "exports.ts")
	seen := map[string]bool{}
	for _, m := range asExportRE.FindAllStringSubmatch(src, -1) {
		name := m[1]
		seen[name] = true
		want, ok := Export(name)
		if !ok {
			t.Errorf("exports.ts exports %q, which is not part of the ABI (every export there becomes a module export)", name)
			continue
		}
		got := asFunc(t, name, m[2], m[3])
		if got.Signature() != want.Signature() {
			t.Errorf("%s: SDK signature %s, ABI %s", name, got.Signature(), want.Signature())
		}
		if len(want.ParamNames) > 0 && !sameNames(got.ParamNames, want.ParamNames) {
			t.Errorf("%s: SDK parameter names %v, ABI %v", name, got.ParamNames, want.ParamNames)
		}
	}
	for _, f := range Exports {
		// _initialize is for WASI reactors; an AssemblyScript module runs its
		// start function at instantiation instead.
		if f.Name != InitializeExport && !seen[f.Name] {
			t.Errorf("the SDK does not export %s %s", f.Name, f.Signature())
		}
	}
	if other := regexp.MustCompile(`(?m)^export (const|let|var|class|enum|namespace) `).FindString(src); other != "" {
		t.Errorf("exports.ts exports %q: every export there becomes a module export of the plugin", other)
	}
}

// asEnum returns the members of `export enum name { A = 1, ... }` in status.ts.
func asEnum(t *testing.T, src, name string) map[string]int {
	t.Helper()
	body := regexp.MustCompile(`(?s)export enum ` + name + ` \{(.*?)\n\}`).FindStringSubmatch(src)
	if body == nil {
		t.Fatalf("status.ts: enum %s not found", name)
	}
	out := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(\w+) = (-?\d+),`).FindAllStringSubmatch(body[1], -1) {
		v, _ := strconv.Atoi(m[2])
		out[m[1]] = v
	}
	return out
}

func TestAssemblyScriptSDKConstants(t *testing.T) {
	src := readAS(t, "status.ts")
	statuses := map[string]Status{
		"OK": StatusOK, "BadHandle": StatusBadHandle, "Closed": StatusClosed, "QueueFull": StatusQueueFull,
		"InvalidArgument": StatusInvalidArgument, "TooLarge": StatusTooLarge, "InvalidUTF8": StatusInvalidUTF8,
		"BadPointer": StatusBadPointer, "NotFound": StatusNotFound, "Limit": StatusLimit,
	}
	if len(statuses) != len(Statuses()) {
		t.Fatalf("this test knows %d statuses, abi has %d: add the new ones", len(statuses), len(Statuses()))
	}
	checkEnum := func(enum string, want map[string]int) {
		got := asEnum(t, src, enum)
		if len(got) != len(want) {
			t.Errorf("enum %s has %d members, want %d", enum, len(got), len(want))
		}
		for k, v := range want {
			if g, ok := got[k]; !ok || g != v {
				t.Errorf("%s.%s = %d (present %v), want %d", enum, k, g, ok, v)
			}
		}
	}
	ws := map[string]int{}
	for k, v := range statuses {
		ws[k] = int(v)
		text := regexp.MustCompile(`case Status\.` + k + `: return "([^"]*)";`).FindStringSubmatch(src)
		if text == nil || text[1] != v.String() {
			t.Errorf("statusText(Status.%s) is %v, want %q", k, text, v.String())
		}
	}
	checkEnum("Status", ws)
	checkEnum("Info", map[string]int{"Path": int(InfoPath), "Query": int(InfoQuery), "RemoteAddr": int(InfoRemoteAddr),
		"Subprotocol": int(InfoSubprotocol), "Origin": int(InfoOrigin)})
	checkEnum("LogLevel", map[string]int{"Debug": int(LogDebug), "Info": int(LogInfo), "Warn": int(LogWarn), "Error": int(LogError)})

	limits := map[string]int{
		"MaxControlPayload": MaxControlPayload, "MaxCloseReason": MaxCloseReason, "MaxTopic": MaxTopic,
		"MaxAttachment": MaxAttachment, "MaxTimers": MaxTimers, "MaxSubscriptions": MaxSubscriptions,
		"MaxLogLine": MaxLogLine, "Accept": OpenAccept, "RejectMin": OpenRejectMin, "RejectMax": OpenRejectMax,
	}
	for name, want := range limits {
		m := regexp.MustCompile(`export const ` + name + `: i32 = ([^;]+);`).FindStringSubmatch(src)
		if m == nil {
			t.Errorf("status.ts lacks the constant %s", name)
			continue
		}
		if got := evalShift(m[1]); got != want {
			t.Errorf("%s = %s (%d), want %d", name, m[1], got, want)
		}
	}
}

// evalShift evaluates "N" or "N << M".
func evalShift(s string) int {
	a, b, shift := strings.Cut(s, "<<")
	x, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil {
		return -1
	}
	if shift {
		y, err := strconv.Atoi(strings.TrimSpace(b))
		if err != nil {
			return -1
		}
		x <<= y
	}
	return x
}

// TestAssemblyScriptTemplateCopiesSDK keeps the copy of the SDK that
// `socklet new assemblyscript` ships identical to the SDK (so the template
// cannot drift from the ABI either); sdk/assemblyscript/sync-template.sh
// refreshes it.
func TestAssemblyScriptTemplateCopiesSDK(t *testing.T) {
	const tpl = "../cmd/socklet/templates/assemblyscript/socklet-sdk"
	for _, dir := range []string{"assembly", "emulator"} {
		src := filepath.Join(asSDK, "..", dir)
		entries, err := os.ReadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		copied, err := os.ReadDir(filepath.Join(tpl, dir))
		if err != nil {
			t.Fatalf("template copy of the SDK: %v", err)
		}
		if len(copied) != len(entries) {
			t.Errorf("%s: the template has %d files, the SDK %d: run sdk/assemblyscript/sync-template.sh", dir, len(copied), len(entries))
		}
		for _, e := range entries {
			want, err := os.ReadFile(filepath.Join(src, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(tpl, dir, e.Name()))
			if err != nil || string(got) != string(want) {
				t.Errorf("%s/%s: the template's copy differs from the SDK (%v): run sdk/assemblyscript/sync-template.sh", dir, e.Name(), err)
			}
		}
	}
}
