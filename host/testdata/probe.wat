;; probe.wasm: the host tests' plugin. Rebuild with: wat2wasm probe.wat -o probe.wasm
;;  - on_open: refuses with 403 when the query string is "reject"; with "bye",
;;    sends "bye" and closes with 4000 "bye" (both queued before the 101);
;;  - on_text: echoes, except "close", which closes with 4000 "bye";
;;  - on_binary: echoes;
;;  - on_close: logs "closed NNNN" (the close code) at info level.
(module
  (import "socklet" "send_text" (func $send_text (param i64 i32 i32) (result i32)))
  (import "socklet" "send_binary" (func $send_binary (param i64 i32 i32) (result i32)))
  (import "socklet" "close" (func $close (param i64 i32 i32 i32) (result i32)))
  (import "socklet" "conn_info" (func $conn_info (param i64 i32 i32 i32) (result i32)))
  (import "socklet" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "reject")
  (data (i32.const 32) "bye")
  (data (i32.const 48) "close")
  (data (i32.const 64) "closed ")

  (func (export "socklet_abi_v1"))

  ;; Payloads go at offset 1024; memory grows to fit them.
  (func (export "socklet_alloc") (param $size i32) (result i32)
    (local $need i32)
    (local.set $need
      (i32.shr_u (i32.add (i32.add (local.get $size) (i32.const 1024)) (i32.const 65535)) (i32.const 16)))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then
        (if (i32.lt_s (memory.grow (i32.sub (local.get $need) (memory.size))) (i32.const 0))
          (then (return (i32.const 0))))))
    (i32.const 1024))

  (func $eq (param $a i32) (param $b i32) (param $n i32) (result i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (if (i32.ne (i32.load8_u (local.get $a)) (i32.load8_u (local.get $b)))
          (then (return (i32.const 0))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  (func (export "socklet_on_open") (param $c i64) (result i32)
    (local $n i32)
    (local.set $n (call $conn_info (local.get $c) (i32.const 1) (i32.const 256) (i32.const 64)))
    (if (i32.eq (local.get $n) (i32.const 6))
      (then
        (if (call $eq (i32.const 256) (i32.const 16) (i32.const 6))
          (then (return (i32.const 403))))))
    ;; "?bye": say "bye" and close with 4000 before the 101 is even sent.
    (if (i32.eq (local.get $n) (i32.const 3))
      (then
        (if (call $eq (i32.const 256) (i32.const 32) (i32.const 3))
          (then
            (drop (call $send_text (local.get $c) (i32.const 32) (i32.const 3)))
            (drop (call $close (local.get $c) (i32.const 4000) (i32.const 32) (i32.const 3)))))))
    (i32.const 0))

  (func (export "socklet_on_text") (param $c i64) (param $p i32) (param $n i32)
    (if (i32.eq (local.get $n) (i32.const 5))
      (then
        (if (call $eq (local.get $p) (i32.const 48) (i32.const 5))
          (then
            (drop (call $close (local.get $c) (i32.const 4000) (i32.const 32) (i32.const 3)))
            (return)))))
    (drop (call $send_text (local.get $c) (local.get $p) (local.get $n))))

  (func (export "socklet_on_binary") (param $c i64) (param $p i32) (param $n i32)
    (drop (call $send_binary (local.get $c) (local.get $p) (local.get $n))))

  (func (export "socklet_on_close") (param $c i64) (param $code i32) (param $p i32) (param $n i32)
    (i32.store8 (i32.const 71) (i32.add (i32.const 48) (i32.div_u (local.get $code) (i32.const 1000))))
    (i32.store8 (i32.const 72) (i32.add (i32.const 48) (i32.rem_u (i32.div_u (local.get $code) (i32.const 100)) (i32.const 10))))
    (i32.store8 (i32.const 73) (i32.add (i32.const 48) (i32.rem_u (i32.div_u (local.get $code) (i32.const 10)) (i32.const 10))))
    (i32.store8 (i32.const 74) (i32.add (i32.const 48) (i32.rem_u (local.get $code) (i32.const 10))))
    (drop (call $log (i32.const 1) (i32.const 64) (i32.const 11))))
)
