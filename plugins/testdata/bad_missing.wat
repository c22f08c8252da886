;; bad_missing: not a plugin: no marker, no socklet_alloc, no exported memory.
;; Build: wat2wasm --debug-names testdata/bad_missing.wat -o testdata/bad_missing.wasm
(module
  (memory 1)
  (func (export "socklet_on_text") (param $conn i64) (param $ptr i32) (param $len i32)))
