// Package config is socklet's configuration: the TOML file of `socklet
// serve`, decoded into plain data and validated once.
//
// Parse and Load return a *Config in which every key has a value: a key the
// file leaves out has its default (the Default* constants), a key the file
// sets has exactly that value, and relative paths are resolved against the
// configuration file's directory. Decoding is strict: an unknown key, a value
// of the wrong type and a value out of range are all problems, and one call
// reports every problem of the file at once in an *Error, each with its
// file:line and key path.
//
// Nothing in this package starts anything, opens a socket or watches a file.
// A *Config is not modified after Parse returns; it may be read from any
// number of goroutines.
package config

// Config is a whole socklet configuration. Struct tags give the TOML keys;
// docs/config.md describes each key, its default and its meaning.
type Config struct {
	// File is the name the configuration was parsed from: for Load the
	// absolute path of the file. It prefixes the positions in problems.
	File string `toml:"-"`
	// Dir is the directory relative paths were resolved against: the
	// directory of File.
	Dir string `toml:"-"`

	Listen   string   `toml:"listen"`    // host:port of the WebSocket listener
	CacheDir string   `toml:"cache_dir"` // compilation cache directory; "" keeps compiled plugins in memory only
	Reload   bool     `toml:"reload"`    // watch the config and plugin files and reload on change
	TLS      TLS      `toml:"tls"`
	Admin    Admin    `toml:"admin"`
	Log      Log      `toml:"log"`
	Limits   Limits   `toml:"limits"`
	Routes   []Route  `toml:"route"`
	pos      position // key path -> line, from the source; nil for a Config built in Go
}

// TLS is the [tls] table. Both files or neither: with neither, the listener
// speaks plain TCP (ws://).
type TLS struct {
	CertFile string `toml:"cert_file"` // PEM certificate chain, resolved against Config.Dir
	KeyFile  string `toml:"key_file"`  // PEM private key, resolved against Config.Dir
}

// Enabled reports whether TLS is configured.
func (t TLS) Enabled() bool { return t.CertFile != "" }

// Admin is the [admin] table: the listener of /metrics and /healthz.
type Admin struct {
	Listen string `toml:"listen"` // host:port; "" disables the admin listener
}

// Log is the [log] table.
type Log struct {
	Level  string `toml:"level"`  // debug, info, warn or error
	Format string `toml:"format"` // text or json
}

// Limits is the [limits] table: limits of the whole server.
type Limits struct {
	MaxConnections      int      `toml:"max_connections"`        // WebSocket connections of the server; 0 = no limit
	MaxConnectionsPerIP int      `toml:"max_connections_per_ip"` // connections from one remote IP; 0 = no limit
	HandshakeTimeout    Duration `toml:"handshake_timeout"`      // from TCP accept to the 101 response
	IdleTimeout         Duration `toml:"idle_timeout"`           // close a connection that sent nothing (not even a pong) for this long; 0 = never
	PingInterval        Duration `toml:"ping_interval"`          // ping every connection this often; 0 = never
	CloseTimeout        Duration `toml:"close_timeout"`          // wait this long for the peer's close frame
	ShutdownTimeout     Duration `toml:"shutdown_timeout"`       // graceful shutdown deadline
	OutboundQueue       Size     `toml:"outbound_queue"`         // bytes queued for one connection before sends fail with "queue full"
}

// Route is one [[route]]: a path (and optionally a Host) served by a
// plugin.
type Route struct {
	Path           string         `toml:"path"`             // request path, exact match; starts with "/"
	Host           string         `toml:"host"`             // Host header without port, lower case; "" = any host
	Plugin         string         `toml:"plugin"`           // the .wasm file, resolved against Config.Dir
	Instances      int            `toml:"instances"`        // instance pool size, 1..64
	Origins        []string       `toml:"origins"`          // allowed Origin values (lower case); empty = any origin
	Subprotocols   []string       `toml:"subprotocols"`     // in server preference order
	Compression    Compression    `toml:"compression"`      // permessage-deflate
	MaxConnections int            `toml:"max_connections"`  // connections of this route; 0 = only the server's limit
	MaxMessageSize Size           `toml:"max_message_size"` // larger messages close the connection with 1009
	MemoryLimit    Size           `toml:"memory_limit"`     // linear memory of one instance, a multiple of 64 KiB
	EventTimeout   Duration       `toml:"event_timeout"`    // deadline of every plugin call
	Config         map[string]any `toml:"config"`           // the [route.config] table, read by the plugin
	Build          string         `toml:"build"`            // shell command of `socklet dev`, run in Config.Dir
	Watch          []string       `toml:"watch"`            // globs `socklet dev` watches, resolved against Config.Dir
}

// Label names the route in logs and metrics: its path, or host+path when it
// is bound to a host.
func (r *Route) Label() string {
	if r.Host == "" {
		return r.Path
	}
	return r.Host + r.Path
}

// MemoryLimitPages is MemoryLimit in 64 KiB Wasm pages.
func (r *Route) MemoryLimitPages() uint32 { return uint32(r.MemoryLimit / WasmPageSize) }

// Compression is a route's permessage-deflate (RFC 7692) setting. In TOML it
// is either a boolean (`compression = true` enables it with the defaults) or
// a table whose keys override the defaults and which enables compression
// unless it says `enabled = false`.
type Compression struct {
	Enabled                 bool `toml:"enabled"`
	Threshold               Size `toml:"threshold"`                  // messages smaller than this are sent uncompressed
	Level                   int  `toml:"level"`                      // compress/flate level, 1 (fastest) .. 9 (smallest)
	ServerNoContextTakeover bool `toml:"server_no_context_takeover"` // the server resets its compressor after each message
	ClientNoContextTakeover bool `toml:"client_no_context_takeover"` // ask the client to reset its compressor after each message
	ServerMaxWindowBits     int  `toml:"server_max_window_bits"`     // 8..15: LZ77 window the server compresses with
	ClientMaxWindowBits     int  `toml:"client_max_window_bits"`     // 8..15: LZ77 window asked of the client
}
