package wasmrewrite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

const flagName = "test:interrupt"

// fixtures are the WAT fixtures the table tests run; env.wat is the module
// mvp.wat imports its globals from.
var fixtures = []string{"mvp", "multivalue", "bulk", "simd"}

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFixturesUpToDate rebuilds every WAT fixture with wat2wasm and compares
// it with the committed .wasm (rebuild: go generate ./plugins/internal/wasmrewrite/).
func TestFixturesUpToDate(t *testing.T) {
	wat2wasm, err := exec.LookPath("wat2wasm")
	if err != nil {
		t.Skip("wat2wasm not installed (scripts/deps/wabt.sh)")
	}
	wats, _ := filepath.Glob("testdata/*.wat")
	dir := t.TempDir()
	for _, wat := range wats {
		out := filepath.Join(dir, "out.wasm")
		if b, err := exec.Command(wat2wasm, "--debug-names", wat, "-o", out).CombinedOutput(); err != nil {
			t.Errorf("wat2wasm %s: %v\n%s", wat, err, b)
			continue
		}
		built, _ := os.ReadFile(out)
		committed, err := os.ReadFile(strings.TrimSuffix(wat, ".wat") + ".wasm")
		if err != nil || !bytes.Equal(built, committed) {
			t.Errorf("%s is stale: run go generate ./plugins/internal/wasmrewrite/", wat)
		}
	}
}

