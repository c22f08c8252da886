// Package wasmrewrite instruments a WebAssembly module so that its host can
// interrupt it: see [Instrument].
package wasmrewrite

import (
	"bytes"
	"errors"
	"fmt"
)

// Section ids of the WebAssembly binary format.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
)

// order is the position each known section must take (data count comes
// before code); 0 for custom sections, which may appear anywhere.
var order = [...]int{
	secType: 1, secImport: 2, secFunction: 3, secTable: 4, secMemory: 5,
	secGlobal: 6, secExport: 7, secStart: 8, secElement: 9, secDataCount: 10,
	secCode: 11, secData: 12,
}

var magic = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

// Period is how many function entries and loop iterations a guest runs
// between two returns to Go, where the runtime can preempt its goroutine
// and where it checks the stop flag.
const Period = 1024

// Instrument returns a copy of wasm, a module valid to wazero 1.12 with its
// default features (api.CoreFeaturesV2), that its host can stop while it
// runs. It adds two mutable i32 globals after every existing one (so no
// index shifts): a stop flag, 0 at first and exported under the name
// export, and a countdown. At the start of every function body and at the
// top of every loop the guest decrements the countdown; every Period times
// it executes memory.grow 0, which wazero 1.12 runs in Go (so the Go
// runtime can preempt the goroutine: native code cannot be preempted, and
// a guest that never leaves it would block every garbage collection, and
// with it the goroutine that would stop the guest), then traps
// (unreachable) if the flag is not 0, and restarts the countdown. A module
// without a memory gets one of 0 pages for that grow.
//
// The guest cannot clear the flag: its own code cannot name an index it
// did not declare (Instrument refuses a module that does, as validation
// would have), and only its host sees the export. Every section other than
// the memory, global, export and code sections is kept byte for byte,
// custom sections (names) included.
//
// Instrument decodes every instruction the way wazero 1.12 does; an opcode
// it does not know (from a proposal wazero's default features refuse) is an
// error naming it and the function index, as is a module that already
// exports export, or bytes that are not a module. It never panics, and
// whenever wasm is valid and Instrument returns no error, its result is
// valid too.
func Instrument(wasm []byte, export string) ([]byte, error) {
	return instrument(wasm, export, Period)
}

// instrument is Instrument with the countdown's period (tests use 1).
func instrument(wasm []byte, export string, period int32) ([]byte, error) {
	if !bytes.HasPrefix(wasm, magic) {
		return nil, errors.New("wasmrewrite: not a WebAssembly 1.0 binary (bad magic or version)")
	}
	var secs []section
	r := &reader{b: wasm, pos: len(magic)}
	m := module{period: period}
	last := 0
	for !r.eof() {
		start := r.pos
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("wasmrewrite: section %d size: %w", id, err)
		}
		body, err := r.bytes(uint64(size))
		if err != nil {
			return nil, fmt.Errorf("wasmrewrite: section %d: %w", id, err)
		}
		if int(id) >= len(order) {
			return nil, fmt.Errorf("wasmrewrite: unknown section id %d", id)
		}
		if o := order[id]; o != 0 {
			if o <= last {
				return nil, fmt.Errorf("wasmrewrite: section %d out of order or repeated", id)
			}
			last = o
		}
		secs = append(secs, section{id: id, raw: wasm[start:r.pos], body: body})
		switch id {
		case secImport:
			if err := m.readImports(body); err != nil {
				return nil, err
			}
		case secGlobal:
			n, err := (&reader{b: body}).u32()
			if err != nil {
				return nil, fmt.Errorf("wasmrewrite: global section: %w", err)
			}
			m.definedGlobals = n
		case secMemory:
			n, err := (&reader{b: body}).u32()
			if err != nil {
				return nil, fmt.Errorf("wasmrewrite: memory section: %w", err)
			}
			m.definedMemories = n
		}
	}
	if uint64(m.importedGlobals)+uint64(m.definedGlobals) >= 1<<32-2 {
		return nil, errors.New("wasmrewrite: too many globals")
	}
	m.flag = m.importedGlobals + m.definedGlobals
	m.fuel = m.flag + 1
	addMemory := m.importedMemories == 0 && m.definedMemories == 0

	// The sections the module lacks go right after the last section that
	// must precede them, so that custom sections after it stay after it
	// (wazero 1.12 reads a name section at the end of a module up to the
	// end of the module, not of the section: it accepts some malformed
	// ones there, and only there).
	has := map[byte]bool{}
	for _, s := range secs {
		has[s.id] = true
	}
	if addMemory && !has[secMemory] {
		secs = insertSection(secs, secMemory)
	}
	if !has[secGlobal] {
		secs = insertSection(secs, secGlobal)
	}
	if !has[secExport] {
		secs = insertSection(secs, secExport)
	}

	out := make([]byte, 0, len(wasm)+len(wasm)/8+64)
	out = append(out, magic...)
	for _, s := range secs {
		switch s.id {
		case secMemory:
			if addMemory { // absent, or a section of no memory
				out = appendSection(out, secMemory, zeroMemory)
				continue
			}
			out = append(out, s.raw...)
		case secGlobal:
			out = appendSection(out, secGlobal, m.globalSection(s.body))
		case secExport:
			body, err := m.exportSectionFrom(s.body, export)
			if err != nil {
				return nil, err
			}
			out = appendSection(out, secExport, body)
		case secCode:
			body, err := m.codeSection(s.body)
			if err != nil {
				return nil, err
			}
			out = appendSection(out, secCode, body)
		default:
			out = append(out, s.raw...)
		}
	}
	return out, nil
}

