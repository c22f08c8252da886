module github.com/socklet/socklet/examples/tinygo/presence

go 1.25

require github.com/socklet/socklet/sdk/go v0.0.0

replace github.com/socklet/socklet/sdk/go => ../../../sdk/go
