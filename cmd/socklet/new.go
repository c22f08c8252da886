package main

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// templates holds one plugin project per language; see templates/README.md.
//
//go:embed all:templates
var templates embed.FS

const newUsage = `Usage: socklet new LANGUAGE NAME

Creates ./NAME, a plugin project in LANGUAGE (rust, go, tinygo or
assemblyscript) that builds with ./build.sh and is served by the
socklet.toml it contains. NAME is lower-case letters, digits, '-' and '_'.

`

var validName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

func cmdNew(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("new", newUsage, stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	langs := templateLanguages()
	if fs.NArg() != 2 {
		return usageError{"new takes LANGUAGE and NAME; languages: " + strings.Join(langs, ", ")}
	}
	lang, name := fs.Arg(0), fs.Arg(1)
	if !slices.Contains(langs, lang) {
		return usageError{fmt.Sprintf("unknown language %q; choose one of %s", lang, strings.Join(langs, ", "))}
	}
	if !validName.MatchString(name) {
		return usageError{fmt.Sprintf("invalid name %q: use lower-case letters, digits, '-' and '_', starting with a letter", name)}
	}
	if _, err := os.Stat(name); err == nil {
		return fmt.Errorf("%s already exists; choose another name or remove it", name)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := scaffold(lang, name, name); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created %s (%s). Next:\n  cd %s && ./build.sh && socklet serve --config socklet.toml\n", name, lang, name)
	return nil
}

// shared lists, per language, template folders of other languages a project
// also gets: the TinyGo template uses the Go template's copy of the Go SDK
// (one SDK, two compilers) rather than embedding a second copy.
var shared = map[string][]string{
	"tinygo": {"go/_sdk"},
}

// scaffold copies templates/lang into dir, and the folders it shares from
// other templates, replacing __NAME__ with name in paths and contents.
func scaffold(lang, name, dir string) error {
	if err := copyTemplate(path.Join("templates", lang), name, dir); err != nil {
		return err
	}
	for _, s := range shared[lang] {
		if err := copyTemplate(path.Join("templates", s), name, filepath.Join(dir, path.Base(s))); err != nil {
			return err
		}
	}
	return nil
}

// copyTemplate copies the embedded folder root into dir.
func copyTemplate(root, name, dir string) error {
	return fs.WalkDir(templates, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, root), "/")
		dst := filepath.Join(dir, filepath.FromSlash(strings.ReplaceAll(rel, "__NAME__", name)))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := templates.ReadFile(p)
		if err != nil {
			return err
		}
		data = []byte(strings.ReplaceAll(string(data), "__NAME__", name))
		mode := os.FileMode(0o644)
		if strings.HasSuffix(p, ".sh") {
			mode = 0o755
		}
		return os.WriteFile(dst, data, mode)
	})
}

func templateLanguages() []string {
	entries, _ := templates.ReadDir("templates")
	var langs []string
	for _, e := range entries {
		if e.IsDir() {
			langs = append(langs, e.Name())
		}
	}
	sort.Strings(langs)
	return langs
}
