// Command sockletprof is socklet's server (host.New + Serve) with profiling
// attached, for the benchmarks: it serves the routes of -config (by default
// the embedded demo's configuration and plugin files in
// cmd/socklet/demo/) and net/http/pprof on a separate loopback -pprof
// address. -cpuprofile writes a CPU profile from start to SIGINT/SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/socklet/socklet/host"
	"github.com/socklet/socklet/host/config"
)

func main() {
	cfgPath := flag.String("config", "../cmd/socklet/demo/socklet.toml", "configuration `FILE`")
	listen := flag.String("listen", "127.0.0.1:18080", "WebSocket listen `ADDR`")
	pprofAddr := flag.String("pprof", "127.0.0.1:16060", "net/http/pprof listen `ADDR` (loopback)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to `FILE` until the process is signalled")
	flag.Parse()
	if err := run(*cfgPath, *listen, *pprofAddr, *cpuProfile); err != nil {
		log.Fatal(err)
	}
}

func run(cfgPath, listen, pprofAddr, cpuProfile string) error {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	cfg.Listen = listen
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := host.New(ctx, cfg, host.Options{Logger: logger})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	pln, err := net.Listen("tcp", pprofAddr)
	if err != nil {
		return fmt.Errorf("pprof listen: %w", err)
	}
	go func() { _ = http.Serve(pln, nil) }()
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Printf("sockletprof serving ws://%s, pprof http://%s/debug/pprof/", ln.Addr(), pln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return nil
}
