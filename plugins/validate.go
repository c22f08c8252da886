package plugins

import (
	"fmt"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/socklet/socklet/abi"
)

// InvalidModuleError says why a module is not a valid ABI v1 plugin.
type InvalidModuleError struct {
	Name     string
	Problems []string // every problem, in a stable order
}

func (e *InvalidModuleError) Error() string {
	return fmt.Sprintf("plugins: %s is not a valid socklet plugin: %s", e.Name, strings.Join(e.Problems, "; "))
}

// Is makes errors.Is(err, ErrInvalidModule) true.
func (e *InvalidModuleError) Is(target error) bool { return target == ErrInvalidModule }

// shape is what validation needs to know of a compiled module.
type shape struct {
	exports  map[string]api.FunctionDefinition
	imports  []api.FunctionDefinition
	memories map[string]api.MemoryDefinition // exported
	imported []api.MemoryDefinition          // imported memories
}

func shapeOf(c wazero.CompiledModule) *shape {
	s := &shape{
		exports:  c.ExportedFunctions(),
		imports:  c.ImportedFunctions(),
		memories: c.ExportedMemories(),
		imported: c.ImportedMemories(),
	}
	return s
}

// signature renders a function definition like abi.Func.Signature.
func signature(params, results []api.ValueType) string {
	f := abi.Func{}
	for _, p := range params {
		f.Params = append(f.Params, abi.ValueType(p))
	}
	for _, r := range results {
		f.Results = append(f.Results, abi.ValueType(r))
	}
	return f.Signature()
}

func defSignature(d api.FunctionDefinition) string {
	return signature(d.ParamTypes(), d.ResultTypes())
}

func sameTypes(a []api.ValueType, b []abi.ValueType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != api.ValueType(b[i]) {
			return false
		}
	}
	return true
}

func matches(d api.FunctionDefinition, f abi.Func) bool {
	return sameTypes(d.ParamTypes(), f.Params) && sameTypes(d.ResultTypes(), f.Results)
}

// problems lists every reason the module is not a valid ABI v1 plugin, given
// the WASI functions the host provides.
func (s *shape) problems(wasi map[string]api.FunctionDefinition) []string {
	var out []string
	for _, f := range abi.Exports {
		d, ok := s.exports[f.Name]
		switch {
		case !ok && f.Required:
			out = append(out, fmt.Sprintf("missing export %s %s", f.Name, f.Signature()))
		case ok && !matches(d, f):
			out = append(out, fmt.Sprintf("export %s has signature %s, want %s", f.Name, defSignature(d), f.Signature()))
		}
	}
	if _, ok := s.memories[abi.MemoryExport]; !ok {
		out = append(out, fmt.Sprintf("missing export %q (the linear memory)", abi.MemoryExport))
	}
	for _, m := range s.imported {
		mod, name, _ := m.Import()
		out = append(out, fmt.Sprintf("imports memory %s.%s; a plugin must define and export its own memory", mod, name))
	}
	for _, d := range s.imports {
		mod, name, _ := d.Import()
		switch mod {
		case abi.Module:
			f, ok := abi.Import(name)
			if !ok {
				out = append(out, fmt.Sprintf("import %s.%s is not a socklet ABI v1 host function", mod, name))
			} else if !matches(d, f) {
				out = append(out, fmt.Sprintf("import %s.%s has signature %s, want %s", mod, name, defSignature(d), f.Signature()))
			}
		case wasiModule:
			w, ok := wasi[name]
			if !ok {
				out = append(out, fmt.Sprintf("import %s.%s is not provided by the host", mod, name))
			} else if want := defSignature(w); defSignature(d) != want {
				out = append(out, fmt.Sprintf("import %s.%s has signature %s, want %s", mod, name, defSignature(d), want))
			}
		default:
			out = append(out, fmt.Sprintf("import %s.%s is not provided by the host (only modules %q and %q are)", mod, name, abi.Module, wasiModule))
		}
	}
	return out
}
