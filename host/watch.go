package host

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/socklet/socklet/host/config"
)

// DefaultDebounce is how long the watcher waits after the last change to a
// file before acting: editors and compilers write a file in several steps,
// or write a new file and rename it over the old one.
const DefaultDebounce = 150 * time.Millisecond

// WatchOptions configure Watch.
type WatchOptions struct {
	// ConfigFile is the configuration file to watch; "" watches plugins only.
	ConfigFile string
	// Load parses the configuration file again (config.Load, normally).
	Load func(path string) (*config.Config, error)
	// Debounce overrides DefaultDebounce when positive.
	Debounce time.Duration
	// OnReload, when set, is called after each reload attempt with its
	// result (for `socklet dev` to print, and for tests).
	OnReload func(what string, err error)
}

// Watch reloads plugins and the configuration when their files change,
// until ctx is done. It watches the directories of the files, not the files
// themselves, so that a file replaced by a rename is seen. A changed plugin
// file hot-swaps its routes (ReloadRoute); a changed configuration file is
// parsed and applied (Reload). Failures are logged and reported to
// OnReload; the running version keeps serving.
func (s *Server) Watch(ctx context.Context, opts WatchOptions) error {
	if opts.Debounce <= 0 {
		opts.Debounce = DefaultDebounce
	}
	if opts.Load == nil {
		opts.Load = config.Load
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("host: watch: %w", err)
	}
	defer w.Close()

	var configFile string
	if opts.ConfigFile != "" {
		if configFile, err = filepath.Abs(opts.ConfigFile); err != nil {
			return fmt.Errorf("host: watch: %w", err)
		}
	}
	watched := map[string]bool{}
	// files returns the plugin files of the routes in force, by absolute path.
	files := func() map[string]bool {
		m := map[string]bool{}
		for _, r := range s.routes.Load().all {
			if p, err := filepath.Abs(r.cfg.Plugin); err == nil {
				m[p] = true
			}
		}
		return m
	}
	plugins := files()
	refresh := func() {
		dirs := map[string]bool{}
		if configFile != "" {
			dirs[filepath.Dir(configFile)] = true
		}
		for p := range plugins {
			dirs[filepath.Dir(p)] = true
		}
		for d := range dirs {
			if !watched[d] {
				if err := w.Add(d); err != nil {
					s.log.Warn("cannot watch directory", "dir", d, "err", err)
					continue
				}
				watched[d] = true
			}
		}
		for d := range watched {
			if !dirs[d] {
				_ = w.Remove(d)
				delete(watched, d)
			}
		}
	}
	refresh()

	// pending is only touched by this goroutine; the debounce timer only
	// signals fire.
	var (
		pending = map[string]bool{} // changed files waiting for the debounce
		timer   *time.Timer
		fire    = make(chan struct{}, 1)
	)
	for {
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return nil
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			s.log.Warn("file watcher error", "err", err)
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			name, err := filepath.Abs(ev.Name)
			if err != nil || (name != configFile && !plugins[name]) {
				continue
			}
			if ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename) == 0 {
				continue
			}
			pending[name] = true
			if timer == nil {
				timer = time.AfterFunc(opts.Debounce, func() {
					select {
					case fire <- struct{}{}:
					default:
					}
				})
			} else {
				timer.Reset(opts.Debounce)
			}
		case <-fire:
			changed := pending
			pending = map[string]bool{}
			if changed[configFile] && configFile != "" {
				cfg, err := opts.Load(configFile)
				if err == nil {
					err = s.Reload(ctx, cfg)
				} else {
					s.log.Error("config reload refused; the running configuration keeps serving", "file", configFile, "err", err)
				}
				if opts.OnReload != nil {
					opts.OnReload("config", err)
				}
				plugins = files()
				refresh()
			}
			for _, r := range s.routes.Load().all {
				p, err := filepath.Abs(r.cfg.Plugin)
				if err != nil || !changed[p] {
					continue
				}
				_, err = s.reloadRoute(ctx, r)
				if opts.OnReload != nil {
					opts.OnReload(r.label, err)
				}
			}
		}
	}
}
