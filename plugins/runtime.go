package plugins

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/socklet/socklet/abi"
	"github.com/socklet/socklet/plugins/internal/wasmrewrite"
)

// wasiModule is the import module name of WASI preview1.
const wasiModule = wasi_snapshot_preview1.ModuleName

// RuntimeConfig configures a [Runtime].
type RuntimeConfig struct {
	// CacheDir, when not empty, is a directory where compiled modules are
	// kept across restarts (wazero.NewCompilationCacheWithDir).
	CacheDir string
	// Logger receives runtime messages; nil means slog.Default().
	Logger *slog.Logger
}

// Runtime is the process's wazero runtime: the compiler engine with a
// compilation cache, WASI preview1 without any capability but clocks,
// random and stdout/stderr, and the "socklet" host module of abi.Imports.
// It does not use wazero's WithCloseOnContextDone: Compile instruments each
// module with a stop flag that the watchdog sets (see watchdog). It is safe
// for concurrent use.
type Runtime struct {
	wr    wazero.Runtime
	cache wazero.CompilationCache
	log   *slog.Logger
	wd    *watchdog
	wasi  map[string]api.FunctionDefinition // WASI functions a plugin may import

	mu      sync.Mutex // guards modules and closed; held while compiling
	modules map[[32]byte]*Module
	closed  bool
}

// interruptExport is the name under which Compile exports a module's stop flag
// (wasmrewrite.Instrument); a module that exports it itself is refused.
const interruptExport = "socklet:interrupt"

// NewRuntime creates the runtime and instantiates the host modules.
func NewRuntime(ctx context.Context, cfg RuntimeConfig) (*Runtime, error) {
	rc := wazero.NewRuntimeConfig()
	rt := &Runtime{log: cfg.Logger, modules: map[[32]byte]*Module{}}
	if rt.log == nil {
		rt.log = slog.Default()
	}
	if cfg.CacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("plugins: compilation cache: %w", err)
		}
		rt.cache = cache
		rc = rc.WithCompilationCache(cache)
	}
	rt.wr = wazero.NewRuntimeWithConfig(ctx, rc)
	wasi, err := instantiateHostModules(ctx, rt.wr)
	if err != nil {
		_ = rt.wr.Close(ctx)
		return nil, err
	}
	rt.wasi = wasi
	rt.wd = newWatchdog(watchdogTick)
	return rt, nil
}

// instantiateHostModules adds the socklet host module and WASI preview1 to
// wr and returns the WASI function definitions by name.
func instantiateHostModules(ctx context.Context, wr wazero.Runtime) (map[string]api.FunctionDefinition, error) {
	b := wr.NewHostModuleBuilder(abi.Module)
	for _, f := range abi.Imports {
		fn, ok := hostFuncs[f.Name]
		if !ok {
			return nil, fmt.Errorf("plugins: no implementation of host function %s", f.Name)
		}
		fb := b.NewFunctionBuilder().
			WithGoModuleFunction(fn, valueTypes(f.Params), valueTypes(f.Results)).
			WithParameterNames(f.ParamNames...)
		if len(f.Results) == 1 {
			name := "status"
			if f.Name == abi.FuncNowMs {
				name = "ms"
			}
			fb = fb.WithResultNames(name)
		}
		fb.Export(f.Name)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return nil, fmt.Errorf("plugins: host module: %w", err)
	}
	// WASI preview1 without capabilities: each instance's ModuleConfig
	// grants only clocks, random and stdout/stderr.
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, wr); err != nil {
		return nil, fmt.Errorf("plugins: WASI: %w", err)
	}
	return wr.Module(wasiModule).ExportedFunctionDefinitions(), nil
}

// Close closes the runtime and every module. Close routes first: an
// instance still in a call when its runtime closes fails that call.
func (rt *Runtime) Close(ctx context.Context) error {
	rt.mu.Lock()
	if rt.closed {
		rt.mu.Unlock()
		return nil
	}
	rt.closed = true
	rt.mu.Unlock()
	rt.wd.stop()
	err := rt.wr.Close(ctx)
	if rt.cache != nil {
		err = errors.Join(err, rt.cache.Close(ctx))
	}
	return err
}

// Compile instruments (wasmrewrite.Instrument), compiles and validates a
// module named name (a label for errors and logs). Compiles are serialized (a large module takes about a second;
// with RuntimeConfig.CacheDir, a module compiled before loads in
// milliseconds). Identical bytes (by SHA-256) return the same *Module with one
// more reference; every successful Compile must be paired with one
// Module.Release. An invalid module fails with an *InvalidModuleError
// listing every problem (errors.Is(err, ErrInvalidModule)), as is a module
// the instrumentation cannot handle (an instruction of a proposal wazero's
// default features refuse, or an export named "socklet:interrupt").
func (rt *Runtime) Compile(ctx context.Context, name string, wasm []byte) (*Module, error) {
	hash := sha256.Sum256(wasm)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed {
		return nil, errors.New("plugins: runtime closed")
	}
	if m := rt.modules[hash]; m != nil {
		m.refs++
		return m, nil
	}
	stoppable, err := wasmrewrite.Instrument(wasm, interruptExport)
	if err != nil {
		// Prefer wazero's account of a module that is not valid at all.
		c, cerr := rt.wr.CompileModule(ctx, wasm)
		if cerr != nil {
			return nil, fmt.Errorf("plugins: %s: %w", name, cerr)
		}
		_ = c.Close(ctx)
		return nil, &InvalidModuleError{Name: name, Problems: []string{err.Error()}}
	}
	// The compilation cache keys on the instrumented bytes: a change of
	// the instrumentation compiles anew.
	compiled, err := rt.wr.CompileModule(ctx, stoppable)
	if err != nil {
		return nil, fmt.Errorf("plugins: %s: %w", name, err)
	}
	shape := shapeOf(compiled)
	if problems := shape.problems(rt.wasi); len(problems) > 0 {
		// No other Module holds these bytes (rt.mu is held), so closing
		// cannot break a twin (wazero issue 2336).
		_ = compiled.Close(ctx)
		return nil, &InvalidModuleError{Name: name, Problems: problems}
	}
	m := &Module{rt: rt, name: name, hash: hash, compiled: compiled, refs: 1, shape: shape}
	rt.modules[hash] = m
	return m, nil
}

// Module is a compiled, validated plugin. It is safe for concurrent use.
type Module struct {
	rt       *Runtime
	name     string
	hash     [32]byte
	compiled wazero.CompiledModule
	shape    *shape
	refs     int // guarded by rt.mu
}

// Name returns the name the module was compiled with.
func (m *Module) Name() string { return m.name }

// Hash returns the SHA-256 of the module's bytes.
func (m *Module) Hash() [32]byte { return m.hash }

// Exports reports whether the module exports the ABI export name.
func (m *Module) Exports(name string) bool {
	_, ok := m.shape.exports[name]
	return ok
}

// Release drops one reference taken by Compile; the compiled code is closed
// when the last is dropped. Release only after closing (or swapping away
// from) every Route that uses m.
func (m *Module) Release(ctx context.Context) {
	m.rt.mu.Lock()
	defer m.rt.mu.Unlock()
	m.refs--
	if m.refs > 0 {
		return
	}
	if m.refs < 0 {
		panic("plugins: Module.Release called more often than Compile")
	}
	delete(m.rt.modules, m.hash)
	if !m.rt.closed {
		_ = m.compiled.Close(ctx)
	}
}

func valueTypes(ts []abi.ValueType) []api.ValueType {
	out := make([]api.ValueType, len(ts))
	for i, t := range ts {
		out[i] = api.ValueType(t)
	}
	return out
}
