;; runaway: a plugin whose socklet_on_text runs long on demand, to test and
;; measure how a deadline stops a guest. The payload's first byte says what:
;;   "c" counts down 200,000 iterations of a loop, then echoes (benchmarks)
;;   "i" loops forever
;;   "h" loops forever calling the host (now_ms)
;;   "r" recurses without any loop: a binary call tree 62 levels deep
;;   "g" loops forever the way Go, TinyGo and Rust compile a state machine:
;;       a loop around nested blocks left by a br_table on a state local
;; anything else is echoed.
;; Build: wat2wasm --debug-names testdata/runaway.wat -o testdata/runaway.wasm
(module $runaway
  (import "socklet" "send_text" (func $send_text (param $conn i64) (param $ptr i32) (param $len i32) (result i32)))
  (import "socklet" "now_ms" (func $now_ms (result i64)))

  (memory (export "memory") 1)

  (func (export "socklet_abi_v1"))

  (func (export "socklet_alloc") (param $size i32) (result i32)
    (if (i32.gt_u (local.get $size) (i32.const 60000)) (then (return (i32.const 0))))
    (i32.const 1024))

  (func $count (param $n i32)
    (loop $l
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n))))

  (func $tree (param $depth i32) (result i32)
    (if (result i32) (i32.eqz (local.get $depth))
      (then (i32.const 1))
      (else
        (i32.add
          (call $tree (i32.sub (local.get $depth) (i32.const 1)))
          (call $tree (i32.sub (local.get $depth) (i32.const 1)))))))

  (func $states (param $seed i32) (result i32)
    (local $state i32)
    (local $acc i32)
    (loop $dispatch
      (block $s2
        (block $s1
          (block $s0
            (br_table $s0 $s1 $s2 (local.get $state)))
          ;; state 0
          (local.set $acc (i32.add (local.get $acc) (local.get $seed)))
          (local.set $state (i32.const 1))
          (br $dispatch))
        ;; state 1
        (local.set $acc (i32.xor (local.get $acc) (i32.const 0x5a5a)))
        (local.set $state (i32.const 2))
        (br $dispatch))
      ;; state 2: back to 0 unless acc is a value it never takes
      (local.set $state (i32.const 0))
      (br_if $dispatch (i32.ne (local.get $acc) (i32.const -1))))
    (local.get $acc))

  (func (export "socklet_on_text") (param $conn i64) (param $ptr i32) (param $len i32)
    (local $op i32)
    (if (local.get $len) (then (local.set $op (i32.load8_u (local.get $ptr)))))
    (if (i32.eq (local.get $op) (i32.const 0x63)) ;; c
      (then (call $count (i32.const 200000))))
    (if (i32.eq (local.get $op) (i32.const 0x69)) ;; i
      (then (loop $forever (br $forever))))
    (if (i32.eq (local.get $op) (i32.const 0x68)) ;; h
      (then (loop $host (drop (call $now_ms)) (br $host))))
    (if (i32.eq (local.get $op) (i32.const 0x72)) ;; r
      (then (drop (call $tree (i32.const 62)))))
    (if (i32.eq (local.get $op) (i32.const 0x67)) ;; g
      (then (drop (call $states (local.get $len)))))
    (drop (call $send_text (local.get $conn) (local.get $ptr) (local.get $len))))
)
