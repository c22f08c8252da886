// Package host is the socklet server: it accepts TCP (and TLS) connections,
// routes WebSocket upgrades by Host and path to plugin routes, runs each
// connection's read loop, keeps the connection registry, serves metrics, and
// shuts down gracefully.
//
// A Server owns every socket. Plugins (package plugins) see events and answer
// through plugins.Conn, which this package implements on top of
// protocol.Conn.
package host

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/socklet/socklet/host/config"
	"github.com/socklet/socklet/plugins"
	"github.com/socklet/socklet/protocol"
)

// Page is a static HTTP resource served for a plain GET of its path (the
// demo page of the embedded default, for instance).
type Page struct {
	ContentType string
	Body        []byte
}

// Options are what a Server needs besides its configuration.
type Options struct {
	// Logger receives the server's structured logs; nil means slog.Default().
	Logger *slog.Logger
	// ReadFile loads a route's plugin by the path in its config; nil means
	// os.ReadFile. The embedded default serves plugins from the binary.
	ReadFile func(name string) ([]byte, error)
	// Pages are served for plain GET requests of their path when no route
	// has that path.
	Pages map[string]Page
}

// Server serves one configuration. Create it with New, run it with Serve,
// stop it with Shutdown. Its methods are safe for concurrent use.
type Server struct {
	cfg     atomic.Pointer[config.Config] // replaced by Reload
	opts    Options
	log     *slog.Logger
	rt      *plugins.Runtime
	metrics *Metrics

	routes atomic.Pointer[routeTable]

	mu      sync.Mutex
	conns   map[*serverConn]struct{}
	perIP   map[string]int
	ln      net.Listener
	admin   *http.Server
	closing bool

	reloadMu     sync.Mutex // one Reload at a time
	shutdownOnce sync.Once
	shutdownErr  error

	poller *protocol.Poller // idle connections wait here; nil where epoll is missing

	total     atomic.Int64 // open TCP connections being served
	wsConns   atomic.Int64 // admitted WebSocket connections
	readLoops sync.WaitGroup
}

// New compiles every route's plugin and instantiates its pool. It starts no
// listener: a plugin that fails to load fails New, and nothing serves.
func New(ctx context.Context, cfg *config.Config, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ReadFile == nil {
		opts.ReadFile = os.ReadFile
	}
	s := &Server{
		opts:    opts,
		log:     opts.Logger,
		metrics: NewMetrics(),
		conns:   map[*serverConn]struct{}{},
		perIP:   map[string]int{},
	}
	s.cfg.Store(cfg)
	rt, err := plugins.NewRuntime(ctx, plugins.RuntimeConfig{CacheDir: cfg.CacheDir, Logger: opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("host: plugin runtime: %w", err)
	}
	s.rt = rt
	if p, err := protocol.NewPoller(); err == nil {
		s.poller = p
		s.metrics.parked = p.Parked
	} else {
		s.log.Info("idle connections keep a goroutine each", "reason", err)
	}
	table, err := s.buildRoutes(ctx, cfg, nil)
	if err != nil {
		_ = rt.Close(ctx)
		if s.poller != nil {
			_ = s.poller.Close()
		}
		return nil, err
	}
	s.routes.Store(table)
	return s, nil
}

// config returns the configuration in force.
func (s *Server) config() *config.Config { return s.cfg.Load() }

// Metrics returns the server's metrics registry.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Serve accepts connections on ln until Shutdown is called; it then returns
// http.ErrServerClosed, like net/http. When TLS is configured, Serve wraps ln.
func (s *Server) Serve(ln net.Listener) error {
	if cfg := s.config(); cfg.TLS.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
		if err != nil {
			return fmt.Errorf("host: tls: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}})
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return http.ErrServerClosed
	}
	s.ln = ln
	s.mu.Unlock()

	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return http.ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Out of file descriptors and the like: back off, as net/http does.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return fmt.Errorf("host: accept: %w", err)
		}
		delay = 0
		s.total.Add(1)
		s.readLoops.Add(1)
		go s.serveConn(nc)
	}
}

// ServeAdmin serves /metrics and /healthz on ln until Shutdown.
func (s *Server) ServeAdmin(ln net.Listener) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = s.metrics.WriteTo(w)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		closing := s.closing
		s.mu.Unlock()
		if closing {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return http.ErrServerClosed
	}
	s.admin = srv
	s.mu.Unlock()
	return srv.Serve(ln)
}

// Shutdown stops accepting, sends close 1001 to every connection, waits for
// the closing handshakes (every plugin sees its close events) until ctx is
// done, then drops what is left and releases the plugins. It returns ctx's
// error if it had to drop connections.
//
// Shutdown may be called more than once; later calls wait for the first and
// return its result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() { s.shutdownErr = s.shutdown(ctx) })
	return s.shutdownErr
}

func (s *Server) shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	if s.ln != nil {
		_ = s.ln.Close()
	}
	conns := make([]*serverConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	admin := s.admin
	s.mu.Unlock()

	for _, c := range conns {
		c.goAway(protocol.StatusGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() { s.readLoops.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.mu.Lock()
		for c := range s.conns {
			c.drop()
		}
		s.mu.Unlock()
		<-done
	}
	if admin != nil {
		_ = admin.Close()
	}
	cctx := context.WithoutCancel(ctx)
	for _, r := range s.routes.Load().all {
		_ = r.close(cctx)
	}
	_ = s.rt.Close(cctx)
	if s.poller != nil {
		_ = s.poller.Close()
	}
	return err
}

// track registers c for shutdown and enforces the per-IP limit; it reports
// false when c's address already has its maximum.
func (s *Server) track(c *serverConn, r *route) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	if max := s.config().Limits.MaxConnectionsPerIP; max > 0 && s.perIP[c.ip] >= max {
		return false
	}
	s.perIP[c.ip]++
	s.conns[c] = struct{}{}
	c.mu.Lock()
	c.route = r
	c.mu.Unlock()
	return true
}

func (s *Server) untrack(c *serverConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[c]; !ok {
		return
	}
	delete(s.conns, c)
	if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
		delete(s.perIP, c.ip)
	}
}
