;; multivalue: block, loop and if with type-index block types (parameters
;; and several results), and functions returning several values.
(module $multivalue
  (type $pair (func (param i32 i32) (result i32 i32)))
  (type $one (func (param i32) (result i32)))

  (func $swap (type $pair) (local.get 1) (local.get 0))
  (func $divmod (param i64 i64) (result i64 i64)
    (i64.div_u (local.get 0) (local.get 1)) (i64.rem_u (local.get 0) (local.get 1)))

  ;; fibonacci with the pair carried on the loop's parameters
  ;; fibonacci with the pair carried on the loop's parameters:
  ;; (a, b) -> (b, a + b), 30 times
  (func (export "fib") (result i32)
    (local $n i32) (local $x i32) (local $y i32)
    (local.set $n (i32.const 30))
    (i32.const 0) (i32.const 1)
    (loop $l (type $pair)
      (call $swap)     ;; (b, a)
      (local.set $x)   ;; x = a; (b)
      (local.tee $y)   ;; y = b; (b)
      (i32.add (local.get $x) (local.get $y)) ;; (b, a + b)
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))
    (drop))

  (func (export "block_params") (result i32)
    (i32.const 5)
    (block (type $one) (i32.mul (i32.const 3)))
    (if (type $one) (i32.const 1)
      (then (i32.add (i32.const 1)))
      (else (i32.sub (i32.const 1)))))

  (func (export "divmod") (result i64)
    (call $divmod (i64.const 1000003) (i64.const 97))
    (i64.mul (i64.const 1000)) (i64.add))

  (func (export "results") (result i32 i64 f32)
    (i32.const 1) (i64.const 2) (f32.const 3))
)
