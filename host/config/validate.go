package config

import (
	"fmt"
	"math"
	"net"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// Validate checks every value of c and returns an *Error listing every
// problem, or nil. It does not touch the file system. Parse and Load call
// it; a Config built in Go (without line numbers) may call it too.
func (c *Config) Validate() error {
	ps := &problems{file: c.File, pos: c.pos}
	c.validate(ps)
	return ps.err()
}

func (c *Config) validate(ps *problems) {
	checkAddr(ps, "listen", c.Listen, false)
	if checkAddr(ps, "admin.listen", c.Admin.Listen, true) && c.Admin.Listen != "" && c.Admin.Listen == c.Listen {
		ps.add("admin.listen", "admin.listen: %q is also listen; the admin listener needs its own address", c.Admin.Listen)
	}
	switch {
	case c.TLS.CertFile != "" && c.TLS.KeyFile == "":
		ps.add("tls.cert_file", "tls.cert_file is set without tls.key_file; set both or neither")
	case c.TLS.CertFile == "" && c.TLS.KeyFile != "":
		ps.add("tls.key_file", "tls.key_file is set without tls.cert_file; set both or neither")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		ps.add("log.level", "log.level: unknown level %q (want debug, info, warn or error)", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		ps.add("log.format", "log.format: unknown format %q (want text or json)", c.Log.Format)
	}
	c.Limits.validate(ps)

	if len(c.Routes) == 0 {
		ps.add("route", "no [[route]]: a configuration serves at least one route")
	}
	seen := map[[2]string]int{} // lower-case host, path -> route index
	for i := range c.Routes {
		r := &c.Routes[i]
		key := indexKey("route", i)
		r.validate(ps, key)
		if r.Path == "" {
			continue
		}
		id := [2]string{strings.ToLower(r.Host), r.Path}
		if j, dup := seen[id]; dup {
			on := "any host"
			if r.Host != "" {
				on = fmt.Sprintf("host %q", strings.ToLower(r.Host))
			}
			prev := indexKey("route", j)
			ps.add(key+".path", "%s.path: path %q on %s is already served by %s%s", key, r.Path, on, prev, atLine(ps.pos.line(prev)))
			continue
		}
		seen[id] = i
	}
}

func atLine(l int) string {
	if l == 0 {
		return ""
	}
	return fmt.Sprintf(" (line %d)", l)
}

func (l *Limits) validate(ps *problems) {
	nonNegative(ps, "limits.max_connections", l.MaxConnections, "0 = no limit")
	nonNegative(ps, "limits.max_connections_per_ip", l.MaxConnectionsPerIP, "0 = no limit")
	positiveDuration(ps, "limits.handshake_timeout", l.HandshakeTimeout)
	positiveDuration(ps, "limits.close_timeout", l.CloseTimeout)
	positiveDuration(ps, "limits.shutdown_timeout", l.ShutdownTimeout)
	if l.IdleTimeout > 0 && l.PingInterval > 0 && l.IdleTimeout <= l.PingInterval {
		ps.add("limits.idle_timeout", "limits.idle_timeout: %s must be longer than limits.ping_interval (%s), or a connection that only answers pings is closed as idle", l.IdleTimeout, l.PingInterval)
	}
	if l.OutboundQueue <= 0 {
		ps.add("limits.outbound_queue", "limits.outbound_queue: must be more than 0")
	}
}

func (r *Route) validate(ps *problems, key string) {
	k := func(name string) string { return key + "." + name }
	switch p := r.Path; {
	case p == "":
		ps.add(k("path"), "%s: path is missing (every route needs one, like \"/echo\")", k("path"))
	case !strings.HasPrefix(p, "/"):
		ps.add(k("path"), "%s: %q must start with \"/\"", k("path"), p)
	case strings.ContainsAny(p, "?#"):
		ps.add(k("path"), "%s: %q must not contain \"?\" or \"#\": routes match the path alone", k("path"), p)
	case strings.ContainsFunc(p, func(c rune) bool { return c <= ' ' || c == 0x7f }):
		ps.add(k("path"), "%s: %q must not contain spaces or control characters", k("path"), p)
	case cleanPath(p) != p:
		ps.add(k("path"), "%s: %q is not a clean path (want %q)", k("path"), p, cleanPath(p))
	}
	if r.Host != "" {
		checkRouteHost(ps, k("host"), r.Host)
	}
	if r.Plugin == "" {
		ps.add(k("plugin"), "%s: plugin is missing (the .wasm file that serves the route)", k("plugin"))
	}
	if r.Instances < 1 || r.Instances > MaxInstances {
		ps.add(k("instances"), "%s: %d is out of range 1..%d", k("instances"), r.Instances, MaxInstances)
	}
	for i, o := range r.Origins {
		if msg := checkOrigin(o); msg != "" {
			ok := indexKey(k("origins"), i)
			ps.add(ok, "%s: %q %s", ok, o, msg)
		}
	}
	seen := map[string]bool{}
	for i, s := range r.Subprotocols {
		sk := indexKey(k("subprotocols"), i)
		switch {
		case !isToken(s):
			ps.add(sk, "%s: %q is not a valid subprotocol (an HTTP token: letters, digits and !#$%%&'*+-.^_`|~)", sk, s)
		case seen[s]:
			ps.add(sk, "%s: %q is listed twice", sk, s)
		}
		seen[s] = true
	}
	r.Compression.validate(ps, k("compression"))
	nonNegative(ps, k("max_connections"), r.MaxConnections, "0 = only the server's limit")
	mem := roundPages(r.MemoryLimit)
	switch {
	case r.MemoryLimit < WasmPageSize:
		ps.add(k("memory_limit"), "%s: %s is less than one 64KiB page", k("memory_limit"), r.MemoryLimit)
	case r.MemoryLimit > MaxMemory:
		ps.add(k("memory_limit"), "%s: %s is more than 4GiB, all a wasm32 module can address", k("memory_limit"), r.MemoryLimit)
	}
	switch {
	case r.MaxMessageSize <= 0:
		ps.add(k("max_message_size"), "%s: must be more than 0", k("max_message_size"))
	case r.MaxMessageSize > mem && r.MemoryLimit >= WasmPageSize && r.MemoryLimit <= MaxMemory:
		ps.add(k("max_message_size"), "%s: %s is more than memory_limit (%s): the plugin could never receive such a message", k("max_message_size"), r.MaxMessageSize, mem)
	}
	positiveDuration(ps, k("event_timeout"), r.EventTimeout)
	checkConfigValues(ps, k("config"), r.Config)
	for i, w := range r.Watch {
		if _, err := filepath.Match(w, ""); err != nil || w == "" {
			wk := indexKey(k("watch"), i)
			ps.add(wk, "%s: %q is not a valid glob pattern", wk, w)
		}
	}
}

func (c *Compression) validate(ps *problems, key string) {
	if c.Level < 1 || c.Level > 9 {
		ps.add(key+".level", "%s.level: %d is out of range 1..9", key, c.Level)
	}
	for _, w := range []struct {
		name string
		bits int
	}{{"server_max_window_bits", c.ServerMaxWindowBits}, {"client_max_window_bits", c.ClientMaxWindowBits}} {
		if w.bits < MinWindowBits || w.bits > MaxWindowBits {
			ps.add(key+"."+w.name, "%s.%s: %d is out of range %d..%d", key, w.name, w.bits, MinWindowBits, MaxWindowBits)
		}
	}
}

// checkConfigValues rejects [route.config] values the plugin could not be
// given: floats without a JSON form.
func checkConfigValues(ps *problems, key string, v any) {
	switch v := v.(type) {
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			ps.add(key, "%s: %v has no JSON form; plugins read config values as text or JSON", key, v)
		}
	case map[string]any:
		for k, e := range v {
			checkConfigValues(ps, joinKey(key, k), e)
		}
	case []map[string]any:
		for i, e := range v {
			checkConfigValues(ps, indexKey(key, i), e)
		}
	case []any:
		for i, e := range v {
			checkConfigValues(ps, indexKey(key, i), e)
		}
	}
}

func nonNegative(ps *problems, key string, n int, meaning string) {
	if n < 0 {
		ps.add(key, "%s: %d must not be negative (%s)", key, n, meaning)
	}
}

func positiveDuration(ps *problems, key string, d Duration) {
	if d <= 0 {
		ps.add(key, "%s: must be more than 0s", key)
	}
}

// checkAddr checks a listen address; it reports whether the address is
// valid.
func checkAddr(ps *problems, key, addr string, emptyOK bool) bool {
	if addr == "" {
		if !emptyOK {
			ps.add(key, "%s: missing (want host:port, like %q)", key, DefaultListen)
		}
		return emptyOK
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		ps.add(key, "%s: %q is not host:port (like %q or \":8080\")", key, addr, DefaultListen)
		return false
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || port == "" || n > 65535 {
		ps.add(key, "%s: port %q of %q is not a number from 0 to 65535", key, port, addr)
		return false
	}
	if host != "" && net.ParseIP(host) == nil && !isHostname(host) {
		ps.add(key, "%s: %q is not an IP address or host name", key, host)
		return false
	}
	return true
}

// checkRouteHost checks a route's host: a host name or IP address without a
// port, matched against the Host header with its port removed.
func checkRouteHost(ps *problems, key, host string) {
	switch {
	case net.ParseIP(host) != nil:
	case strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") && net.ParseIP(host[1:len(host)-1]) != nil:
		ps.add(key, "%s: %q: write an IPv6 address without brackets", key, host)
	case strings.Contains(host, ":"):
		ps.add(key, "%s: %q must not include a port: routes match the Host header without its port", key, host)
	case strings.HasSuffix(host, "."):
		ps.add(key, "%s: %q must not end with \".\"", key, host)
	case !isHostname(host):
		ps.add(key, "%s: %q is not a host name or IP address", key, host)
	}
}

// isHostname reports whether h is dot-separated labels of letters, digits
// and hyphens (IDNs in their xn-- form), none empty or longer than 63.
func isHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// checkOrigin returns "" when o is a valid origins entry: "*",
// scheme://host[:port], or scheme://*.domain[:port]; otherwise the reason.
func checkOrigin(o string) string {
	const want = `is not an origin: want "*", scheme://host[:port] or scheme://*.domain[:port]`
	if o == "*" {
		return ""
	}
	scheme, rest, ok := strings.Cut(o, "://")
	if !ok || !isScheme(scheme) {
		return want
	}
	if strings.ContainsAny(rest, "/?#@") {
		return want + ", without path, query or user"
	}
	host, port := rest, ""
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return want
		}
		host, port = rest[1:end], rest[end+1:]
		if net.ParseIP(host) == nil || host != "" && !strings.Contains(host, ":") {
			return want
		}
		if port != "" {
			if !strings.HasPrefix(port, ":") {
				return want
			}
			port = port[1:]
		}
	} else if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		host, port = rest[:i], rest[i+1:]
		if port == "" {
			return want
		}
		if !isHostname(strings.TrimPrefix(host, "*.")) {
			return want
		}
	} else if !isHostname(strings.TrimPrefix(host, "*.")) {
		return want
	}
	if port != "" {
		if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
			return want
		}
	}
	return ""
}

// isScheme reports whether s is a URI scheme (RFC 3986 section 3.1).
func isScheme(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// isToken reports whether s is an HTTP token (RFC 9110 section 5.6.2), the
// form of a subprotocol name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// cleanPath is path.Clean that keeps a trailing slash.
func cleanPath(p string) string {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}
