;; env: globals that mvp.wat imports.
(module $env
  (global (export "base") i32 (i32.const 7))
  (global (export "counter") (mut i32) (i32.const 3))
)
