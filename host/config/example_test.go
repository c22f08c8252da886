package config_test

import (
	"fmt"

	"github.com/socklet/socklet/host/config"
)

func ExampleParse() {
	const src = `listen = ":8080"

[[route]]
path = "/chat"
plugin = "chat.wasm"
max_message_size = "64KiB"
[route.config]
room = "lobby"
admins = ["ana", "bo"]
`
	c, err := config.Parse("socklet.toml", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := c.Routes[0]
	room, _ := r.ConfigValue("room")
	admins, _ := r.ConfigValue("admins")
	fmt.Println(c.Listen, r.Path, r.Plugin, r.MaxMessageSize, r.EventTimeout, room, admins)
	// Output: :8080 /chat chat.wasm 64KiB 1s lobby ["ana","bo"]
}

func ExampleError() {
	const src = `[log]
level = "verbose"

[[route]]
path = "chat"
plugin = "chat.wasm"
max_conections = 10
`
	_, err := config.Parse("socklet.toml", []byte(src))
	fmt.Println(err)
	// Output:
	// socklet.toml:2: log.level: unknown level "verbose" (want debug, info, warn or error)
	// socklet.toml:5: route[0].path: "chat" must start with "/"
	// socklet.toml:7: unknown key route[0].max_conections (did you mean max_connections?)
}
