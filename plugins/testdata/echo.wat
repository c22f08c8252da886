;; echo: the smallest useful socklet plugin. It sends every text and binary
;; message back to its sender and logs each connection it accepts.
;; Build: wat2wasm --debug-names testdata/echo.wat -o testdata/echo.wasm
(module $echo
  (import "socklet" "send_text" (func $send_text (param $conn i64) (param $ptr i32) (param $len i32) (result i32)))
  (import "socklet" "send_binary" (func $send_binary (param $conn i64) (param $ptr i32) (param $len i32) (result i32)))
  (import "socklet" "log" (func $log (param $level i32) (param $ptr i32) (param $len i32) (result i32)))

  (memory (export "memory") 1)
  (data (i32.const 16) "accepted")

  ;; The payload of every event is written at 1024; the memory grows when
  ;; a message needs more room, and alloc returns 0 when it cannot.
  (func (export "socklet_abi_v1"))

  (func (export "socklet_alloc") (param $size i32) (result i32)
    (local $need i32)
    ;; pages needed for [1024, 1024+size)
    (local.set $need
      (i32.sub
        (i32.shr_u (i32.add (i32.add (local.get $size) (i32.const 1024)) (i32.const 65535)) (i32.const 16))
        (memory.size)))
    (if (i32.gt_s (local.get $need) (i32.const 0))
      (then
        (if (i32.eq (memory.grow (local.get $need)) (i32.const -1))
          (then (return (i32.const 0))))))
    (i32.const 1024))

  (func (export "socklet_on_open") (param $conn i64) (result i32)
    (drop (call $log (i32.const 1) (i32.const 16) (i32.const 8)))
    (i32.const 0))

  (func (export "socklet_on_text") (param $conn i64) (param $ptr i32) (param $len i32)
    (drop (call $send_text (local.get $conn) (local.get $ptr) (local.get $len))))

  (func (export "socklet_on_binary") (param $conn i64) (param $ptr i32) (param $len i32)
    (drop (call $send_binary (local.get $conn) (local.get $ptr) (local.get $len))))

  (func (export "socklet_on_close") (param $conn i64) (param $code i32) (param $ptr i32) (param $len i32))
)
