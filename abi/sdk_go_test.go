package abi

import (
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The Go SDK (sdk/go, its own module, so it cannot import this package)
// declares the raw ABI with //go:wasmimport and //go:wasmexport and copies
// the statuses, info keys, log levels and limits. These tests read its source
// and check every declaration against this package; they need no toolchain.

const goSDK = "../sdk/go"

// goSDKFile parses one file of the Go SDK, keeping comments (directives).
func goSDKFile(t *testing.T, name string) *ast.File {
	t.Helper()
	path := filepath.Join(goSDK, name)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the Go SDK file is missing: %v", err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// goSDKType maps a Go parameter type of a wasm directive to its wasm type.
func goSDKType(t *testing.T, where string, e ast.Expr) ValueType {
	t.Helper()
	var name string
	switch e := e.(type) {
	case *ast.Ident:
		name = e.Name
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok {
			name = x.Name + "." + e.Sel.Name
		}
	}
	switch name {
	case "int32", "uint32", "unsafe.Pointer":
		return I32
	case "int64", "uint64":
		return I64
	}
	t.Errorf("%s: Go type %s has no ABI wasm type", where, name)
	return 0
}

// goSDKFuncs returns the functions of file carrying the directive (e.g.
// "//go:wasmimport"), keyed by the name the directive gives, with the
// directive's other words (the import module) in Doc.
func goSDKFuncs(t *testing.T, file, directive string) map[string]Func {
	t.Helper()
	out := map[string]Func{}
	for _, d := range goSDKFile(t, file).Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Doc == nil {
			continue
		}
		for _, c := range fd.Doc.List {
			words := strings.Fields(c.Text)
			if len(words) == 0 || words[0] != directive {
				continue
			}
			name := words[len(words)-1]
			where := file + ": " + fd.Name.Name
			f := Func{Name: name, Params: []ValueType{}, Results: []ValueType{}, Doc: strings.Join(words[1:len(words)-1], " ")}
			for _, p := range fd.Type.Params.List {
				n := max(len(p.Names), 1)
				for range n {
					f.Params = append(f.Params, goSDKType(t, where, p.Type))
				}
			}
			if fd.Type.Results != nil {
				for _, r := range fd.Type.Results.List {
					f.Results = append(f.Results, goSDKType(t, where, r.Type))
				}
			}
			if _, dup := out[name]; dup {
				t.Errorf("%s: %s declared twice", file, name)
			}
			out[name] = f
		}
	}
	return out
}

func TestGoSDKImports(t *testing.T) {
	got := goSDKFuncs(t, "wasm_imports.go", "//go:wasmimport")
	if len(got) != len(Imports) {
		t.Errorf("the Go SDK declares %d imports, the ABI has %d", len(got), len(Imports))
	}
	for _, want := range Imports {
		f, ok := got[want.Name]
		if !ok {
			t.Errorf("import %s missing from the Go SDK", want.Name)
			continue
		}
		if f.Doc != Module {
			t.Errorf("import %s from module %q, want %q", want.Name, f.Doc, Module)
		}
		if f.Signature() != want.Signature() {
			t.Errorf("import %s: Go SDK %s, ABI %s", want.Name, f.Signature(), want.Signature())
		}
	}
	for name := range got {
		if _, ok := Import(name); !ok {
			t.Errorf("the Go SDK imports %s, which the ABI does not have", name)
		}
	}
}

func TestGoSDKExports(t *testing.T) {
	got := goSDKFuncs(t, "wasm_exports.go", "//go:wasmexport")
	for _, want := range Exports {
		if want.Name == ExportInitial {
			continue // made by the compiler (c-shared), not the SDK
		}
		f, ok := got[want.Name]
		if !ok {
			t.Errorf("export %s missing from the Go SDK", want.Name)
			continue
		}
		if f.Signature() != want.Signature() {
			t.Errorf("export %s: Go SDK %s, ABI %s", want.Name, f.Signature(), want.Signature())
		}
	}
	for name := range got {
		if _, ok := Export(name); !ok || name == ExportInitial {
			t.Errorf("the Go SDK exports %s, which is not an ABI export", name)
		}
	}
}

// TestGoSDKEmulatorInterface checks that the native emulator's interface
// (sdk/go/internal/hostabi) has one method per host function.
func TestGoSDKEmulatorInterface(t *testing.T) {
	methods := map[string]int{}
	ast.Inspect(goSDKFile(t, "internal/hostabi/hostabi.go"), func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "Host" {
			return true
		}
		for _, m := range ts.Type.(*ast.InterfaceType).Methods.List {
			ft := m.Type.(*ast.FuncType)
			count := 0
			for _, p := range ft.Params.List {
				count += max(len(p.Names), 1)
			}
			methods[m.Names[0].Name] = count
		}
		return false
	})
	for _, f := range Imports {
		camel := ""
		for _, w := range strings.Split(f.Name, "_") {
			camel += strings.ToUpper(w[:1]) + w[1:]
		}
		if _, ok := methods[camel]; !ok {
			t.Errorf("hostabi.Host has no method %s for import %s", camel, f.Name)
		}
		delete(methods, camel)
	}
	for m := range methods {
		t.Errorf("hostabi.Host has method %s, which matches no import", m)
	}
}

