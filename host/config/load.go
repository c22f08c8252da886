package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"
)

// Load reads, parses and validates the configuration file at path, and also
// checks that the files it names (plugins, TLS certificate and key) exist.
// Relative paths in the file are resolved against the file's directory and
// returned absolute. Problems are reported with path as the file name.
//
// Load returns a nil Config and an *Error (as error) listing every problem
// when the file is not valid, or a wrapped *fs.PathError when it cannot be
// read.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, ps := parse(path, data, filepath.Dir(abs))
	if c != nil {
		c.File = abs
		c.checkFiles(ps)
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse parses and validates a configuration held in memory, such as one
// embedded in the binary. name is used in problems ("socklet.toml:12: ...")
// and its directory is the one relative paths resolve against: with a bare
// name like "default.toml" they stay relative ("echo.wasm"), ready for an
// embed.FS. Parse touches no file system: it does not check that plugin
// files exist (Load does).
//
// Parse returns a nil Config and an *Error (as error) listing every
// problem when the configuration is not valid.
func Parse(name string, data []byte) (*Config, error) {
	c, ps := parse(name, data, filepath.Dir(name))
	if err := ps.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// parse decodes data over the defaults, resolves relative paths against
// dir, validates, and normalises. It returns a nil Config only when the
// TOML syntax is invalid.
func parse(name string, data []byte, dir string) (*Config, *problems) {
	ps := &problems{file: name}
	var tree map[string]any
	if _, err := toml.Decode(string(data), &tree); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			ps.addAt(pe.Position.Line, pe.LastKey, "invalid TOML: %s", pe.Message)
		} else {
			ps.addAt(0, "", "invalid TOML: %s", err)
		}
		return nil, ps
	}
	ps.pos = indexPositions(string(data))

	c := newConfig()
	c.File, c.Dir, c.pos = name, dir, ps.pos
	d := &decoder{ps: ps}
	d.table("", tree, reflect.ValueOf(c).Elem())
	c.resolvePaths()
	c.validate(ps)
	c.normalize()
	return c, ps
}

// resolvePaths makes the relative paths of the file relative to Dir.
func (c *Config) resolvePaths() {
	c.TLS.CertFile = c.resolve(c.TLS.CertFile)
	c.TLS.KeyFile = c.resolve(c.TLS.KeyFile)
	c.CacheDir = c.resolve(c.CacheDir)
	for i := range c.Routes {
		r := &c.Routes[i]
		r.Plugin = c.resolve(r.Plugin)
		for j, w := range r.Watch {
			r.Watch[j] = c.resolve(w)
		}
	}
}

func (c *Config) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}

// normalize puts valid values in their canonical form: lower-case hosts and
// origins, memory limits rounded up to whole 64 KiB pages.
func (c *Config) normalize() {
	for i := range c.Routes {
		r := &c.Routes[i]
		r.Host = strings.ToLower(r.Host)
		for j, o := range r.Origins {
			r.Origins[j] = strings.ToLower(o)
		}
		r.MemoryLimit = roundPages(r.MemoryLimit)
	}
}

// roundPages rounds n up to a whole number of Wasm pages.
func roundPages(n Size) Size {
	if n%WasmPageSize != 0 && n <= MaxMemory {
		n += WasmPageSize - n%WasmPageSize
	}
	return n
}

// checkFiles records a problem for each named file that does not exist or
// is not a regular file.
func (c *Config) checkFiles(ps *problems) {
	check := func(key, file string) {
		if file == "" {
			return
		}
		fi, err := os.Stat(file)
		switch {
		case errors.Is(err, os.ErrNotExist):
			ps.add(key, "%s: %s does not exist", key, file)
		case err != nil:
			ps.add(key, "%s: %s", key, err)
		case !fi.Mode().IsRegular():
			ps.add(key, "%s: %s is not a regular file", key, file)
		}
	}
	check("tls.cert_file", c.TLS.CertFile)
	check("tls.key_file", c.TLS.KeyFile)
	for i := range c.Routes {
		check(joinKey(indexKey("route", i), "plugin"), c.Routes[i].Plugin)
	}
}
