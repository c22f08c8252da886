package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/socklet/socklet/host/config"
)

const devUsage = `Usage: socklet dev [--config FILE] [--listen ADDR]

The development loop: serves FILE (default socklet.toml) like 'serve' with
hot reload on. For every route that names a 'build' command and 'watch'
globs, it runs the build at start and again whenever a watched file
changes; a successful build replaces the plugin file, which reloads the
route without dropping a connection. Build errors are printed with the
compiler's output, and the running version keeps serving.

Flags:
`

// buildDebounce lets an editor finish saving before a build starts.
const buildDebounce = 200 * time.Millisecond

func cmdDev(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dev", devUsage, stderr)
	configPath := fs.String("config", "socklet.toml", "configuration `FILE` (TOML)")
	listen := fs.String("listen", "", "listen `ADDR` (host:port), overriding the configuration's listen")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("dev takes no arguments, got %q", fs.Args())}
	}
	// Parse first (it does not require the plugins to exist), so that a
	// fresh project's first build can produce them.
	data, err := os.ReadFile(*configPath)
	if err != nil {
		return invalidError{err}
	}
	abs, err := filepath.Abs(*configPath)
	if err != nil {
		return err
	}
	cfg, err := config.Parse(abs, data)
	if err != nil {
		return invalidError{err}
	}
	b := &builder{out: stderr, dir: cfg.Dir}
	for _, r := range cfg.Routes {
		if r.Build != "" {
			b.run(r)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.watch(ctx, cfg)
	return serve(*configPath, *listen, true, stdout, stderr)
}

// builder runs routes' build commands, one at a time per route.
type builder struct {
	out io.Writer
	dir string
	mu  sync.Mutex // one build at a time: builds of one project share caches
}

// run builds route r, printing the command's output; it reports success.
func (b *builder) run(r config.Route) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	start := time.Now()
	fmt.Fprintf(b.out, "socklet dev: building %s: %s\n", r.Label(), r.Build)
	cmd := exec.Command("sh", "-c", r.Build)
	cmd.Dir = b.dir
	out, err := cmd.CombinedOutput()
	if len(out) > 0 {
		b.out.Write(out)
		if out[len(out)-1] != '\n' {
			fmt.Fprintln(b.out)
		}
	}
	if err != nil {
		fmt.Fprintf(b.out, "socklet dev: build of %s FAILED (%v); the running version keeps serving\n", r.Label(), err)
		return false
	}
	fmt.Fprintf(b.out, "socklet dev: built %s in %v\n", r.Label(), time.Since(start).Round(time.Millisecond))
	return true
}

// watch reruns a route's build when a file matching its watch globs
// changes, until ctx is done.
func (b *builder) watch(ctx context.Context, cfg *config.Config) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		fmt.Fprintf(b.out, "socklet dev: cannot watch sources: %v\n", err)
		return
	}
	defer w.Close()
	type target struct {
		route    config.Route
		patterns []string
	}
	var targets []target
	for _, r := range cfg.Routes {
		if r.Build == "" || len(r.Watch) == 0 {
			continue
		}
		t := target{route: r}
		for _, g := range r.Watch {
			if !filepath.IsAbs(g) {
				g = filepath.Join(cfg.Dir, g)
			}
			t.patterns = append(t.patterns, g)
			for _, d := range watchDirs(g) {
				_ = w.Add(d)
			}
		}
		targets = append(targets, t)
	}
	if len(targets) == 0 {
		return
	}
	timers := map[string]*time.Timer{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.Errors:
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename) == 0 {
				continue
			}
			for _, t := range targets {
				if !matchAny(t.patterns, ev.Name) {
					continue
				}
				label := t.route.Label()
				if tm := timers[label]; tm != nil {
					tm.Reset(buildDebounce)
					continue
				}
				r := t.route
				timers[label] = time.AfterFunc(buildDebounce, func() { b.run(r) })
			}
		}
	}
}

// watchDirs returns the directories to watch for a glob: the directory part
// of the pattern when it has no wildcard, else every directory it matches.
func watchDirs(pattern string) []string {
	dir := filepath.Dir(pattern)
	if !strings.ContainsAny(dir, "*?[") {
		return []string{dir}
	}
	matches, _ := filepath.Glob(dir)
	return matches
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := filepath.Match(p, name); ok {
			return true
		}
	}
	return false
}
