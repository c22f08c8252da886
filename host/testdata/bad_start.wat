;; bad_start.wasm: a valid plugin whose start function traps, so every
;; instantiation fails. Rebuild with: wat2wasm bad_start.wat -o bad_start.wasm
(module
  (memory (export "memory") 1)
  (func $boom unreachable)
  (start $boom)
  (func (export "socklet_abi_v1"))
  (func (export "socklet_alloc") (param i32) (result i32) (i32.const 1024))
)
