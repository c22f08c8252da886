;; bad_imports: imports the host does not provide, or with the wrong types.
;; Build: wat2wasm --debug-names testdata/bad_imports.wat -o testdata/bad_imports.wasm
(module
  (import "socklet" "send_text" (func (param i32 i32) (result i32)))
  (import "socklet" "send_file" (func (param i64 i32 i32) (result i32)))
  (import "env" "abort" (func (param i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "no_such_call" (func))
  (import "env" "memory" (memory 1))
  (export "memory" (memory 0))
  (func (export "socklet_abi_v1"))
  (func (export "socklet_alloc") (param i32) (result i32) (i32.const 0)))
