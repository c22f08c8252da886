;; bulk: bulk memory and reference types: memory.init, data.drop,
;; memory.copy, memory.fill, table.init, elem.drop, table.copy, table.grow,
;; table.size, table.fill, table.get, table.set, ref.null, ref.is_null,
;; ref.func, typed select and call_indirect through a second table.
(module $bulk
  (type $v2i (func (result i32)))
  (memory 1)
  (data $hello "hello, bulk memory")
  (table $t0 2 funcref)
  (table $t1 8 funcref)
  (table $ext 2 externref)
  (elem $fs func $one $two $three)
  (elem declare func $two)

  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (func $three (result i32) (i32.const 3))

  (func (export "memory") (result i64)
    (memory.init $hello (i32.const 10) (i32.const 0) (i32.const 18))
    (data.drop $hello)
    (memory.copy (i32.const 40) (i32.const 10) (i32.const 18))
    (memory.fill (i32.const 45) (i32.const 0x2a) (i32.const 3))
    (i64.add (i64.load (i32.const 40)) (i64.load (i32.const 48))))

  (func (export "tables") (result i32)
    (local $acc i32)
    (table.init $t1 $fs (i32.const 0) (i32.const 0) (i32.const 3))
    (elem.drop $fs)
    (table.copy $t1 $t1 (i32.const 4) (i32.const 0) (i32.const 3))
    (table.copy $t0 $t1 (i32.const 0) (i32.const 1) (i32.const 2))
    (local.set $acc (table.grow $t1 (ref.func $two) (i32.const 3)))
    (local.set $acc (i32.add (local.get $acc) (i32.mul (table.size $t1) (i32.const 100))))
    (table.fill $t1 (i32.const 8) (ref.null func) (i32.const 3))
    (table.set $t0 (i32.const 1) (table.get $t1 (i32.const 6)))
    (local.set $acc (i32.add (local.get $acc) (call_indirect $t1 (type $v2i) (i32.const 4))))
    (local.set $acc (i32.add (local.get $acc) (i32.mul (call_indirect $t0 (type $v2i) (i32.const 1)) (i32.const 10))))
    (local.set $acc (i32.add (local.get $acc) (ref.is_null (table.get $t1 (i32.const 9)))))
    (local.set $acc (i32.add (local.get $acc) (ref.is_null (table.get $ext (i32.const 0)))))
    (table.set $ext (i32.const 1) (ref.null extern))
    (local.get $acc))

  (func (export "select") (result i32)
    (ref.is_null (select (result funcref) (ref.func $two) (ref.null func) (i32.const 0))))
)
