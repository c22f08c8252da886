package wasmrewrite

// Rebuild the test fixtures (wabt 1.0.32, scripts/deps/wabt.sh).
//go:generate sh -c "for f in testdata/*.wat; do wat2wasm --debug-names \"$DOLLAR{f}\" -o \"$DOLLAR{f%.wat}.wasm\"; done"
