package main

import (
	"embed"
	"fmt"
	"path"

	"github.com/socklet/socklet/host"
	"github.com/socklet/socklet/host/config"
)

// demo is the embedded default: its configuration, the /echo and /chat
// plugins (copies of examples/rust/echo and examples/rust/chat, refreshed by
// scripts/update-demo) and the chat page served at /.
//
//go:embed demo/socklet.toml demo/echo.wasm demo/chat.wasm demo/index.html
var demo embed.FS

// demoConfig returns the embedded configuration and the host options that
// serve its plugins and page from the binary.
func demoConfig() (*config.Config, host.Options, error) {
	data, err := demo.ReadFile("demo/socklet.toml")
	if err != nil {
		return nil, host.Options{}, err
	}
	cfg, err := config.Parse("socklet.toml", data)
	if err != nil {
		return nil, host.Options{}, fmt.Errorf("embedded demo: %w", err)
	}
	page, err := demo.ReadFile("demo/index.html")
	if err != nil {
		return nil, host.Options{}, err
	}
	opts := host.Options{
		ReadFile: func(name string) ([]byte, error) { return demo.ReadFile(path.Join("demo", name)) },
		Pages:    map[string]host.Page{"/": {ContentType: "text/html; charset=utf-8", Body: page}},
	}
	return cfg, opts, nil
}
