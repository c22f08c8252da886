package host

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/socklet/socklet/host/config"
	"github.com/socklet/socklet/protocol"
)

// ReloadPlugins re-reads every route's plugin file and hot-swaps the routes
// whose bytes changed (see ReloadRoute). It returns every error, joined; a
// route whose new module fails keeps its running one.
func (s *Server) ReloadPlugins(ctx context.Context) error {
	var errs []error
	for _, r := range s.routes.Load().all {
		if _, err := s.reloadRoute(ctx, r); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ReloadRoute re-reads the plugin file of the route labelled label (its
// path, or host+path) and, when its bytes changed, replaces the running
// module without dropping a connection: the new module is compiled,
// validated and instantiated first, then the route pauses, re-binds every
// connection to the new instances (which get socklet_on_resume), and
// resumes. It reports whether a new module now runs. A module that fails to
// compile, is not a valid plugin, or traps while starting changes nothing.
func (s *Server) ReloadRoute(ctx context.Context, label string) (bool, error) {
	r := s.routes.Load().find(label)
	if r == nil {
		return false, fmt.Errorf("host: no route %s", label)
	}
	return s.reloadRoute(ctx, r)
}

func (s *Server) reloadRoute(ctx context.Context, r *route) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.retired.Load() {
		return false, nil
	}
	start := time.Now()
	wasm, err := s.opts.ReadFile(r.cfg.Plugin)
	if err != nil {
		return false, s.reloadFailed(r, fmt.Errorf("host: reload %s: %w", r.label, err))
	}
	mod, err := s.rt.Compile(ctx, r.cfg.Plugin, wasm)
	if err != nil {
		return false, s.reloadFailed(r, fmt.Errorf("host: reload %s: %w", r.label, err))
	}
	if mod == r.module {
		// Identical bytes: nothing to do (and closing a twin compiled from
		// the same bytes would break the running one, wazero issue 2336).
		mod.Release(ctx)
		return false, nil
	}
	if err := r.plugin.Swap(ctx, mod); err != nil {
		mod.Release(ctx)
		return false, s.reloadFailed(r, fmt.Errorf("host: reload %s: %w", r.label, err))
	}
	old := r.module
	r.module = mod
	old.Release(ctx)
	r.rm.reloads.Add(1)
	s.log.Info("plugin reloaded", "route", r.label, "plugin", r.cfg.Plugin,
		"connections", r.conns.Load(), "took", time.Since(start).Round(time.Microsecond).String())
	return true, nil
}

func (s *Server) reloadFailed(r *route, err error) error {
	r.rm.reloadErrors.Add(1)
	s.log.Error("plugin reload refused; the running version keeps serving", "route", r.label, "err", err)
	return err
}

// Reload applies a new configuration without a restart. Routes whose
// settings are unchanged keep running untouched, with their connections;
// new routes start; removed routes close their connections with 1001; a
// changed route is built anew for new connections while the old one serves
// its connections until they end. Server limits apply to new connections.
// listen, tls and admin cannot change without a restart: a change there is
// logged and ignored. If any route fails to build, nothing changes and the
// error says why.
func (s *Server) Reload(ctx context.Context, cfg *config.Config) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	old := s.routes.Load()
	cur := s.config()
	if cfg.Listen != cur.Listen || cfg.TLS != cur.TLS || cfg.Admin != cur.Admin {
		s.log.Warn("listen, tls and admin changes take effect at the next restart")
	}
	table, err := s.buildRoutes(ctx, cfg, old)
	if err != nil {
		s.log.Error("config reload refused; the running configuration keeps serving", "err", err)
		return err
	}
	s.cfg.Store(cfg)
	s.routes.Store(table)

	kept := map[*route]bool{}
	for _, r := range table.all {
		kept[r] = true
	}
	var added, removed, changed int
	for _, r := range table.all {
		if old.find(r.label) != r {
			added++
		}
	}
	for _, r := range old.all {
		if kept[r] {
			continue
		}
		if table.find(r.label) == nil {
			removed++
			s.closeRouteConns(r, protocol.StatusGoingAway, "route removed")
		} else {
			changed++
			added--
		}
		s.retire(ctx, r)
	}
	s.log.Info("configuration reloaded", "routes", len(table.all), "added", added, "changed", changed, "removed", removed)
	return nil
}

// retire marks r as no longer routed to; it closes once its last
// connection has ended.
func (s *Server) retire(ctx context.Context, r *route) {
	r.retired.Store(true)
	if r.conns.Load() == 0 {
		_ = r.close(ctx)
	}
}

// closeRouteConns starts a close handshake on every connection of r.
func (s *Server) closeRouteConns(r *route, code protocol.StatusCode, reason string) {
	s.mu.Lock()
	var conns []*serverConn
	for c := range s.conns {
		if c.route == r {
			conns = append(conns, c)
		}
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.goAway(code, reason)
	}
}
