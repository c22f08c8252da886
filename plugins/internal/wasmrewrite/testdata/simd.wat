;; simd: the 0xFD instructions by their immediates: memory (memarg), lanes
;; of memory (memarg and lane), v128.const and i8x16.shuffle (16 bytes),
;; extract and replace lane (lane), and opcodes from 0x80 up (two bytes),
;; inside a loop.
(module $simd
  (memory 1)
  (data (i32.const 0) "\00\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\11\12\13\14\15\16\17\18\19\1a\1b\1c\1d\1e\1f")

  (func (export "loads") (result i64)
    (local $v v128)
    (local.set $v (v128.load (i32.const 0)))
    (local.set $v (i8x16.add (local.get $v) (v128.load offset=16 (i32.const 0))))
    (local.set $v (i16x8.add (local.get $v) (v128.load8x8_s (i32.const 3))))
    (local.set $v (i32x4.add (local.get $v) (v128.load16x4_u align=2 (i32.const 4))))
    (local.set $v (i64x2.add (local.get $v) (v128.load32x2_s (i32.const 8))))
    (local.set $v (v128.xor (local.get $v) (v128.load8_splat (i32.const 5))))
    (local.set $v (v128.xor (local.get $v) (v128.load64_splat (i32.const 1))))
    (local.set $v (v128.or (local.get $v) (v128.load32_zero (i32.const 2))))
    (local.set $v (v128.and (local.get $v) (v128.load64_zero (i32.const 0))))
    (local.set $v (v128.load16_lane 3 (i32.const 6) (local.get $v)))
    (local.set $v (v128.load64_lane 1 (i32.const 9) (local.get $v)))
    (v128.store offset=64 (i32.const 0) (local.get $v))
    (v128.store8_lane 15 (i32.const 80) (local.get $v))
    (v128.store32_lane 2 (i32.const 84) (local.get $v))
    (i64.add (i64.load (i32.const 64)) (i64.add (i64.load (i32.const 72)) (i64.load (i32.const 80)))))

  (func (export "lanes") (result i64)
    (local $v v128) (local $i i32) (local $acc i64)
    (local.set $v (v128.const i32x4 0x01020304 0x05060708 0x090a0b0c 0x0d0e0f10))
    (loop $l
      (local.set $v (i8x16.shuffle 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0 (local.get $v) (v128.const i64x2 -1 7)))
      (local.set $v (i32x4.replace_lane 2 (local.get $v) (local.get $i)))
      (local.set $v (i16x8.mul (local.get $v) (i16x8.splat (i32.const 3))))        ;; 0x95
      (local.set $v (i32x4.add (local.get $v) (i32x4.dot_i16x8_s (local.get $v) (local.get $v)))) ;; 0xba
      (local.set $v (i16x8.abs (local.get $v)))                                      ;; 0x80
      (local.set $acc (i64.add (local.get $acc) (i64x2.extract_lane 1 (local.get $v))))
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_s (i8x16.extract_lane_s 5 (local.get $v)))))
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i16x8.extract_lane_u 7 (local.get $v)))))
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i8x16.bitmask (local.get $v)))))
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i32x4.all_true (local.get $v)))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 20))))
    (local.get $acc))

  (func (export "floats") (result f64)
    (local $v v128)
    (local.set $v (f64x2.convert_low_i32x4_s (v128.const i32x4 -3 9 0 0)))   ;; 0xfe
    (local.set $v (f64x2.add (local.get $v) (f64x2.promote_low_f32x4 (v128.const f32x4 0.5 1.5 0 0)))) ;; 0x5f
    (local.set $v (f64x2.mul (local.get $v) (f64x2.splat (f64.const 1.25))))
    (local.set $v (f64x2.replace_lane 0 (local.get $v) (f64.add (f64x2.extract_lane 0 (local.get $v)) (f64.const 0.125))))
    (f64.add
      (f64x2.extract_lane 0 (local.get $v))
      (f64.promote_f32 (f32x4.extract_lane 3 (f32x4.convert_i32x4_u (i32x4.trunc_sat_f64x2_s_zero (local.get $v)))))))
)
