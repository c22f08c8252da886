package config

import "time"

// Defaults of the keys a configuration leaves out. A key that is present
// keeps its value, even a zero, so that `ping_interval = "0s"` disables
// pings rather than restoring the default.
const (
	// DefaultListen is loopback only: a server started without thinking
	// about it is not reachable from the network. Set listen =
	// "0.0.0.0:8080" (or ":8080") to serve other machines.
	DefaultListen    = "127.0.0.1:8080"
	DefaultLogLevel  = "info"
	DefaultLogFormat = "text"

	DefaultMaxConnections      = 10000
	DefaultMaxConnectionsPerIP = 0 // no limit: behind a proxy every client has the proxy's IP
	DefaultHandshakeTimeout    = 10 * time.Second
	DefaultIdleTimeout         = 90 * time.Second
	DefaultPingInterval        = 30 * time.Second
	DefaultCloseTimeout        = 5 * time.Second
	DefaultShutdownTimeout     = 15 * time.Second
	DefaultOutboundQueue       = 4 * MiB

	DefaultInstances      = 1
	DefaultMaxMessageSize = 16 * MiB
	DefaultMemoryLimit    = 64 * MiB
	DefaultEventTimeout   = time.Second

	DefaultCompressionThreshold = 256
	DefaultCompressionLevel     = 1 // flate.BestSpeed: WebSocket traffic favours latency over ratio
	DefaultMaxWindowBits        = 15
)

// Bounds checked by validation.
const (
	MaxInstances  = 64
	WasmPageSize  = 64 * KiB
	MaxMemory     = 4 * GiB // wasm32 addresses 65536 pages
	MinWindowBits = 8
	MaxWindowBits = 15
)

// newConfig returns a Config holding every top-level default. Parse decodes
// the file over it, so the defaults are applied once, before decoding, and
// only to the keys the file leaves out.
func newConfig() *Config {
	return &Config{
		Listen: DefaultListen,
		Log:    Log{Level: DefaultLogLevel, Format: DefaultLogFormat},
		Limits: Limits{
			MaxConnections:      DefaultMaxConnections,
			MaxConnectionsPerIP: DefaultMaxConnectionsPerIP,
			HandshakeTimeout:    Duration(DefaultHandshakeTimeout),
			IdleTimeout:         Duration(DefaultIdleTimeout),
			PingInterval:        Duration(DefaultPingInterval),
			CloseTimeout:        Duration(DefaultCloseTimeout),
			ShutdownTimeout:     Duration(DefaultShutdownTimeout),
			OutboundQueue:       DefaultOutboundQueue,
		},
	}
}

// newRoute returns a Route holding every route default; the decoder starts
// each [[route]] from it.
func newRoute() Route {
	return Route{
		Instances:      DefaultInstances,
		Compression:    newCompression(false),
		MaxMessageSize: DefaultMaxMessageSize,
		MemoryLimit:    DefaultMemoryLimit,
		EventTimeout:   Duration(DefaultEventTimeout),
	}
}

// newCompression returns the compression defaults, enabled or not.
func newCompression(enabled bool) Compression {
	return Compression{
		Enabled:             enabled,
		Threshold:           DefaultCompressionThreshold,
		Level:               DefaultCompressionLevel,
		ServerMaxWindowBits: DefaultMaxWindowBits,
		ClientMaxWindowBits: DefaultMaxWindowBits,
	}
}
