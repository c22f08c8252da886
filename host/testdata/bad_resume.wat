;; bad_resume.wasm: echoes text prefixed with "C:", but its socklet_on_resume
;; traps, so a hot swap to it must roll back and leave the running version.
;; Rebuild with: wat2wasm bad_resume.wat -o bad_resume.wasm
(module
  (import "socklet" "send_text" (func $send_text (param i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "socklet_abi_v1"))
  (func (export "socklet_on_resume") (param i64) unreachable)
  ;; Payloads go at 1026, leaving two bytes in front for the tag.
  (func (export "socklet_alloc") (param $size i32) (result i32)
    (if (i32.gt_u (i32.add (local.get $size) (i32.const 1026)) (i32.const 65536))
      (then (return (i32.const 0))))
    (i32.const 1026))
  (func (export "socklet_on_text") (param $c i64) (param $p i32) (param $n i32)
    (local $i i32)
    (if (i32.and (i32.gt_u (local.get $n) (i32.const 0)) (i32.eq (i32.load8_u (local.get $p)) (i32.const 115)))
      (then
        (local.set $i (i32.const 200000))
        (loop $spin
          (local.set $i (i32.sub (local.get $i) (i32.const 1)))
          (br_if $spin (i32.gt_s (local.get $i) (i32.const 0))))))
    (i32.store8 (i32.sub (local.get $p) (i32.const 2)) (i32.const 65))
    (i32.store8 (i32.sub (local.get $p) (i32.const 1)) (i32.const 58))
    (drop (call $send_text (local.get $c) (i32.sub (local.get $p) (i32.const 2)) (i32.add (local.get $n) (i32.const 2)))))
)
