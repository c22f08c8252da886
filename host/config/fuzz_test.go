package config

import (
	"errors"
	"sort"
	"testing"
)

// FuzzParse checks that Parse never panics or hangs, that its problems are
// sorted by line, and that a Config it accepts validates again.
func FuzzParse(f *testing.F) {
	f.Add([]byte("[[route]]\npath = \"/a\"\nplugin = \"a.wasm\"\n"))
	f.Add([]byte("listen = 1\n[limits]\nidle_timeout = \"x\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.toml", data)
		if err == nil {
			if c == nil {
				t.Fatal("nil Config without an error")
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("Parse accepted, Validate refused: %v", err)
			}
			return
		}
		var ce *Error
		if !errors.As(err, &ce) || len(ce.Problems) == 0 {
			t.Fatalf("error %T %v is not a non-empty *Error", err, err)
		}
		if !sort.SliceIsSorted(ce.Problems, func(i, j int) bool { return ce.Problems[i].Line < ce.Problems[j].Line }) {
			t.Fatalf("problems not sorted: %v", err)
		}
		for _, p := range ce.Problems {
			if p.Line < 0 || p.Msg == "" {
				t.Fatalf("bad problem %+v", p)
			}
		}
	})
}
