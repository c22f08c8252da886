package host

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/socklet/socklet/host/config"
	"github.com/socklet/socklet/plugins"
	"github.com/socklet/socklet/protocol"
)

// route is one [[route]] of the configuration, ready to serve: its plugin
// pool and the upgrader that applies its origin, subprotocol and protocol
// limits.
type route struct {
	cfg      config.Route
	label    string // metrics and log label: path, or host+path
	plugin   *plugins.Route
	upgrader *protocol.Upgrader
	rm       *routeMetrics
	conns    atomic.Int64

	mu     sync.Mutex      // serializes reloads of the module
	module *plugins.Module // guarded by mu

	// retired is set when a reload removed or replaced the route: it
	// serves its connections until they end, then closes.
	retired   atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// routeTable maps Host and path to routes. It is immutable once built; a
// config reload builds a new one and swaps the pointer.
type routeTable struct {
	byHost map[string]map[string]*route // lower-case host without port; "" matches any host
	all    []*route
	cfg    *config.Config // the configuration the table was built from
}

// lookup returns the route for a request's Host header and path: a route
// declared for that host first, then one declared for any host.
func (t *routeTable) lookup(hostHeader, path string) *route {
	h := strings.ToLower(hostHeader)
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.Trim(h, "[]"), ".")
	if r := t.byHost[h][path]; r != nil {
		return r
	}
	return t.byHost[""][path]
}

// buildRoutes builds the route table of cfg. A route of old whose
// configuration is unchanged is carried over as it is, with its plugin, its
// connections and their state; every other route is built anew. On error,
// what was built is closed and old is untouched.
func (s *Server) buildRoutes(ctx context.Context, cfg *config.Config, old *routeTable) (*routeTable, error) {
	t := &routeTable{byHost: map[string]map[string]*route{}}
	var built []*route
	for _, rc := range cfg.Routes {
		r := old.find(rc.Label())
		if r == nil || !reflect.DeepEqual(r.cfg, rc) || !sameLimits(old.cfg, cfg) {
			var err error
			if r, err = s.newRoute(ctx, cfg, rc); err != nil {
				for _, b := range built {
					_ = b.close(ctx)
				}
				return nil, err
			}
			built = append(built, r)
		}
		host := strings.ToLower(rc.Host)
		if t.byHost[host] == nil {
			t.byHost[host] = map[string]*route{}
		}
		t.byHost[host][rc.Path] = r
		t.all = append(t.all, r)
	}
	t.cfg = cfg
	return t, nil
}

// find returns the route labelled label, or nil; t may be nil.
func (t *routeTable) find(label string) *route {
	if t == nil {
		return nil
	}
	for _, r := range t.all {
		if r.label == label {
			return r
		}
	}
	return nil
}

// sameLimits reports whether the server limits a route's protocol options
// are built from are equal in a and b (a may be nil).
func sameLimits(a, b *config.Config) bool {
	return a != nil && a.Limits == b.Limits
}

func (s *Server) newRoute(ctx context.Context, cfg *config.Config, rc config.Route) (*route, error) {
	label := rc.Label()
	wasm, err := s.opts.ReadFile(rc.Plugin)
	if err != nil {
		return nil, fmt.Errorf("host: route %s: %w", label, err)
	}
	mod, err := s.rt.Compile(ctx, rc.Plugin, wasm)
	if err != nil {
		return nil, fmt.Errorf("host: route %s: %w", label, err)
	}
	r := &route{cfg: rc, label: label, module: mod, rm: s.metrics.route(label)}
	pr, err := plugins.NewRoute(ctx, s.rt, mod, plugins.RouteConfig{
		Name:         label,
		Instances:    rc.Instances,
		MemoryLimit:  uint64(rc.MemoryLimit),
		EventTimeout: rc.EventTimeout.Duration(),
		Config:       rc.PluginConfig(),
		Framer:       framer{},
		Logger:       s.log.With("route", label),
		Observer:     r.rm,
	})
	if err != nil {
		mod.Release(ctx)
		return nil, fmt.Errorf("host: route %s: %w", label, err)
	}
	r.plugin = pr
	r.upgrader = &protocol.Upgrader{
		Options:          protocolOptions(cfg, rc, s.poller),
		Subprotocols:     rc.Subprotocols,
		CheckOrigin:      originChecker(rc.Origins),
		HandshakeTimeout: cfg.Limits.HandshakeTimeout.Duration(),
	}
	return r, nil
}

func protocolOptions(cfg *config.Config, rc config.Route, poller *protocol.Poller) protocol.Options {
	l := cfg.Limits
	o := protocol.Options{
		// An idle connection gives its read buffer back: ~1 KiB of heap
		// instead of ~5 (protocol's TestIdleConnHeap), and with a Poller it
		// waits without a goroutine.
		ReleaseReadBuffer:  true,
		Poller:             poller,
		MaxMessageSize:     int64(rc.MaxMessageSize),
		OutboundQueueBytes: int(l.OutboundQueue),
		CloseTimeout:       l.CloseTimeout.Duration(),
		IdleTimeout:        l.IdleTimeout.Duration(),
		PingInterval:       l.PingInterval.Duration(),
	}
	if c := rc.Compression; c.Enabled {
		o.Compression = protocol.CompressionOptions{
			Enabled:                 true,
			ServerNoContextTakeover: c.ServerNoContextTakeover,
			ClientNoContextTakeover: c.ClientNoContextTakeover,
			ServerMaxWindowBits:     c.ServerMaxWindowBits,
			ClientMaxWindowBits:     c.ClientMaxWindowBits,
			Threshold:               int(c.Threshold),
			Level:                   c.Level,
		}
	}
	return o
}

// close closes the route's plugin and releases its module, once.
func (r *route) close(ctx context.Context) error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.closeErr = r.plugin.Close(ctx)
		r.module.Release(ctx)
	})
	return r.closeErr
}

// originChecker returns the origin policy of a route's origins list: empty
// allows every origin; "*" allows every origin; "https://*.example.com"
// allows the subdomains of example.com over https; anything else must match
// scheme, host and port exactly (case-insensitively). A request without an
// Origin header is not from a browser and is allowed: the origin check
// protects browsers from cross-site use, and other clients can send any
// Origin they like.
func originChecker(origins []string) func(*http.Request) bool {
	if len(origins) == 0 {
		return nil
	}
	for _, o := range origins {
		if o == "*" {
			return nil
		}
	}
	return func(r *http.Request) bool {
		origin := r.Header.Get("Origin")
		if origin == "" {
			return true
		}
		return originAllowed(origins, origin)
	}
}

func originAllowed(allowed []string, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	got := strings.ToLower(u.Scheme + "://" + u.Host)
	for _, a := range allowed {
		a = strings.ToLower(strings.TrimSuffix(a, "/"))
		if a == got {
			return true
		}
		scheme, pattern, ok := strings.Cut(a, "://*.")
		if ok && strings.ToLower(u.Scheme) == scheme {
			host := strings.ToLower(u.Host)
			if strings.HasSuffix(host, "."+pattern) {
				return true
			}
		}
	}
	return false
}
