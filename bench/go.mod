module github.com/socklet/socklet/bench

go 1.26

replace github.com/socklet/socklet => ../

require (
	github.com/gorilla/websocket v1.5.3
	github.com/lxzan/gws v1.8.9
)

require (
	github.com/dolthub/maphash v0.1.0 // indirect
	github.com/klauspost/compress v1.17.9 // indirect
	github.com/socklet/socklet v0.0.0 // indirect
)
