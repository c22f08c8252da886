;; chat: every connection joins the topic "lobby"; a text message is sent to
;; every other member; "/who" answers with the sender's remote address.
;; This is the worked example of docs/abi.md (a test keeps them equal).
;; Build: wat2wasm --debug-names testdata/chat.wat -o testdata/chat.wasm
(module $chat
  (import "socklet" "subscribe"
    (func $subscribe (param $conn i64) (param $topic_ptr i32) (param $topic_len i32) (result i32)))
  (import "socklet" "publish_text"
    (func $publish_text (param $topic_ptr i32) (param $topic_len i32)
                        (param $ptr i32) (param $len i32) (param $except_conn i64) (result i32)))
  (import "socklet" "send_text"
    (func $send_text (param $conn i64) (param $ptr i32) (param $len i32) (result i32)))
  (import "socklet" "conn_info"
    (func $conn_info (param $conn i64) (param $key i32) (param $buf i32) (param $cap i32) (result i32)))

  ;; Memory map: 0..63 constants, 64..127 a conn_info buffer,
  ;; 1024.. the room for event payloads (grown on demand).
  (memory (export "memory") 1)
  (data (i32.const 0) "lobby")
  (data (i32.const 8) "/who")

  (func $socklet_abi_v1 (export "socklet_abi_v1"))

  ;; The host asks for room for each event's payload; it stays ours, and
  ;; only needs to stay valid until that event's call returns.
  (func $socklet_alloc (export "socklet_alloc") (param $size i32) (result i32)
    (local $pages i32)
    (local.set $pages
      (i32.sub (i32.shr_u (i32.add (local.get $size) (i32.const 66559)) (i32.const 16))
               (memory.size)))
    (if (i32.gt_s (local.get $pages) (i32.const 0))
      (then (if (i32.eq (memory.grow (local.get $pages)) (i32.const -1))
        (then (return (i32.const 0))))))
    (i32.const 1024))

  (func $socklet_on_open (export "socklet_on_open") (param $conn i64) (result i32)
    (drop (call $subscribe (local.get $conn) (i32.const 0) (i32.const 5)))
    (i32.const 0)) ;; accept

  (func $socklet_on_text (export "socklet_on_text") (param $conn i64) (param $ptr i32) (param $len i32)
    (local $n i32)
    (if (i32.and (i32.eq (local.get $len) (i32.const 4))
                 (i32.eq (i32.load (local.get $ptr)) (i32.load (i32.const 8))))
      (then
        ;; conn_info(conn, 2 = remote address, buf, cap) returns the length.
        (local.set $n (call $conn_info (local.get $conn) (i32.const 2) (i32.const 64) (i32.const 64)))
        (if (i32.and (i32.ge_s (local.get $n) (i32.const 0)) (i32.le_s (local.get $n) (i32.const 64)))
          (then (drop (call $send_text (local.get $conn) (i32.const 64) (local.get $n)))))
        (return)))
    (drop (call $publish_text (i32.const 0) (i32.const 5)
                              (local.get $ptr) (local.get $len) (local.get $conn))))
)
