package plugins

// Rebuild the guest fixtures (see testdata/README.md).
//go:generate sh -c "for f in testdata/*.wat; do wat2wasm --debug-names \"$DOLLAR{f}\" -o \"$DOLLAR{f%.wat}.wasm\"; done"
//go:generate sh -c "cd testdata/goecho && GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags=-s -o ../goecho.wasm ."
