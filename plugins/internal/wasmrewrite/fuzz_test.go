package wasmrewrite

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
)

// FuzzInstrument checks that Instrument never panics and that, whenever
// wazero accepts its input and Instrument returns bytes, wazero accepts
// them too. It validates with the interpreter (the same validation as the
// compiler's, without native code generation) to run fast; the table tests
// compile with the compiler. Run it with -parallel 1 on a small machine:
// wazero itself stalls on some inputs, taking gigabytes (seen 2026-11-23:
// a worker at 1.7 GB and no progress for a minute, inside wazero's
// decoding; Instrument's own memory is proportional to its input).
func FuzzInstrument(f *testing.F) {
	for _, name := range append(fixtures, "env") {
		f.Add(read(f, name+".wasm"))
	}
	f.Add(voidFunc(0x03, 0x40, 0x0b))
	f.Add(mod())
	ctx := context.Background()
	wr := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	f.Cleanup(func() { _ = wr.Close(ctx) })
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Instrument(in, flagName)
		if err != nil {
			return
		}
		c, err := wr.CompileModule(ctx, in)
		if err != nil {
			return // the input is invalid: so may the output be
		}
		_ = c.Close(ctx)
		c, err = wr.CompileModule(ctx, out)
		if err != nil {
			t.Fatalf("valid input, invalid output: %v", err)
		}
		_ = c.Close(ctx)
	})
}
