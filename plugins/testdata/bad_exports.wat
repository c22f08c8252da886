;; bad_exports: ABI exports with the wrong signatures.
;; Build: wat2wasm --debug-names testdata/bad_exports.wat -o testdata/bad_exports.wasm
(module
  (memory (export "memory") 1)
  (func (export "socklet_abi_v1") (result i32) (i32.const 1))
  (func (export "socklet_alloc") (param i64) (result i64) (i64.const 0))
  (func (export "socklet_on_open") (param $conn i64))
  (func (export "socklet_on_text") (param $conn i32) (param $ptr i32) (param $len i32))
  (func (export "socklet_on_close") (param $conn i64) (param $code i32) (param $ptr i32) (param $len i32))
  (func (export "my_helper") (param i32)))
