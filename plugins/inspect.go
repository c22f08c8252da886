package plugins

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero"

	"github.com/socklet/socklet/abi"
	"github.com/socklet/socklet/plugins/internal/wasmrewrite"
)

// Report is what Inspect found in a module, for `socklet check`.
type Report struct {
	Valid    bool     // a valid ABI v1 plugin: Problems is empty
	Exports  []Symbol // exported functions and memories, by name
	Imports  []Symbol // imported functions and memories, by module then name
	Problems []string // every reason the module is not valid
}

// Symbol is one export or import of a module.
type Symbol struct {
	Module    string // import module; "" for an export
	Name      string
	Kind      string // "func" or "memory"
	Signature string // "(i64, i32, i32) -> i32" for a function; "pages 1..16" (or "1..") for a memory
	Doc       string // what the ABI says of it; "" when it is not part of the ABI
}

// Inspect decodes and validates wasm without instantiating it (with
// wazero's interpreter: no native compilation) and reports every export,
// every import and every problem. An error means wasm is not a WebAssembly
// module at all.
func Inspect(ctx context.Context, wasm []byte) (*Report, error) {
	wr := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer wr.Close(ctx)
	wasi, err := instantiateHostModules(ctx, wr)
	if err != nil {
		return nil, err
	}
	compiled, err := wr.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("plugins: not a valid WebAssembly module: %w", err)
	}
	s := shapeOf(compiled)
	rep := &Report{Problems: s.problems(wasi)}
	// Runtime.Compile instruments the module; what it cannot instrument
	// is refused at load. The report shows the user's module, not ours.
	if _, err := wasmrewrite.Instrument(wasm, interruptExport); err != nil {
		rep.Problems = append(rep.Problems, err.Error())
	}
	rep.Valid = len(rep.Problems) == 0
	for name, d := range s.exports {
		sym := Symbol{Name: name, Kind: "func", Signature: defSignature(d)}
		if f, ok := abi.Export(name); ok {
			sym.Doc = f.Doc
		}
		rep.Exports = append(rep.Exports, sym)
	}
	for name, m := range s.memories {
		rep.Exports = append(rep.Exports, Symbol{Name: name, Kind: "memory", Signature: pages(m.Min(), m.Max)})
	}
	for _, d := range s.imports {
		mod, name, _ := d.Import()
		sym := Symbol{Module: mod, Name: name, Kind: "func", Signature: defSignature(d)}
		if f, ok := abi.Import(name); ok && mod == abi.Module {
			sym.Doc = f.Doc
		} else if _, ok := wasi[name]; ok && mod == wasiModule {
			sym.Doc = "WASI preview1"
		}
		rep.Imports = append(rep.Imports, sym)
	}
	for _, m := range s.imported {
		mod, name, _ := m.Import()
		rep.Imports = append(rep.Imports, Symbol{Module: mod, Name: name, Kind: "memory", Signature: pages(m.Min(), m.Max)})
	}
	sort.Slice(rep.Exports, func(i, j int) bool { return rep.Exports[i].Name < rep.Exports[j].Name })
	sort.Slice(rep.Imports, func(i, j int) bool {
		a, b := rep.Imports[i], rep.Imports[j]
		return a.Module < b.Module || (a.Module == b.Module && a.Name < b.Name)
	})
	return rep, nil
}

func pages(min uint32, max func() (uint32, bool)) string {
	if m, ok := max(); ok {
		return fmt.Sprintf("pages %d..%d", min, m)
	}
	return fmt.Sprintf("pages %d..", min)
}

// String prints the report: exports, imports, validity and every problem.
func (r *Report) String() string {
	var b strings.Builder
	b.WriteString("exports:\n")
	writeSymbols(&b, r.Exports)
	b.WriteString("imports:\n")
	writeSymbols(&b, r.Imports)
	if r.Valid {
		fmt.Fprintf(&b, "valid: yes (socklet ABI v%d)\n", abi.Version)
		return b.String()
	}
	fmt.Fprintf(&b, "valid: no (%d problems)\n", len(r.Problems))
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  - %s\n", p)
	}
	return b.String()
}

func writeSymbols(b *strings.Builder, syms []Symbol) {
	if len(syms) == 0 {
		b.WriteString("  (none)\n")
		return
	}
	width, sigWidth := 0, 0
	names := make([]string, len(syms))
	for i, s := range syms {
		names[i] = s.Name
		if s.Module != "" {
			names[i] = s.Module + "." + s.Name
		}
		if s.Kind == "memory" {
			names[i] = "memory " + names[i]
		}
		width = max(width, len(names[i]))
		sigWidth = max(sigWidth, len(s.Signature))
	}
	for i, s := range syms {
		line := fmt.Sprintf("  %-*s  %-*s", width, names[i], sigWidth, s.Signature)
		if s.Doc != "" {
			line += "  # " + s.Doc
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
}
