package wasmrewrite

import (
	"errors"
	"fmt"
)

// codeSection returns the code section with the interrupt check inserted
// in every body, each body's size and the count re-encoded.
func (m *module) codeSection(old []byte) ([]byte, error) {
	r := &reader{b: old}
	n, err := r.u32()
	if err != nil {
		return nil, fmt.Errorf("wasmrewrite: code section: %w", err)
	}
	check := m.check()
	out := make([]byte, 0, len(old)+len(old)/8+16)
	out = append(out, old[:r.pos]...) // the count is unchanged
	var body []byte
	for i := uint32(0); i < n; i++ {
		fn := uint64(m.importedFuncs) + uint64(i)
		size, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("wasmrewrite: function %d: %w", fn, err)
		}
		code, err := r.bytes(uint64(size))
		if err != nil {
			return nil, fmt.Errorf("wasmrewrite: function %d: %w", fn, err)
		}
		body, err = m.instrument(body[:0], code, check)
		if err != nil {
			return nil, fmt.Errorf("wasmrewrite: function %d: %w", fn, err)
		}
		if uint64(len(body)) > 1<<32-1 {
			return nil, fmt.Errorf("wasmrewrite: function %d: too large", fn)
		}
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	if !r.eof() {
		return nil, errors.New("wasmrewrite: code section: trailing bytes")
	}
	return out, nil
}

// check returns the inserted code:
//
//	global.get $fuel  i32.const 1  i32.sub  global.set $fuel
//	global.get $fuel  i32.const 0  i32.le_s
//	if
//	  i32.const 0  memory.grow 0  drop
//	  global.get $flag  if  unreachable  end
//	  i32.const Period  global.set $fuel
//	end
//
// (A trap leaves the countdown at 0 or below, so every later check of a
// stopped instance goes to the flag at once.)
//
// How wazero 1.12 compiles it (internal/engine/wazevo/frontend/lower.go):
// global.get of a global the module defines is getWasmGlobalValue, one
// load at a fixed offset from the module context (GlobalInstanceOffset),
// and global.set one store there. An earlier load is reused only through
// builder.FindValueInLinearPath, which looks no further than the current
// block's single predecessor and never past an unsealed block: a loop
// header is unsealed while its body is lowered (its back edges are not
// known yet), so the check right after `loop` loads the countdown again on
// every iteration, and the second global.get above reuses the value just
// stored. No SSA pass hoists or merges loads (ssa/pass.go: no CSE, no
// loop-invariant code motion). So an iteration pays a load, a subtraction,
// a store, a comparison and a branch. memory.grow is always a call to the grow
// trampoline, an exit to Go (call_engine.go, ExitCodeGrowMemory, which
// calls MemoryInstance.Grow: a function with a stack check, where the
// goroutine can be preempted), and the flag is loaded after it, in a block
// of its own, from the module context word that api.MutableGlobal.Set
// writes (moduleEngine.SetGlobalValue).
//
// A countdown in a local of each function for the loop headers (a
// register, where the global is a store and a load each iteration) was
// tried and measured slower: 6.4 ns per iteration of BenchmarkLoop200k
// against 3.4 ns, wazevo keeping the loop's values in memory across the
// slow path's call.
func (m *module) check() []byte {
	b := []byte{0x23}
	b = appendU32(b, m.fuel)
	b = append(b, 0x41, 0x01, 0x6b, 0x24)
	b = appendU32(b, m.fuel)
	b = append(b, 0x23)
	b = appendU32(b, m.fuel)
	b = append(b, 0x41, 0x00, 0x4c, 0x04, 0x40)
	b = append(b, 0x41, 0x00, 0x40, 0x00, 0x1a)
	b = append(b, 0x23)
	b = appendU32(b, m.flag)
	b = append(b, 0x04, 0x40, 0x00, 0x0b)
	b = append(b, 0x41)
	b = appendS32(b, m.period)
	b = append(b, 0x24)
	b = appendU32(b, m.fuel)
	return append(b, 0x0b)
}

