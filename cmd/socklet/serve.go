package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/socklet/socklet/host"
	"github.com/socklet/socklet/host/config"
)

const serveUsage = `Usage: socklet serve [--config FILE] [--listen ADDR] [--reload]

Serves the routes of FILE. Without --config, serves the embedded demo:
/echo (echoes every message), /chat (relays text to every other client of
the route) and a page at / that chats from a browser.

SIGINT or SIGTERM shut down gracefully: every client gets close 1001 and
every plugin sees its close events; the exit code is then 0.

Flags:
`

func cmdServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", serveUsage, stderr)
	configPath := fs.String("config", "", "configuration `FILE` (TOML); empty serves the embedded demo")
	listen := fs.String("listen", "", "listen `ADDR` (host:port), overriding the configuration's listen")
	reload := fs.Bool("reload", false, "watch the configuration and plugin files and hot-reload them (as reload = true in the file)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments, got %q", fs.Args())}
	}
	if *reload && *configPath == "" {
		return usageError{"--reload needs --config: the embedded demo has no files to watch"}
	}
	return serve(*configPath, *listen, *reload, stdout, stderr)
}

// serve runs the server of configPath (the embedded demo when empty) until
// SIGINT or SIGTERM. With reload, or `reload = true` in the file, it
// watches the configuration and plugin files and hot-reloads them.
func serve(configPath, listen string, reload bool, stdout, stderr io.Writer) error {
	var (
		cfg  *config.Config
		opts host.Options
		err  error
	)
	if configPath == "" {
		cfg, opts, err = demoConfig()
	} else {
		cfg, err = config.Load(configPath)
	}
	if err != nil {
		return invalidError{err}
	}
	if listen != "" {
		cfg.Listen = listen
		if err := cfg.Validate(); err != nil {
			return invalidError{fmt.Errorf("--listen: %w", err)}
		}
	}
	logger := newLogger(cfg.Log, stderr)
	opts.Logger = logger

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	srv, err := host.New(ctx, cfg, opts)
	if err != nil {
		return invalidError{err}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		_ = srv.Shutdown(context.Background())
		return fmt.Errorf("listen: %w", err)
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	scheme := "ws"
	if cfg.TLS.CertFile != "" {
		scheme = "wss"
	}
	logger.Info("socklet serving", "addr", ln.Addr().String(), "url", scheme+"://"+ln.Addr().String(), "routes", len(cfg.Routes), "version", version)
	if cfg.Admin.Listen != "" {
		aln, err := net.Listen("tcp", cfg.Admin.Listen)
		if err != nil {
			_ = srv.Shutdown(context.Background())
			return fmt.Errorf("admin listen: %w", err)
		}
		logger.Info("admin serving", "addr", aln.Addr().String(), "metrics", "http://"+aln.Addr().String()+"/metrics")
		go func() { errc <- srv.ServeAdmin(aln) }()
	}

	if configPath != "" && (reload || cfg.Reload) {
		load := func(path string) (*config.Config, error) {
			c, err := config.Load(path)
			if err == nil && listen != "" {
				c.Listen = listen
			}
			return c, err
		}
		go func() {
			if err := srv.Watch(ctx, host.WatchOptions{ConfigFile: configPath, Load: load}); err != nil {
				logger.Error("hot reload is off", "err", err)
			}
		}()
		logger.Info("hot reload on", "config", configPath)
	}
	select {
	case err := <-errc:
		_ = srv.Shutdown(context.Background())
		return err
	case <-ctx.Done():
	}
	stop() // a second signal kills the process the default way
	logger.Info("shutting down", "timeout", cfg.Limits.ShutdownTimeout.Duration().String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Limits.ShutdownTimeout.Duration())
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Warn("shutdown timed out; dropped the remaining connections", "err", err)
	}
	logger.Info("stopped")
	return nil
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	ho := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, ho))
	}
	return slog.New(slog.NewTextHandler(w, ho))
}
