;; crash: a plugin without socklet_on_resume whose instance fails on demand.
;; socklet_on_text: "trap" executes unreachable, "loop" never returns,
;; "grow" grows the memory by 1000 pages and sends "grown" or "refused";
;; anything else is echoed. socklet_on_open traps when the connection's
;; query (conn_info key 1) is "trap". _initialize traps when the route's
;; config has key "init" = "trap".
;; Build: wat2wasm --debug-names testdata/crash.wat -o testdata/crash.wasm
(module $crash
  (import "socklet" "send_text" (func $send_text (param $conn i64) (param $ptr i32) (param $len i32) (result i32)))
  (import "socklet" "conn_info" (func $conn_info (param $conn i64) (param $key i32) (param $buf i32) (param $cap i32) (result i32)))
  (import "socklet" "config" (func $config (param $key_ptr i32) (param $key_len i32) (param $buf i32) (param $cap i32) (result i32)))

  (memory (export "memory") 1)
  (data (i32.const 16) "trap")
  (data (i32.const 24) "loop")
  (data (i32.const 32) "grow")
  (data (i32.const 40) "grown")
  (data (i32.const 48) "refused")
  (data (i32.const 56) "init")

  (func (export "socklet_abi_v1"))

  (func (export "socklet_alloc") (param $size i32) (result i32)
    (if (i32.gt_u (local.get $size) (i32.const 60000)) (then (return (i32.const 0))))
    (i32.const 1024))

  ;; is4 reports whether the 4 bytes at $p equal the 4 bytes at $q.
  (func $is4 (param $p i32) (param $len i32) (param $q i32) (result i32)
    (if (i32.ne (local.get $len) (i32.const 4)) (then (return (i32.const 0))))
    (i32.eq (i32.load (local.get $p)) (i32.load (local.get $q))))

  (func (export "_initialize")
    (if (i32.eq (call $config (i32.const 56) (i32.const 4) (i32.const 128) (i32.const 8)) (i32.const 4))
      (then (if (call $is4 (i32.const 128) (i32.const 4) (i32.const 16)) (then (unreachable))))))

  (func (export "socklet_on_open") (param $conn i64) (result i32)
    (if (call $is4 (i32.const 128) (call $conn_info (local.get $conn) (i32.const 1) (i32.const 128) (i32.const 8)) (i32.const 16))
      (then (unreachable)))
    (i32.const 0))

  (func (export "socklet_on_text") (param $conn i64) (param $ptr i32) (param $len i32)
    (if (call $is4 (local.get $ptr) (local.get $len) (i32.const 16)) (then (unreachable)))
    (if (call $is4 (local.get $ptr) (local.get $len) (i32.const 24)) (then (loop $forever (br $forever))))
    (if (call $is4 (local.get $ptr) (local.get $len) (i32.const 32))
      (then
        (if (i32.eq (memory.grow (i32.const 1000)) (i32.const -1))
          (then (drop (call $send_text (local.get $conn) (i32.const 48) (i32.const 7))))
          (else (drop (call $send_text (local.get $conn) (i32.const 40) (i32.const 5)))))
        (return)))
    (drop (call $send_text (local.get $conn) (local.get $ptr) (local.get $len))))
)
