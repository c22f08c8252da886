package config_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/socklet/socklet/host/config"
)

// TestDefaults checks that a minimal configuration gets every default.
func TestDefaults(t *testing.T) {
	c, err := config.Parse("socklet.toml", []byte(okRoute))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		key       string
		got, want any
	}{
		{"listen", c.Listen, config.DefaultListen},
		{"cache_dir", c.CacheDir, ""},
		{"reload", c.Reload, false},
		{"tls.cert_file", c.TLS.CertFile, ""},
		{"tls.key_file", c.TLS.KeyFile, ""},
		{"admin.listen", c.Admin.Listen, ""},
		{"log.level", c.Log.Level, config.DefaultLogLevel},
		{"log.format", c.Log.Format, config.DefaultLogFormat},
		{"limits.max_connections", c.Limits.MaxConnections, config.DefaultMaxConnections},
		{"limits.max_connections_per_ip", c.Limits.MaxConnectionsPerIP, config.DefaultMaxConnectionsPerIP},
		{"limits.handshake_timeout", c.Limits.HandshakeTimeout.Duration(), config.DefaultHandshakeTimeout},
		{"limits.idle_timeout", c.Limits.IdleTimeout.Duration(), config.DefaultIdleTimeout},
		{"limits.ping_interval", c.Limits.PingInterval.Duration(), config.DefaultPingInterval},
		{"limits.close_timeout", c.Limits.CloseTimeout.Duration(), config.DefaultCloseTimeout},
		{"limits.shutdown_timeout", c.Limits.ShutdownTimeout.Duration(), config.DefaultShutdownTimeout},
		{"limits.outbound_queue", c.Limits.OutboundQueue, config.DefaultOutboundQueue},
	}
	r := c.Routes[0]
	checks = append(checks, []struct {
		key       string
		got, want any
	}{
		{"route.host", r.Host, ""},
		{"route.instances", r.Instances, config.DefaultInstances},
		{"route.origins", len(r.Origins), 0},
		{"route.subprotocols", len(r.Subprotocols), 0},
		{"route.compression", r.Compression, config.Compression{
			Enabled: false, Threshold: config.DefaultCompressionThreshold, Level: config.DefaultCompressionLevel,
			ServerMaxWindowBits: config.DefaultMaxWindowBits, ClientMaxWindowBits: config.DefaultMaxWindowBits,
		}},
		{"route.max_connections", r.MaxConnections, 0},
		{"route.max_message_size", r.MaxMessageSize, config.DefaultMaxMessageSize},
		{"route.memory_limit", r.MemoryLimit, config.DefaultMemoryLimit},
		{"route.event_timeout", r.EventTimeout.Duration(), config.DefaultEventTimeout},
		{"route.config", len(r.Config), 0},
		{"route.build", r.Build, ""},
		{"route.watch", len(r.Watch), 0},
	}...)
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %v, want %v", ch.key, ch.got, ch.want)
		}
	}
	// The values the brief names.
	if config.DefaultMaxMessageSize != 16<<20 || config.DefaultEventTimeout != time.Second || config.DefaultListen != "127.0.0.1:8080" {
		t.Errorf("defaults drifted: %v %v %v", config.DefaultMaxMessageSize, config.DefaultEventTimeout, config.DefaultListen)
	}
}

// TestExplicitZero checks that a key set to zero keeps zero instead of
// taking its default.
func TestExplicitZero(t *testing.T) {
	src := "[limits]\nmax_connections = 0\nidle_timeout = \"0s\"\nping_interval = \"0s\"\n" + okRoute +
		"compression = { threshold = 0 }\n"
	c, err := config.Parse("socklet.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits.MaxConnections != 0 || c.Limits.IdleTimeout != 0 || c.Limits.PingInterval != 0 {
		t.Errorf("limits = %+v, want zero max_connections, idle_timeout, ping_interval", c.Limits)
	}
	if cc := c.Routes[0].Compression; !cc.Enabled || cc.Threshold != 0 || cc.Level != config.DefaultCompressionLevel {
		t.Errorf("compression = %+v, want enabled, threshold 0, default level", cc)
	}
}

