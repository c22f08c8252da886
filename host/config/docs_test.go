package config_test

import (
	"os"
	"reflect"
	"regexp"
	"testing"

	"github.com/socklet/socklet/host/config"
)

// TestDocsNameEveryKey checks that docs/config.md documents every key and that
// examples/socklet.toml shows every key, so neither drifts from the struct.
func TestDocsNameEveryKey(t *testing.T) {
	doc, err := os.ReadFile("../../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../examples/socklet.toml")
	if err != nil {
		t.Fatal(err)
	}
	var walk func(prefix string, rt reflect.Type)
	walk = func(prefix string, rt reflect.Type) {
		for i := range rt.NumField() {
			f := rt.Field(i)
			key := f.Tag.Get("toml")
			if key == "" || key == "-" {
				continue
			}
			if !regexp.MustCompile("`\\[*(route\\.)?" + regexp.QuoteMeta(key) + "\\]*`").Match(doc) {
				t.Errorf("docs/config.md does not document %s%s", prefix, key)
			}
			if !regexp.MustCompile(`(?m)^\s*(# )?`+regexp.QuoteMeta(key)+`\s*=`).Match(example) &&
				!regexp.MustCompile(`(?m)^\[+(route\.)?`+regexp.QuoteMeta(key)+`\]+`).Match(example) {
				t.Errorf("examples/socklet.toml does not show %s%s", prefix, key)
			}
			ft := f.Type
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				walk(prefix+key+".", ft)
			}
		}
	}
	walk("", reflect.TypeFor[config.Config]())
}
