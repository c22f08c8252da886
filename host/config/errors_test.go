package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/socklet/socklet/host/config"
)

// okRoute is a valid route of three lines, for sources that test something
// else.
const okRoute = "[[route]]\npath = \"/a\"\nplugin = \"a.wasm\"\n"

// TestProblems asserts the exact text of every problem Parse reports.
func TestProblems(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		// Syntax and structure.
		{"syntax", "listen = \n",
			`socklet.toml:1: invalid TOML: expected value but found '\n' instead`},
		{"duplicate key", "listen = \":1\"\nlisten = \":2\"\n" + okRoute,
			`socklet.toml:2: invalid TOML: Key 'listen' has already been defined.`},
		{"unknown top-level key", "lisen = \":80\"\n" + okRoute,
			`socklet.toml:1: unknown key lisen (did you mean listen?)`},
		{"unknown route key", okRoute + okRoute[:10] + "path = \"/b\"\nplugin = \"b.wasm\"\nmax_conections = 3\n",
			`socklet.toml:7: unknown key route[1].max_conections (did you mean max_connections?)`},
		{"unknown key without suggestion", okRoute + "frobnicate = 1\n",
			`socklet.toml:4: unknown key route[0].frobnicate`},
		{"unknown table", "[server]\nport = 1\n" + okRoute,
			"socklet.toml:1: unknown key server"},
		{"unknown key in inline compression", okRoute + "compression = { treshold = 5 }\n",
			`socklet.toml:4: unknown key route[0].compression.treshold (did you mean threshold?)`},
		{"no routes", "listen = \":80\"\n",
			`socklet.toml: no [[route]]: a configuration serves at least one route`},

		// Types.
		{"string expected", "listen = 8080\n" + okRoute,
			`socklet.toml:1: listen: expected a string, got integer 8080`},
		{"integer expected", "[limits]\nmax_connections = \"many\"\n" + okRoute,
			`socklet.toml:2: limits.max_connections: expected an integer, got string "many"`},
		{"float for integer", okRoute + "instances = 1.5\n",
			`socklet.toml:4: route[0].instances: expected an integer, got float 1.5`},
		{"boolean expected", "reload = \"yes\"\n" + okRoute,
			`socklet.toml:1: reload: expected a boolean, got string "yes"`},
		{"table expected", "tls = \"on\"\n" + okRoute,
			`socklet.toml:1: tls: expected a table, got string "on"`},
		{"array expected", okRoute + "origins = \"*\"\n",
			`socklet.toml:4: route[0].origins: expected an array, got string "*"`},
		{"array element type", okRoute + "subprotocols = [\"a\", 2]\n",
			`socklet.toml:4: route[0].subprotocols[1]: expected a string, got integer 2`},
		{"route not a table", "route = 1\n",
			`socklet.toml:1: route: expected an array, got integer 1`},
		{"route as a table", "[route]\npath = \"/a\"\nplugin = \"a.wasm\"\n",
			`socklet.toml:1: route: expected an array of tables, got a table (write [[route]] for each, not [route])`},
		{"config not a table", okRoute + "config = 1\n",
			`socklet.toml:4: route[0].config: expected a table, got integer 1`},
		{"compression type", okRoute + "compression = \"gzip\"\n",
			`socklet.toml:4: route[0].compression: expected a boolean or a table, got string "gzip"`},

		// Sizes and durations.
		{"bad size unit", okRoute + "max_message_size = \"16Mb\"\n",
			`socklet.toml:4: route[0].max_message_size: invalid size "16Mb": a size is a number of bytes with an optional unit B, KiB, MiB, GiB, TiB, kB, MB, GB or TB, like "64KiB"`},
		{"negative size", "[limits]\noutbound_queue = -1\n" + okRoute,
			`socklet.toml:2: limits.outbound_queue: invalid size -1: must not be negative`},
		{"size type", "[limits]\noutbound_queue = true\n" + okRoute,
			`socklet.toml:2: limits.outbound_queue: expected a size (integer or string like "64KiB"), got boolean true`},
		{"bad duration", "[limits]\nidle_timeout = \"5 s\"\n" + okRoute,
			`socklet.toml:2: limits.idle_timeout: invalid duration "5 s": a duration is a number with a unit (ns, us, ms, s, m, h), like "5s" or "250ms"`},
		{"integer duration", okRoute + "event_timeout = 5\n",
			`socklet.toml:4: route[0].event_timeout: invalid duration 5: a duration is a string with a unit, like "5s" or "5ms"`},
		{"negative duration", "[limits]\nclose_timeout = \"-1s\"\n" + okRoute,
			`socklet.toml:2: limits.close_timeout: invalid duration "-1s": must not be negative`},
		{"duration type", "[limits]\nclose_timeout = 1.5\n" + okRoute,
			`socklet.toml:2: limits.close_timeout: expected a duration (a string like "5s"), got float 1.5`},

		// Top-level values.
		{"listen empty", "listen = \"\"\n" + okRoute,
			`socklet.toml:1: listen: missing (want host:port, like "127.0.0.1:8080")`},
		{"listen no port", "listen = \"localhost\"\n" + okRoute,
			`socklet.toml:1: listen: "localhost" is not host:port (like "127.0.0.1:8080" or ":8080")`},
		{"listen bad port", "listen = \":http\"\n" + okRoute,
			`socklet.toml:1: listen: port "http" of ":http" is not a number from 0 to 65535`},
		{"listen port range", "listen = \":65536\"\n" + okRoute,
			`socklet.toml:1: listen: port "65536" of ":65536" is not a number from 0 to 65535`},
		{"listen bad host", "listen = \"my_host:80\"\n" + okRoute,
			`socklet.toml:1: listen: "my_host" is not an IP address or host name`},
		{"admin same as listen", "listen = \":9000\"\n[admin]\nlisten = \":9000\"\n" + okRoute,
			`socklet.toml:3: admin.listen: ":9000" is also listen; the admin listener needs its own address`},
		{"admin bad", "[admin]\nlisten = \"9090\"\n" + okRoute,
			`socklet.toml:2: admin.listen: "9090" is not host:port (like "127.0.0.1:8080" or ":8080")`},
		{"cert without key", "[tls]\ncert_file = \"c.pem\"\n" + okRoute,
			`socklet.toml:2: tls.cert_file is set without tls.key_file; set both or neither`},
		{"key without cert", "[tls]\nkey_file = \"k.pem\"\n" + okRoute,
			`socklet.toml:2: tls.key_file is set without tls.cert_file; set both or neither`},
		{"log level", "[log]\nlevel = \"verbose\"\n" + okRoute,
			`socklet.toml:2: log.level: unknown level "verbose" (want debug, info, warn or error)`},
		{"log format", "[log]\nformat = \"xml\"\n" + okRoute,
			`socklet.toml:2: log.format: unknown format "xml" (want text or json)`},

		// Limits.
		{"negative max_connections", "[limits]\nmax_connections = -1\n" + okRoute,
			`socklet.toml:2: limits.max_connections: -1 must not be negative (0 = no limit)`},
		{"negative per ip", "[limits]\nmax_connections_per_ip = -2\n" + okRoute,
			`socklet.toml:2: limits.max_connections_per_ip: -2 must not be negative (0 = no limit)`},
		{"zero handshake timeout", "[limits]\nhandshake_timeout = \"0s\"\n" + okRoute,
			`socklet.toml:2: limits.handshake_timeout: must be more than 0s`},
		{"zero shutdown timeout", "[limits]\nshutdown_timeout = \"0\"\n" + okRoute,
			`socklet.toml:2: limits.shutdown_timeout: must be more than 0s`},
		{"idle not above ping", "[limits]\nidle_timeout = \"30s\"\nping_interval = \"30s\"\n" + okRoute,
			`socklet.toml:2: limits.idle_timeout: 30s must be longer than limits.ping_interval (30s), or a connection that only answers pings is closed as idle`},
		{"zero outbound queue", "[limits]\noutbound_queue = 0\n" + okRoute,
			`socklet.toml:2: limits.outbound_queue: must be more than 0`},

		// Routes.
		{"path missing", "[[route]]\nplugin = \"a.wasm\"\n",
			`socklet.toml:1: route[0].path: path is missing (every route needs one, like "/echo")`},
		{"path without slash", "[[route]]\npath = \"echo\"\nplugin = \"a.wasm\"\n",
			`socklet.toml:2: route[0].path: "echo" must start with "/"`},
		{"path with query", "[[route]]\npath = \"/echo?x=1\"\nplugin = \"a.wasm\"\n",
			`socklet.toml:2: route[0].path: "/echo?x=1" must not contain "?" or "#": routes match the path alone`},
		{"path with space", "[[route]]\npath = \"/a b\"\nplugin = \"a.wasm\"\n",
			`socklet.toml:2: route[0].path: "/a b" must not contain spaces or control characters`},
		{"path not clean", "[[route]]\npath = \"/a//b/../c/\"\nplugin = \"a.wasm\"\n",
			`socklet.toml:2: route[0].path: "/a//b/../c/" is not a clean path (want "/a/c/")`},
		{"plugin missing", "[[route]]\npath = \"/a\"\n",
			`socklet.toml:1: route[0].plugin: plugin is missing (the .wasm file that serves the route)`},
		{"duplicate route", okRoute + "\n" + okRoute,
			`socklet.toml:6: route[1].path: path "/a" on any host is already served by route[0] (line 1)`},
		{"duplicate route host case", okRoute + "host = \"Example.com\"\n" + okRoute + "host = \"example.COM\"\n",
			`socklet.toml:6: route[1].path: path "/a" on host "example.com" is already served by route[0] (line 1)`},
		{"host with port", okRoute + "host = \"example.com:8080\"\n",
			`socklet.toml:4: route[0].host: "example.com:8080" must not include a port: routes match the Host header without its port`},
		{"host bracketed", okRoute + "host = \"[::1]\"\n",
			`socklet.toml:4: route[0].host: "[::1]": write an IPv6 address without brackets`},
		{"host trailing dot", okRoute + "host = \"example.com.\"\n",
			`socklet.toml:4: route[0].host: "example.com." must not end with "."`},
		{"host invalid", okRoute + "host = \"ex ample\"\n",
			`socklet.toml:4: route[0].host: "ex ample" is not a host name or IP address`},
		{"instances zero", okRoute + "instances = 0\n",
			`socklet.toml:4: route[0].instances: 0 is out of range 1..64`},
		{"instances too many", okRoute + "instances = 65\n",
			`socklet.toml:4: route[0].instances: 65 is out of range 1..64`},
		{"origin without scheme", okRoute + "origins = [\n  \"https://ok.example\",\n  \"example.com\",\n]\n",
			`socklet.toml:6: route[0].origins[1]: "example.com" is not an origin: want "*", scheme://host[:port] or scheme://*.domain[:port]`},
		{"origin with path", okRoute + "origins = [\"https://example.com/\"]\n",
			`socklet.toml:4: route[0].origins[0]: "https://example.com/" is not an origin: want "*", scheme://host[:port] or scheme://*.domain[:port], without path, query or user`},
		{"origin bad port", okRoute + "origins = [\"https://example.com:0\"]\n",
			`socklet.toml:4: route[0].origins[0]: "https://example.com:0" is not an origin: want "*", scheme://host[:port] or scheme://*.domain[:port]`},
		{"origin empty port", okRoute + "origins = [\"https://example.com:\"]\n",
			`socklet.toml:4: route[0].origins[0]: "https://example.com:" is not an origin: want "*", scheme://host[:port] or scheme://*.domain[:port]`},
		{"origin bad wildcard", okRoute + "origins = [\"https://*example.com\"]\n",
			`socklet.toml:4: route[0].origins[0]: "https://*example.com" is not an origin: want "*", scheme://host[:port] or scheme://*.domain[:port]`},
		{"subprotocol not token", okRoute + "subprotocols = [\"a b\"]\n",
			"socklet.toml:4: route[0].subprotocols[0]: \"a b\" is not a valid subprotocol (an HTTP token: letters, digits and !#$%&'*+-.^_`|~)"},
		{"subprotocol twice", okRoute + "subprotocols = [\"chat\", \"chat\"]\n",
			`socklet.toml:4: route[0].subprotocols[1]: "chat" is listed twice`},
		{"compression level", okRoute + "[route.compression]\nlevel = 0\n",
			`socklet.toml:5: route[0].compression.level: 0 is out of range 1..9`},
		{"window bits", okRoute + "compression = { server_max_window_bits = 7, client_max_window_bits = 16 }\n",
			"socklet.toml:4: route[0].compression.server_max_window_bits: 7 is out of range 8..15\nsocklet.toml:4: route[0].compression.client_max_window_bits: 16 is out of range 8..15"},
		{"negative route max_connections", okRoute + "max_connections = -1\n",
			`socklet.toml:4: route[0].max_connections: -1 must not be negative (0 = only the server's limit)`},
		{"zero max_message_size", okRoute + "max_message_size = 0\n",
			`socklet.toml:4: route[0].max_message_size: must be more than 0`},
		{"message larger than memory", okRoute + "memory_limit = \"1MiB\"\nmax_message_size = \"2MiB\"\n",
			`socklet.toml:5: route[0].max_message_size: 2MiB is more than memory_limit (1MiB): the plugin could never receive such a message`},
		{"memory below a page", okRoute + "memory_limit = \"1KiB\"\nmax_message_size = 512\n",
			`socklet.toml:4: route[0].memory_limit: 1KiB is less than one 64KiB page`},
		{"memory above 4GiB", okRoute + "memory_limit = \"5GiB\"\n",
			`socklet.toml:4: route[0].memory_limit: 5GiB is more than 4GiB, all a wasm32 module can address`},
		{"zero event timeout", okRoute + "event_timeout = \"0s\"\n",
			`socklet.toml:4: route[0].event_timeout: must be more than 0s`},
		{"queue is not a key", okRoute + "queue = 8\n",
			`socklet.toml:4: unknown key route[0].queue`},
		{"config nan", okRoute + "[route.config]\nratio = nan\n",
			`socklet.toml:5: route[0].config.ratio: NaN has no JSON form; plugins read config values as text or JSON`},
		{"config nested inf", okRoute + "[route.config]\nlimits = { hi = inf }\n",
			`socklet.toml:5: route[0].config.limits.hi: +Inf has no JSON form; plugins read config values as text or JSON`},
		{"watch bad glob", okRoute + "watch = [\"src/[a\"]\n",
			`socklet.toml:4: route[0].watch[0]: "src/[a" is not a valid glob pattern`},
		{"watch empty", okRoute + "watch = [\"\"]\n",
			`socklet.toml:4: route[0].watch[0]: "" is not a valid glob pattern`},
		{"quoted key path", okRoute + "\"max message\" = 1\n",
			`socklet.toml:4: unknown key route[0]."max message"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse("socklet.toml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded, want:\n%s", tt.want)
			}
			if c != nil {
				t.Errorf("Parse returned a Config with an error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Parse error:\n got: %s\nwant: %s", got, tt.want)
			}
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error is %T, want *config.Error", err)
			}
			if n := strings.Count(tt.want, "\n") + 1; len(ce.Problems) != n {
				t.Errorf("%d problems, want %d", len(ce.Problems), n)
			}
		})
	}
}

// TestEveryProblemAtOnce checks that one Parse reports the problems of the
// whole file, sorted by line, with their keys.
func TestEveryProblemAtOnce(t *testing.T) {
	src := `listen = "nowhere"
[log]
level = "loud"

[[route]]
path = "/a"
plugin = "a.wasm"
instances = 100
compression = { level = 12 }

[[route]]
path = "a"
plugin = "b.wasm"
max_conections = 3
event_timeout = "soon"
origins = ["example.com"]
`
	_, err := config.Parse("dir/socklet.toml", []byte(src))
	var ce *config.Error
	if !errors.As(err, &ce) {
		t.Fatalf("Parse error = %v, want *config.Error", err)
	}
	want := []config.Problem{
		{File: "dir/socklet.toml", Line: 1, Key: "listen"},
		{File: "dir/socklet.toml", Line: 3, Key: "log.level"},
		{File: "dir/socklet.toml", Line: 8, Key: "route[0].instances"},
		{File: "dir/socklet.toml", Line: 9, Key: "route[0].compression.level"},
		{File: "dir/socklet.toml", Line: 12, Key: "route[1].path"},
		{File: "dir/socklet.toml", Line: 14, Key: "route[1].max_conections"},
		{File: "dir/socklet.toml", Line: 15, Key: "route[1].event_timeout"},
		{File: "dir/socklet.toml", Line: 16, Key: "route[1].origins[0]"},
	}
	if len(ce.Problems) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(ce.Problems), len(want), err)
	}
	for i, p := range ce.Problems {
		if p.File != want[i].File || p.Line != want[i].Line || p.Key != want[i].Key {
			t.Errorf("problem %d = %s:%d %s, want %s:%d %s", i, p.File, p.Line, p.Key, want[i].File, want[i].Line, want[i].Key)
		}
		if !strings.Contains(p.Msg, p.Key) {
			t.Errorf("problem %d message %q does not name its key %q", i, p.Msg, p.Key)
		}
	}
	if got := strings.Count(err.Error(), "\n") + 1; got != len(want) {
		t.Errorf("Error() has %d lines, want %d", got, len(want))
	}
}

// TestValidateBuiltInGo checks Validate on a Config built without a source:
// problems have no file or line.
func TestValidateBuiltInGo(t *testing.T) {
	c := &config.Config{Listen: "127.0.0.1:0"}
	err := c.Validate()
	want := "log.level: unknown level \"\" (want debug, info, warn or error)\n" +
		"log.format: unknown format \"\" (want text or json)\n" +
		"limits.handshake_timeout: must be more than 0s\n" +
		"limits.close_timeout: must be more than 0s\n" +
		"limits.shutdown_timeout: must be more than 0s\n" +
		"limits.outbound_queue: must be more than 0\n" +
		"no [[route]]: a configuration serves at least one route"
	if err == nil || err.Error() != want {
		t.Errorf("Validate() =\n%v\nwant\n%s", err, want)
	}

	parsed, err := config.Parse("socklet.toml", []byte(okRoute))
	if err != nil {
		t.Fatal(err)
	}
	if err := parsed.Validate(); err != nil {
		t.Errorf("Validate of a parsed config: %v", err)
	}
	parsed.Routes[0].Instances = 0
	if err := parsed.Validate(); err == nil || err.Error() != "socklet.toml:1: route[0].instances: 0 is out of range 1..64" {
		t.Errorf("Validate after a change = %v", err)
	}
}