// instrument appends to out the body code (locals then expression) with
// check before the first instruction and after every loop's block type.
func (m *module) instrument(out, code, check []byte) ([]byte, error) {
	r := &reader{b: code}
	groups, err := r.u32()
	if err != nil {
		return nil, fmt.Errorf("locals: %w", err)
	}
	for i := uint32(0); i < groups; i++ {
		if _, err := r.u32(); err != nil {
			return nil, fmt.Errorf("locals: %w", err)
		}
		if _, err := r.byte(); err != nil {
			return nil, fmt.Errorf("locals: %w", err)
		}
	}
	out = append(out, code[:r.pos]...)
	out = append(out, check...)
	copied := r.pos
	for !r.eof() {
		at := r.pos
		op, _ := r.byte()
		loop, err := m.skipImmediates(r, op)
		if err != nil {
			return nil, fmt.Errorf("at byte %d of the body, opcode %s: %w", at, opName(op, code[at+1:]), err)
		}
		if loop {
			out = append(out, code[copied:r.pos]...)
			out = append(out, check...)
			copied = r.pos
		}
	}
	return append(out, code[copied:]...), nil
}

// opName names an opcode for errors, with its sub-opcode after a prefix.
func opName(op byte, rest []byte) string {
	if (op == 0xfc || op == 0xfd || op == 0xfe) && len(rest) > 0 {
		return fmt.Sprintf("%#x %#x", op, rest[0])
	}
	return fmt.Sprintf("%#x", op)
}

var errUnknown = errors.New("not an instruction wazero 1.12 accepts with its default features")

// skipImmediates reads the immediates of the instruction op, as wazero
// 1.12's validator (internal/wasm/func_validation.go) reads them, and
// reports whether it is a loop.
func (m *module) skipImmediates(r *reader, op byte) (loop bool, err error) {
	switch {
	case op == 0x00 || op == 0x01 || op == 0x05 || op == 0x0b || op == 0x0f ||
		op == 0x1a || op == 0x1b || op == 0xd1:
		// unreachable nop else end return drop select ref.is_null
		return false, nil
	case op >= 0x45 && op <= 0xc4:
		// numeric instructions, sign extension included: no immediates
		return false, nil
	case op >= 0x02 && op <= 0x04: // block loop if
		return op == 0x03, blockType(r)
	case op == 0x0c || op == 0x0d: // br br_if: label
		_, err = r.u32()
	case op == 0x0e: // br_table: labels, default
		var n uint32
		if n, err = r.u32(); err != nil {
			return false, err
		}
		for i := uint64(0); i <= uint64(n) && err == nil; i++ {
			_, err = r.u32()
		}
	case op == 0x10 || op == 0xd2: // call ref.func: function index
		_, err = r.u32()
	case op == 0x11: // call_indirect: type index, table index
		if _, err = r.u32(); err == nil {
			_, err = r.u32()
		}
	case op == 0x1c: // typed select: a count wazero reads as one byte (1), a value type
		var n, t byte
		if n, err = r.byte(); err == nil {
			if n != 1 {
				return false, errors.New("typed select with other than one type")
			}
			t, err = r.byte()
			if err == nil && !isValueType(t) {
				return false, fmt.Errorf("typed select of type %#x", t)
			}
		}
	case op >= 0x20 && op <= 0x22: // local.get local.set local.tee
		_, err = r.u32()
	case op == 0x23 || op == 0x24: // global.get global.set
		var g uint32
		if g, err = r.u32(); err == nil && g >= m.flag {
			return false, fmt.Errorf("global %d is not declared by the module", g)
		}
	case op == 0x25 || op == 0x26: // table.get table.set
		_, err = r.u32()
	case op >= 0x28 && op <= 0x3e: // loads and stores
		err = memarg(r)
	case op == 0x3f || op == 0x40: // memory.size memory.grow: reserved index
		_, err = r.u32()
	case op == 0x41:
		_, err = r.signed(32)
	case op == 0x42:
		_, err = r.signed(64)
	case op == 0x43:
		_, err = r.bytes(4)
	case op == 0x44:
		_, err = r.bytes(8)
	case op == 0xd0: // ref.null: reference type
		var t byte
		if t, err = r.byte(); err == nil && t != 0x70 && t != 0x6f {
			return false, fmt.Errorf("ref.null of type %#x", t)
		}
	case op == 0xfc:
		err = miscImmediates(r)
	case op == 0xfd:
		err = vectorImmediates(r)
	default:
		return false, errUnknown
	}
	return false, err
}

