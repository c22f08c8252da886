package plugins

import (
	"fmt"
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// pageSize is the WebAssembly page size.
const pageSize = 64 << 10

// linearMemory is an instance's linear memory: the instance's whole limit is
// reserved up front with one anonymous mapping (MAP_NORESERVE: pages cost
// nothing until touched), so memory.grow never copies and never moves the
// buffer, and growth past the limit fails (memory.grow returns -1).
//
// wazero calls Free when the module closes, possibly from another goroutine
// while the guest still runs (a deadline). Free therefore only marks the
// memory; release unmaps it, and is called by the instance's owner when no
// guest call can be running.
type linearMemory struct {
	mapped []byte // len == the limit in bytes
	size   uint64 // current length given to wazero
}

// newLinearMemory reserves limit bytes (a multiple of pageSize).
func newLinearMemory(limit uint64) (*linearMemory, error) {
	if limit == 0 {
		return &linearMemory{mapped: []byte{}}, nil
	}
	b, err := syscall.Mmap(-1, 0, int(limit), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("plugins: reserving %d bytes of linear memory: %w", limit, err)
	}
	return &linearMemory{mapped: b}, nil
}

// Reallocate implements experimental.LinearMemory.
func (m *linearMemory) Reallocate(size uint64) []byte {
	if m.mapped == nil || size > uint64(len(m.mapped)) {
		return nil
	}
	m.size = size
	return m.mapped[:size:size]
}

// Free implements experimental.LinearMemory; see linearMemory.
func (m *linearMemory) Free() {}

// release unmaps the memory. The caller guarantees no guest call of the
// instance is running and none will start.
func (m *linearMemory) release() {
	if len(m.mapped) > 0 {
		_ = syscall.Munmap(m.mapped)
	}
	m.mapped = nil
}

// allocator hands m to wazero for exactly one instantiation.
func (m *linearMemory) allocator() experimental.MemoryAllocator {
	return experimental.MemoryAllocatorFunc(func(_, _ uint64) experimental.LinearMemory { return m })
}
