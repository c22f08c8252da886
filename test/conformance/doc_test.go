// Package conformance runs the same scenarios against the echo and chat
// examples of every guest language (Rust, standard Go, TinyGo,
// AssemblyScript) through a real in-process socklet server and real
// WebSocket clients (protocol.Dial over loopback).
//
// For each language, TestExamples first rebuilds examples/<lang>/echo and
// examples/<lang>/chat with their build.sh and fails when a rebuilt .wasm
// differs from the committed one; it skips a language, naming the installer
// to run, only when that language's toolchain is missing. Then it serves the
// modules and runs the scenarios: echo, chat fan-out, nick survival across
// a hot reload, close codes, timers (with each language's richer example)
// and shutdown.
//
// Run: go test ./test/conformance/ (about 40 seconds on two cores with
// warm build caches). The benchmarks (BenchmarkEcho, BenchmarkReload) feed
// docs/sdk.md and docs/reload.md.
package conformance