// TestCompressionForms checks the boolean and table forms of compression.
func TestCompressionForms(t *testing.T) {
	def := func(enabled bool) config.Compression {
		return config.Compression{Enabled: enabled, Threshold: config.DefaultCompressionThreshold, Level: config.DefaultCompressionLevel,
			ServerMaxWindowBits: config.DefaultMaxWindowBits, ClientMaxWindowBits: config.DefaultMaxWindowBits}
	}
	custom := def(true)
	custom.Level, custom.Threshold, custom.ServerNoContextTakeover, custom.ClientMaxWindowBits = 6, 1024, true, 10
	off := custom
	off.Enabled = false
	tests := []struct {
		name, toml string
		want       config.Compression
	}{
		{"absent", "", def(false)},
		{"false", "compression = false\n", def(false)},
		{"true", "compression = true\n", def(true)},
		{"empty table", "[route.compression]\n", def(true)},
		{"inline table", "compression = { level = 6, threshold = \"1KiB\", server_no_context_takeover = true, client_max_window_bits = 10 }\n", custom},
		{"table", "[route.compression]\nlevel = 6\nthreshold = 1024\nserver_no_context_takeover = true\nclient_max_window_bits = 10\n", custom},
		{"table disabled", "[route.compression]\nenabled = false\nlevel = 6\nthreshold = 1024\nserver_no_context_takeover = true\nclient_max_window_bits = 10\n", off},
	}
	for _, tt := range tests {
		c, err := config.Parse("socklet.toml", []byte(okRoute+tt.toml))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := c.Routes[0].Compression; got != tt.want {
			t.Errorf("%s: compression = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestNormalize checks the canonical forms Parse returns.
func TestNormalize(t *testing.T) {
	src := okRoute + "host = \"Chat.Example.COM\"\norigins = [\"HTTPS://App.Example.com:8443\"]\nmemory_limit = \"64MB\"\nmax_message_size = \"1MB\"\n"
	c, err := config.Parse("socklet.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Routes[0]
	if r.Host != "chat.example.com" {
		t.Errorf("host = %q", r.Host)
	}
	if r.Origins[0] != "https://app.example.com:8443" {
		t.Errorf("origins = %q", r.Origins)
	}
	// 64 MB = 64000000 bytes = 976.5625 pages: rounded up to 977 pages.
	if r.MemoryLimit != 977*config.WasmPageSize || r.MemoryLimitPages() != 977 {
		t.Errorf("memory_limit = %d (%d pages), want %d", r.MemoryLimit, r.MemoryLimitPages(), 977*config.WasmPageSize)
	}
	if r.Label() != "chat.example.com/a" {
		t.Errorf("Label() = %q", r.Label())
	}
}

// TestValidValues accepts the edge values of every check.
func TestValidValues(t *testing.T) {
	src := `listen = "[::1]:0"
[admin]
listen = "localhost:9090"
[tls]
cert_file = "c.pem"
key_file = "k.pem"
[log]
level = "debug"
format = "json"
[limits]
max_connections_per_ip = 10
idle_timeout = "31s"
ping_interval = "30s"
[[route]]
path = "/"
plugin = "/abs/a.wasm"
host = "::1"
instances = 64
origins = ["*", "https://*.example.com", "http://[::1]:8080", "chrome-extension://abcdef", "http://127.0.0.1:65535"]
subprotocols = ["graphql-transport-ws", "v1.chat~!#$%&'*+-.^_|"]
memory_limit = 65536
max_message_size = 65536
compression = { level = 9, server_max_window_bits = 8, client_max_window_bits = 15 }
watch = ["src/*.rs", "**/*.go"]
[[route]]
path = "/a/"
plugin = "a.wasm"
host = "xn--bcher-kva.example"
memory_limit = "4GiB"
[[route]]
path = "/a"
plugin = "a.wasm"
[[route]]
path = "/a"
host = "other.example"
plugin = "a.wasm"
`
	if _, err := config.Parse("socklet.toml", []byte(src)); err != nil {
		t.Errorf("Parse: %v", err)
	}
}