// insertSection inserts an empty section id after the last section of secs
// that must precede it.
func insertSection(secs []section, id byte) []section {
	at := 0
	for i, s := range secs {
		if o := order[s.id]; o != 0 && o < order[id] {
			at = i + 1
		}
	}
	return append(secs[:at], append([]section{{id: id}}, secs[at:]...)...)
}

// section is one section of the input: raw is all of it (id, size and
// contents), body its contents.
type section struct {
	id   byte
	raw  []byte
	body []byte
}

// module is what instrumenting needs to know of the input.
type module struct {
	importedFuncs    uint32
	importedGlobals  uint32
	importedMemories uint32
	definedGlobals   uint32
	definedMemories  uint32
	flag             uint32 // index of the added stop flag
	fuel             uint32 // index of the added countdown
	period           int32
}

// zeroMemory is a memory section of one memory of 0 pages at most.
var zeroMemory = []byte{0x01, 0x01, 0x00, 0x00}

func appendSection(b []byte, id byte, body []byte) []byte {
	b = append(b, id)
	b = appendU32(b, uint32(len(body)))
	return append(b, body...)
}

// readImports counts imported functions and globals.
func (m *module) readImports(body []byte) error {
	r := &reader{b: body}
	n, err := r.u32()
	if err != nil {
		return fmt.Errorf("wasmrewrite: import section: %w", err)
	}
	for i := uint32(0); i < n; i++ {
		if err := m.readImport(r); err != nil {
			return fmt.Errorf("wasmrewrite: import %d: %w", i, err)
		}
	}
	if !r.eof() {
		return errors.New("wasmrewrite: import section: trailing bytes")
	}
	return nil
}

func (m *module) readImport(r *reader) error {
	for range 2 { // module and name
		n, err := r.u32()
		if err != nil {
			return err
		}
		if _, err := r.bytes(uint64(n)); err != nil {
			return err
		}
	}
	kind, err := r.byte()
	if err != nil {
		return err
	}
	switch kind {
	case 0x00: // function: type index
		m.importedFuncs++
		_, err = r.u32()
		return err
	case 0x01: // table: reference type, limits
		if _, err := r.byte(); err != nil {
			return err
		}
		return readLimits(r)
	case 0x02: // memory: limits
		m.importedMemories++
		return readLimits(r)
	case 0x03: // global: value type, mutability
		m.importedGlobals++
		_, err = r.bytes(2)
		return err
	}
	return fmt.Errorf("unknown import kind %#x", kind)
}

// readLimits reads the limits of a table or memory: a flag (bit 0: a
// maximum follows; bit 1: shared, which wazero's threads feature reads the
// same way), the minimum and perhaps the maximum.
func readLimits(r *reader) error {
	flag, err := r.byte()
	if err != nil {
		return err
	}
	if flag > 3 {
		return fmt.Errorf("unknown limits flag %#x", flag)
	}
	if _, err := r.u32(); err != nil {
		return err
	}
	if flag&1 != 0 {
		_, err = r.u32()
	}
	return err
}

// globalSection returns the global section with the added globals after
// those of old (the contents of the module's global section; nil if none):
// the flag, (mut i32) 0, and the countdown, (mut i32) m.period.
func (m *module) globalSection(old []byte) []byte {
	b := appendU32(nil, m.definedGlobals+2)
	if old != nil {
		b = append(b, old[lenU32(old):]...)
	}
	b = append(b, 0x7f, 0x01, 0x41, 0x00, 0x0b)
	b = append(b, 0x7f, 0x01, 0x41)
	b = appendS32(b, m.period)
	return append(b, 0x0b)
}

func (m *module) appendExport(b []byte, export string) []byte {
	b = appendName(b, export)
	b = append(b, 0x03) // global
	return appendU32(b, m.flag)
}

// exportSectionFrom returns the module's export section (old, its contents;
// nil if none) with the flag's export appended, refusing a module that
// already exports the name.
func (m *module) exportSectionFrom(old []byte, export string) ([]byte, error) {
	if old == nil {
		return m.appendExport(appendU32(nil, 1), export), nil
	}
	r := &reader{b: old}
	n, err := r.u32()
	if err != nil {
		return nil, fmt.Errorf("wasmrewrite: export section: %w", err)
	}
	if n == 1<<32-1 {
		return nil, errors.New("wasmrewrite: too many exports")
	}
	for i := uint32(0); i < n; i++ {
		l, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("wasmrewrite: export %d: %w", i, err)
		}
		name, err := r.bytes(uint64(l))
		if err != nil {
			return nil, fmt.Errorf("wasmrewrite: export %d: %w", i, err)
		}
		if string(name) == export {
			return nil, fmt.Errorf("wasmrewrite: the module already exports %q, a name reserved for the host", export)
		}
		kind, err := r.byte()
		if err != nil {
			return nil, fmt.Errorf("wasmrewrite: export %q: %w", name, err)
		}
		idx, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("wasmrewrite: export %q: %w", name, err)
		}
		if kind == 0x03 && idx >= m.flag {
			return nil, fmt.Errorf("wasmrewrite: export %q names global %d, which the module does not declare", name, idx)
		}
	}
	if !r.eof() {
		return nil, errors.New("wasmrewrite: export section: trailing bytes")
	}
	b := appendU32(nil, n+1)
	b = append(b, old[lenU32(old):]...)
	return m.appendExport(b, export), nil
}

// lenU32 is the length of the LEB128 at the start of b (already decoded
// once, so known to be well formed).
func lenU32(b []byte) int {
	r := &reader{b: b}
	_, _ = r.u32()
	return r.pos
}