// goSDKConsts evaluates the integer constants of a file of the Go SDK.
func goSDKConsts(t *testing.T, file string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	var eval func(ast.Expr) constant.Value
	eval = func(e ast.Expr) constant.Value {
		switch e := e.(type) {
		case *ast.BasicLit:
			return constant.MakeFromLiteral(e.Value, e.Kind, 0)
		case *ast.ParenExpr:
			return eval(e.X)
		case *ast.UnaryExpr:
			return constant.UnaryOp(e.Op, eval(e.X), 0)
		case *ast.BinaryExpr:
			x, y := eval(e.X), eval(e.Y)
			if e.Op == token.SHL || e.Op == token.SHR {
				s, _ := constant.Uint64Val(y)
				return constant.Shift(x, e.Op, uint(s))
			}
			return constant.BinaryOp(x, e.Op, y)
		}
		t.Errorf("%s: cannot evaluate %T", file, e)
		return constant.MakeUnknown()
	}
	for _, d := range goSDKFile(t, file).Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i < len(vs.Values) {
					v, _ := constant.Int64Val(eval(vs.Values[i]))
					out[n.Name] = v
				}
			}
		}
	}
	return out
}

func TestGoSDKConstants(t *testing.T) {
	errs := goSDKConsts(t, "errors.go")
	statusNames := map[Status]string{
		StatusBadHandle: "ErrBadHandle", StatusClosed: "ErrClosed", StatusQueueFull: "ErrQueueFull",
		StatusInvalidArgument: "ErrInvalidArgument", StatusTooLarge: "ErrTooLarge",
		StatusInvalidUTF8: "ErrInvalidUTF8", StatusBadPointer: "ErrBadPointer",
		StatusNotFound: "ErrNotFound", StatusLimit: "ErrLimit",
	}
	for _, s := range Statuses() {
		if s == StatusOK {
			continue
		}
		name, ok := statusNames[s]
		if !ok {
			t.Errorf("status %d (%s) is new: add it to the Go SDK's errors.go and to this test", s, s)
			continue
		}
		if v, ok := errs[name]; !ok || v != int64(s) {
			t.Errorf("Go SDK %s = %d (present %v), ABI status %s = %d", name, v, ok, s, s)
		}
	}

	consts := goSDKConsts(t, "consts.go")
	want := map[string]int64{
		"InfoPath": int64(InfoPath), "InfoQuery": int64(InfoQuery), "InfoRemoteAddr": int64(InfoRemoteAddr),
		"InfoSubprotocol": int64(InfoSubprotocol), "InfoOrigin": int64(InfoOrigin),
		"LevelDebug": int64(LogDebug), "LevelInfo": int64(LogInfo), "LevelWarn": int64(LogWarn),
		"LevelError":        int64(LogError),
		"MaxControlPayload": MaxControlPayload, "MaxCloseReason": MaxCloseReason, "MaxTopic": MaxTopic,
		"MaxAttachment": MaxAttachment, "MaxTimers": MaxTimers, "MaxSubscriptions": MaxSubscriptions,
		"MaxLogLine": MaxLogLine,
	}
	for name, v := range want {
		if got, ok := consts[name]; !ok || got != v {
			t.Errorf("Go SDK %s = %d (present %v), ABI %d", name, got, ok, v)
		}
	}
	if len(consts) != len(want) {
		t.Errorf("consts.go has %d constants, this test knows %d: check the new ones against the ABI", len(consts), len(want))
	}
}