// instance compiles wasm with wazero's compiler and default features in a
// new runtime that also has env.wasm as module "env".
func instance(t *testing.T, wasm []byte) api.Module {
	t.Helper()
	ctx := context.Background()
	wr := wazero.NewRuntime(ctx)
	t.Cleanup(func() { _ = wr.Close(ctx) })
	if _, err := wr.InstantiateWithConfig(ctx, read(t, "env.wasm"), wazero.NewModuleConfig().WithName("env")); err != nil {
		t.Fatal(err)
	}
	m, err := wr.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestInstrumentKeepsResults instruments each fixture, checks that wazero
// compiles the result, and that every export computes what it did before;
// then that setting the flag makes every export trap.
func TestInstrumentKeepsResults(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		period int32
	}{{"mvp", Period}, {"mvp", 1}, {"multivalue", Period}, {"multivalue", 1}, {"bulk", Period}, {"bulk", 1}, {"simd", Period}, {"simd", 1}} {
		name := tc.name
		t.Run(fmt.Sprintf("%s/period=%d", name, tc.period), func(t *testing.T) {
			in := read(t, name+".wasm")
			out, err := instrument(in, flagName, tc.period)
			if err != nil {
				t.Fatal(err)
			}
			checkSectionsKept(t, in, out)
			before, after := instance(t, in), instance(t, out)
			defs := before.ExportedFunctionDefinitions()
			names := make([]string, 0, len(defs))
			for n, d := range defs {
				if len(d.ParamTypes()) == 0 && n != "spin" {
					names = append(names, n)
				}
			}
			sort.Strings(names)
			if len(names) == 0 {
				t.Fatal("no export to compare")
			}
			for _, n := range names {
				want, err1 := before.ExportedFunction(n).Call(ctx)
				got, err2 := after.ExportedFunction(n).Call(ctx)
				if err1 != nil || err2 != nil {
					t.Fatalf("%s: %v / %v", n, err1, err2)
				}
				if len(want) == 0 || !equal(want, got) {
					t.Errorf("%s: instrumented %v, original %v", n, got, want)
				}
			}
			g, ok := after.ExportedGlobal(flagName).(api.MutableGlobal)
			if !ok || g.Type() != api.ValueTypeI32 || g.Get() != 0 {
				t.Fatalf("flag export: %v", after.ExportedGlobal(flagName))
			}
			if tc.period != 1 {
				return // TestInterruptRunningLoop stops a guest with the default period
			}
			// With a period of 1 every check reads the flag: once it is
			// set, every export traps at once.
			g.Set(1)
			for _, n := range names {
				if _, err := after.ExportedFunction(n).Call(ctx); err == nil || !strings.Contains(err.Error(), "unreachable") {
					t.Errorf("%s with the flag set: %v, want the unreachable trap", n, err)
				}
			}
		})
	}
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestInterruptRunningLoop sets the flag from another goroutine while the
// guest runs an infinite loop: wazero reloads the global at each
// iteration, so the call traps.
func TestInterruptRunningLoop(t *testing.T) {
	out, err := Instrument(read(t, "mvp.wasm"), flagName)
	if err != nil {
		t.Fatal(err)
	}
	m := instance(t, out)
	g := m.ExportedGlobal(flagName).(api.MutableGlobal)
	timer := time.AfterFunc(20*time.Millisecond, func() { g.Set(1) })
	defer timer.Stop()
	start := time.Now()
	_, err = m.ExportedFunction("spin").Call(context.Background())
	if err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("spin: %v, want the unreachable trap", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("spin ran %s after the flag was set", d)
	}
}

// sections splits a module into its sections (id and contents).
func sections(t *testing.T, wasm []byte) (ids []byte, bodies [][]byte) {
	t.Helper()
	r := &reader{b: wasm, pos: len(magic)}
	for !r.eof() {
		id, _ := r.byte()
		n, err := r.u32()
		if err != nil {
			t.Fatal(err)
		}
		b, err := r.bytes(uint64(n))
		if err != nil {
			t.Fatal(err)
		}
		ids, bodies = append(ids, id), append(bodies, b)
	}
	return ids, bodies
}

// checkSectionsKept checks that out has in's sections in the same order,
// with a global and an export section (and a memory section if in has no
// memory), and that every section but the global, export and code sections
// is identical.
func checkSectionsKept(t *testing.T, in, out []byte) {
	t.Helper()
	inIDs, inBodies := sections(t, in)
	outIDs, outBodies := sections(t, out)
	j := 0
	for i, id := range outIDs {
		if j < len(inIDs) && inIDs[j] == id {
			if id != secGlobal && id != secExport && id != secCode && !bytes.Equal(inBodies[j], outBodies[i]) {
				t.Errorf("section %d changed", id)
			}
			j++
			continue
		}
		if id != secMemory && id != secGlobal && id != secExport {
			t.Errorf("section %d added", id)
		}
	}
	if j != len(inIDs) {
		t.Errorf("sections of the input missing from the output: %v -> %v", inIDs, outIDs)
	}
}

// mod assembles a module from sections given as id then contents.
func mod(secs ...any) []byte {
	b := append([]byte(nil), magic...)
	for i := 0; i < len(secs); i += 2 {
		b = appendSection(b, byte(secs[i].(int)), secs[i+1].([]byte))
	}
	return b
}

// voidFunc is a module with one function () -> () whose code is expr
// (without its final end), and the sections given.
func voidFunc(expr ...byte) []byte {
	body := append([]byte{0x00}, expr...) // no locals
	body = append(body, 0x0b)
	code := appendU32([]byte{0x01}, uint32(len(body)))
	return mod(
		secType, []byte{0x01, 0x60, 0x00, 0x00},
		secFunction, []byte{0x01, 0x00},
		secCode, append(code, body...),
	)
}

func TestInstrumentMinimal(t *testing.T) {
	ctx := context.Background()
	for name, in := range map[string][]byte{
		"empty":           mod(),
		"custom only":     mod(secCustom, []byte{0x01, 'x', 0xaa}),
		"no global":       voidFunc(0x03, 0x40, 0x0b), // loop end
		"memory then end": mod(secMemory, []byte{0x01, 0x00, 0x01}, secCustom, []byte{0x01, 'y', 0x00}),
		"start": mod(
			secType, []byte{0x01, 0x60, 0x00, 0x00},
			secFunction, []byte{0x01, 0x00},
			secStart, []byte{0x00},
			secCode, []byte{0x01, 0x02, 0x00, 0x0b}),
	} {
		t.Run(name, func(t *testing.T) {
			wr := wazero.NewRuntime(ctx)
			defer wr.Close(ctx)
			if _, err := wr.CompileModule(ctx, in); err != nil {
				t.Fatalf("the input is invalid: %v", err)
			}
			out, err := Instrument(in, flagName)
			if err != nil {
				t.Fatal(err)
			}
			checkSectionsKept(t, in, out)
			c, err := wr.CompileModule(ctx, out)
			if err != nil {
				t.Fatalf("instrumented: %v", err)
			}
			m, err := wr.InstantiateModule(ctx, c, wazero.NewModuleConfig())
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := m.ExportedGlobal(flagName).(api.MutableGlobal); !ok {
				t.Error("flag not exported")
			}
		})
	}
}

func TestInstrumentRefuses(t *testing.T) {
	exportsFlag := mod(
		secGlobal, []byte{0x01, 0x7f, 0x00, 0x41, 0x00, 0x0b},
		secExport, append(appendName([]byte{0x01}, flagName), 0x03, 0x00))
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"not wasm", []byte("\x00asn\x01\x00\x00\x00"), "not a WebAssembly"},
		{"truncated", voidFunc(0x03, 0x40, 0x0b)[:30], "unexpected end"},
		{"reserved export", exportsFlag, "already exports"},
		{"legacy try", voidFunc(0x06, 0x40, 0x0b), "function 0: at byte 1 of the body, opcode 0x6"},
		{"tail call", voidFunc(0x12, 0x00), "opcode 0x12"},
		{"atomic", voidFunc(0x41, 0x00, 0xfe, 0x10, 0x02, 0x00, 0x1a), "opcode 0xfe 0x10"},
		{"unknown misc", voidFunc(0xfc, 0x12), "opcode 0xfc 0x12"},
		{"unknown simd", voidFunc(0xfd, 0x9a, 0x01), "opcode 0xfd 0x9a"},
		{"undeclared global", voidFunc(0x41, 0x00, 0x24, 0x00), "global 0 is not declared"},
		{"immediate past the end", voidFunc(0x44, 0x00), "function 0: at byte 1 of the body, opcode 0x44: wasmrewrite: unexpected end"},
		{"unknown section", append(mod(), 0x0d, 0x00), "unknown section id 13"},
		{"sections out of order", mod(secExport, []byte{0x00}, secType, []byte{0x00}), "out of order"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Instrument(tc.in, flagName)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v (%d bytes), want an error with %q", err, len(out), tc.want)
			}
		})
	}
}

// TestChecksInserted counts the checks in a function with two loops.
func TestChecksInserted(t *testing.T) {
	in := voidFunc(0x03, 0x40, 0x03, 0x40, 0x0b, 0x0b) // loop loop end end
	out, err := Instrument(in, flagName)
	if err != nil {
		t.Fatal(err)
	}
	check := (&module{flag: 0, fuel: 1, period: Period}).check()
	want := append(append([]byte{0x00}, check...), 0x03, 0x40)
	want = append(append(want, check...), 0x03, 0x40)
	want = append(append(want, check...), 0x0b, 0x0b, 0x0b)
	_, bodies := sections(t, out)
	code := bodies[len(bodies)-1]
	size := appendU32(nil, uint32(len(want)))
	if got := code[1:]; !bytes.Equal(got, append(size, want...)) {
		t.Fatalf("body %x, want %x%x", got, size, want)
	}
}

func TestErrorsAreValues(t *testing.T) {
	_, err := Instrument(voidFunc(0xfd, 0x9a), flagName)
	if !errors.Is(err, errUnknown) {
		t.Fatalf("%v does not wrap errUnknown", err)
	}
}
