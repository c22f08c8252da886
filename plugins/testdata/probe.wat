;; probe: a test plugin that calls any host function with arguments chosen
;; by the test, and exports every ABI export.
;;
;; socklet_on_binary(conn, ptr, len) reads a command from the payload:
;;   offset 0: op (i64), 8..47: five arguments a0..a4 (i64 each),
;;   48..: data, copied to the scratch area at 8192 before the call.
;; It runs the op, then sends back to conn one binary message of 264 bytes:
;; the result (i64, little-endian; i32 results sign-extended) followed by
;; the 256 bytes of the scratch area at 8192 after the call.
;; ops: 1 send_text, 2 send_binary, 3 ping, 4 close, 5 subscribe,
;; 6 unsubscribe, 7 publish_text, 8 publish_binary, 9 conn_info,
;; 10 conn_header, 11 attach, 12 attachment, 13 config, 14 log, 15 timer,
;; 16 timer_cancel, 17 now_ms, 20 trap, 21 loop forever, 22 memory.grow(a0),
;; 23 make socklet_on_open return a0 from now on, 24 nothing, 25 load out of
;; bounds (a memory fault).
;; Other exports: on_text echoes; on_pong sends the payload back as binary;
;; on_timer(id) publishes "timer" and id (8 bytes) to every connection; on_resume(conn) sends "resumed"; on_close logs its
;; reason at level info.
;; Payloads are written at 65536 (page 1), which grows as needed.
;; Build: wat2wasm --debug-names testdata/probe.wat -o testdata/probe.wasm
(module $probe
  (import "socklet" "send_text" (func $send_text (param $conn i64) (param $ptr i32) (param $len i32) (result i32)))
  (import "socklet" "send_binary" (func $send_binary (param $conn i64) (param $ptr i32) (param $len i32) (result i32)))
  (import "socklet" "ping" (func $ping (param $conn i64) (param $ptr i32) (param $len i32) (result i32)))
  (import "socklet" "close" (func $close (param $conn i64) (param $code i32) (param $ptr i32) (param $len i32) (result i32)))
  (import "socklet" "subscribe" (func $subscribe (param $conn i64) (param $topic_ptr i32) (param $topic_len i32) (result i32)))
  (import "socklet" "unsubscribe" (func $unsubscribe (param $conn i64) (param $topic_ptr i32) (param $topic_len i32) (result i32)))
  (import "socklet" "publish_text" (func $publish_text (param $topic_ptr i32) (param $topic_len i32) (param $ptr i32) (param $len i32) (param $except_conn i64) (result i32)))
  (import "socklet" "publish_binary" (func $publish_binary (param $topic_ptr i32) (param $topic_len i32) (param $ptr i32) (param $len i32) (param $except_conn i64) (result i32)))
  (import "socklet" "conn_info" (func $conn_info (param $conn i64) (param $key i32) (param $buf i32) (param $cap i32) (result i32)))
  (import "socklet" "conn_header" (func $conn_header (param $conn i64) (param $name_ptr i32) (param $name_len i32) (param $buf i32) (param $cap i32) (result i32)))
  (import "socklet" "attach" (func $attach (param $conn i64) (param $ptr i32) (param $len i32) (result i32)))
  (import "socklet" "attachment" (func $attachment (param $conn i64) (param $buf i32) (param $cap i32) (result i32)))
  (import "socklet" "config" (func $config (param $key_ptr i32) (param $key_len i32) (param $buf i32) (param $cap i32) (result i32)))
  (import "socklet" "log" (func $log (param $level i32) (param $ptr i32) (param $len i32) (result i32)))
  (import "socklet" "timer" (func $timer (param $delay_ms i32) (param $id i64) (result i32)))
  (import "socklet" "timer_cancel" (func $timer_cancel (param $id i64) (result i32)))
  (import "socklet" "now_ms" (func $now_ms (result i64)))

  (memory (export "memory") 2)
  (global $open_status (mut i32) (i32.const 0))
  (data (i32.const 16) "resumed")
  (data (i32.const 32) "timer")

  (func $socklet_abi_v1 (export "socklet_abi_v1"))

  (func $socklet_alloc (export "socklet_alloc") (param $size i32) (result i32)
    (local $need i32)
    (local.set $need
      (i32.sub
        (i32.shr_u (i32.add (i32.add (local.get $size) (i32.const 65536)) (i32.const 65535)) (i32.const 16))
        (memory.size)))
    (if (i32.gt_s (local.get $need) (i32.const 0))
      (then
        (if (i32.eq (memory.grow (local.get $need)) (i32.const -1))
          (then (return (i32.const 0))))))
    (i32.const 65536))

  (func $socklet_on_open (export "socklet_on_open") (param $conn i64) (result i32)
    (global.get $open_status))

  (func $socklet_on_text (export "socklet_on_text") (param $conn i64) (param $ptr i32) (param $len i32)
    (drop (call $send_text (local.get $conn) (local.get $ptr) (local.get $len))))

  (func $socklet_on_pong (export "socklet_on_pong") (param $conn i64) (param $ptr i32) (param $len i32)
    (drop (call $send_binary (local.get $conn) (local.get $ptr) (local.get $len))))

  (func $socklet_on_close (export "socklet_on_close") (param $conn i64) (param $code i32) (param $ptr i32) (param $len i32)
    (drop (call $log (i32.const 1) (local.get $ptr) (local.get $len))))

  (func $socklet_on_timer (export "socklet_on_timer") (param $id i64)
    (i64.store (i32.const 40) (local.get $id))
    (drop (call $publish_binary (i32.const 0) (i32.const 0) (i32.const 32) (i32.const 16) (i64.const 0))))

  (func $socklet_on_resume (export "socklet_on_resume") (param $conn i64)
    (drop (call $send_text (local.get $conn) (i32.const 16) (i32.const 7))))

  (func $socklet_on_binary (export "socklet_on_binary") (param $conn i64) (param $ptr i32) (param $len i32)
    (local $op i64) (local $a0 i64) (local $a1 i64) (local $a2 i64) (local $a3 i64) (local $a4 i64)
    (local $res i64)
    (local.set $op (i64.load (local.get $ptr)))
    (local.set $a0 (i64.load offset=8 (local.get $ptr)))
    (local.set $a1 (i64.load offset=16 (local.get $ptr)))
    (local.set $a2 (i64.load offset=24 (local.get $ptr)))
    (local.set $a3 (i64.load offset=32 (local.get $ptr)))
    (local.set $a4 (i64.load offset=40 (local.get $ptr)))
    (memory.fill (i32.const 8192) (i32.const 0) (i32.const 4096))
    (if (i32.gt_u (local.get $len) (i32.const 48))
      (then (memory.copy (i32.const 8192)
                         (i32.add (local.get $ptr) (i32.const 48))
                         (i32.sub (local.get $len) (i32.const 48)))))
    (block $done
      (if (i64.eq (local.get $op) (i64.const 1)) (then
        (local.set $res (i64.extend_i32_s (call $send_text (local.get $a0) (i32.wrap_i64 (local.get $a1)) (i32.wrap_i64 (local.get $a2)))))
        (br $done)))
      (if (i64.eq (local.get $op) (i64.const 2)) (then
        (local.set $res (i64.extend_i32_s (call $send_binary (local.get $a0) (i32.wrap_i64 (local.get $a1)) (i32.wrap_i64 (local.get $a2)))))
        (br $done)))
      (if (i64.eq (local.get $op) (i64.const 3)) (then
        (local.set $res (i64.extend_i32_s (call $ping (local.get $a0) (i32.wrap_i64 (local.get $a1)) (i32.wrap_i64 (local.get $a2)))))
        (br $done)))
      (if (i64.eq (local.get $op) (i64.const 4)) (then
        (local.set $res (i64.extend_i32_s (call $close (local.get $a0) (i32.wrap_i64 (local.get $a1)) (i32.wrap_i64 (local.get $a2)) (i32.wrap_i64 (local.get $a3)))))
        (br $done)))
      (if (i64.eq (local.get $op) (i64.const 5)) (then
        (local.set $res (i64.extend_i32_s (call $subscribe (local.get $a0) (i32.wrap_i64 (local.get $a1)) (i32.wrap_i64 (local.get $a2)))))
        (br $done)))
      (if (i64.eq (local.get $op) (i64.const 6)) (then
        (local.set $res (i64.extend_i32_s (call $unsubscribe (local.get $a0) (i32.wrap_i64 (local.get $a1)) (i32.wrap_i64 (local.get $a2)))))
        (br $done)))
      (if (i64.eq (local.get $op) (i64.const 7)) (then
        (local.set $res (i64.extend_i32_s (call $publish_text (i32.wrap_i64 (local.get $a0)) (i32.wrap_i64 (local.get $a1)) (i32.wrap_i64 (local.get $a2)) (i32.wrap_i64 (local.get $a3)) (local.get $a4))))
        (br $done)))
      (if (i64.eq (local.get $op) (i64.const 8)) (then
        (local.set $res (i64.extend_i32_s (call $publish_binary (i32.wrap_i64 (local.get $a0)) (i32.wrap_i64 (local.get $a1)) (i32.wrap_i64 (local.get $a2)) (i32.wrap_i64 (local.get $a3)) (local.get $a4))))
        (br $done)))
      (if (i64.eq (local.get $op) (i64.const 9)) (then
        (local.set $res (i64.extend_i32_s (call $conn_info (local.get $a0) (i32.wrap_i64 (local.get $a1)) (i32.wrap_i64 (local.get $a2)) (i32.wrap_i64 (local.get $a3)))))
        (br $done)))
      (if (i64.eq (local.get $op) (i64.const 10)) (then
        (local.set $res (i64.extend_i32_s (call $conn_header (local.get $a0) (i32.wrap_i64 (local.get $a1)) (i32.wrap_i64 (local.get $a2)) (i32.wrap_i64 (local.get $a3)) (i32.wrap_i64 (local.get $a4)))))
        (br $done)))
      (if (i64.eq (local.get $op) (i64.const 11)) (then
        (local.set $res (i64.extend_i32_s (call $attach (local.get $a0) (i32.wrap_i64 (local.get $a1)) (i32.wrap_i64 (local.get $a2)))))
        (br $done)))
      (if (i64.eq (local.get $op) (i64.const 12)) (then
        (local.set $res (i64.extend_i32_s (call $attachment (local.get $a0) (i32.wrap_i64 (local.get $a1)) (i32.wrap_i64 (local.get $a2)))))
        (br $done)))
      (if (i64.eq (local.get $op) (i64.const 13)) (then
        (local.set $res (i64.extend_i32_s (call $config (i32.wrap_i64 (local.get $a0)) (i32.wrap_i64 (local.get $a1)) (i32.wrap_i64 (local.get $a2)) (i32.wrap_i64 (local.get $a3)))))
        (br $done)))
      (if (i64.eq (local.get $op) (i64.const 14)) (then
        (local.set $res (i64.extend_i32_s (call $log (i32.wrap_i64 (local.get $a0)) (i32.wrap_i64 (local.get $a1)) (i32.wrap_i64 (local.get $a2)))))
        (br $done)))
      (if (i64.eq (local.get $op) (i64.const 15)) (then
        (local.set $res (i64.extend_i32_s (call $timer (i32.wrap_i64 (local.get $a0)) (local.get $a1))))
        (br $done)))
      (if (i64.eq (local.get $op) (i64.const 16)) (then
        (local.set $res (i64.extend_i32_s (call $timer_cancel (local.get $a0))))
        (br $done)))
      (if (i64.eq (local.get $op) (i64.const 17)) (then
        (local.set $res (call $now_ms))
        (br $done)))
      (if (i64.eq (local.get $op) (i64.const 20)) (then
        (unreachable)))
      (if (i64.eq (local.get $op) (i64.const 21)) (then
        (loop $forever (br $forever))))
      (if (i64.eq (local.get $op) (i64.const 22)) (then
        (local.set $res (i64.extend_i32_s (memory.grow (i32.wrap_i64 (local.get $a0)))))
        (br $done)))
      (if (i64.eq (local.get $op) (i64.const 25)) (then
        (local.set $res (i64.load (i32.const -8)))
        (br $done)))
      (if (i64.eq (local.get $op) (i64.const 23)) (then
        (global.set $open_status (i32.wrap_i64 (local.get $a0)))
        (br $done))))
    (i64.store (i32.const 4096) (local.get $res))
    (memory.copy (i32.const 4104) (i32.const 8192) (i32.const 256))
    (drop (call $send_binary (local.get $conn) (i32.const 4096) (i32.const 264))))
)