func isValueType(t byte) bool {
	switch t {
	case 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f: // i32 i64 f32 f64 v128 funcref externref
		return true
	}
	return false
}

// blockType reads a block type: wazero decodes it as one signed LEB128 of
// 33 bits: -64 (0x40) is empty, small negatives are value types, a
// non-negative value is a type index (multi-value).
func blockType(r *reader) error {
	v, err := r.signed(33)
	if err != nil {
		return err
	}
	switch {
	case v >= 0:
		return nil
	case v == -64, v == -1, v == -2, v == -3, v == -4, v == -5, v == -16, v == -17:
		return nil
	}
	return fmt.Errorf("block type %d", v)
}

// memarg reads alignment and offset.
func memarg(r *reader) error {
	if _, err := r.u32(); err != nil {
		return err
	}
	_, err := r.u32()
	return err
}

// miscImmediates reads a 0xFC instruction: its sub-opcode (LEB128) and
// immediates.
func miscImmediates(r *reader) error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 7: // saturating float to int
		return nil
	case sub == 8: // memory.init: data index, memory
		return readU32s(r, 2)
	case sub == 9: // data.drop: data index
		return readU32s(r, 1)
	case sub == 10: // memory.copy: two memories
		return readU32s(r, 2)
	case sub == 11: // memory.fill: memory
		return readU32s(r, 1)
	case sub == 12: // table.init: element index, table
		return readU32s(r, 2)
	case sub == 13: // elem.drop: element index
		return readU32s(r, 1)
	case sub == 14: // table.copy: two tables
		return readU32s(r, 2)
	case sub >= 15 && sub <= 17: // table.grow table.size table.fill: table
		return readU32s(r, 1)
	}
	return errUnknown
}

func readU32s(r *reader, n int) error {
	for range n {
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	return nil
}

// Immediates of the SIMD instructions.
const (
	vecInvalid = iota
	vecNone
	vecMemarg
	vecMemargLane
	vecBytes16 // v128.const, i8x16.shuffle
	vecLane
)

// vecKinds maps each SIMD sub-opcode to its immediates. wazero 1.12 reads
// the sub-opcode as one byte, not as the LEB128 the specification has: a
// sub-opcode from 0x80 up is encoded in two bytes (0x80 0x01 ...), and
// wazero decodes the second, always 0x01, as a nop of its own. Reading it
// the same way keeps every instruction boundary where wazero sees it. The
// valid sub-opcodes are those of wazero's internal/wasm/instruction.go
// (OpcodeVec*): 236 of 0x00-0xFF.
var vecKinds = func() [256]uint8 {
	var k [256]uint8
	set := func(lo, hi int, kind uint8) {
		for i := lo; i <= hi; i++ {
			k[i] = kind
		}
	}
	set(0x00, 0x0b, vecMemarg)
	set(0x0c, 0x0d, vecBytes16)
	set(0x0e, 0x14, vecNone)
	set(0x15, 0x22, vecLane)
	set(0x23, 0x53, vecNone)
	set(0x54, 0x5b, vecMemargLane)
	set(0x5c, 0x5d, vecMemarg)
	set(0x5e, 0xff, vecNone)
	for _, gap := range []int{0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb, 0xc2, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2, 0xd3, 0xd4, 0xe2, 0xee} {
		k[gap] = vecInvalid
	}
	return k
}()

func vectorImmediates(r *reader) error {
	sub, err := r.byte()
	if err != nil {
		return err
	}
	switch vecKinds[sub] {
	case vecNone:
		return nil
	case vecMemarg:
		return memarg(r)
	case vecMemargLane:
		if err := memarg(r); err != nil {
			return err
		}
		_, err = r.byte()
		return err
	case vecBytes16:
		_, err = r.bytes(16)
		return err
	case vecLane:
		_, err = r.byte()
		return err
	}
	return errUnknown
}
