module github.com/socklet/socklet/bench

go 1.26

replace github.com/socklet/socklet => ../

require (
	github.com/gorilla/websocket v1.5.3
	github.com/lxzan/gws v1.8.9
	github.com/socklet/socklet v0.0.0
)

require (
	github.com/BurntSushi/toml v1.6.0 // indirect
	github.com/dolthub/maphash v0.1.0 // indirect
	github.com/fsnotify/fsnotify v1.10.1 // indirect
	github.com/klauspost/compress v1.17.9 // indirect
	github.com/tetratelabs/wazero v1.12.0 // indirect
	golang.org/x/sys v0.44.0 // indirect
)
