package config

import (
	"reflect"
	"testing"
)

func TestIndexPositions(t *testing.T) {
	src := `# comment
listen = "x" # trailing comment
motd = """
line "two"
line three"""
raw = '''
'''
[limits]
a.b.c = 1
"quoted key" = 'it''s'
esc = "tab\t\"quote\" \u00e9"
[[route]]
path = "/a" ; [[route.x]] = 1
list = [
  1, # one
  [2, 3],
  { k = "v" },
]
inline = { x = 1, y = { z = [ "]", "}" ] } }
[route.config]
n = 1979-05-27 07:32:00
[[route]]
path = "/b"
[[route.sub]]
q = 1
[[route.sub]]
q = 2
[route.sub.t]
u = 3
[[route]]
[ route . "dotted.key" ]
v = 1
`
	want := position{
		"listen": 2, "motd": 3, "raw": 6,
		"limits": 8, "limits.a": 9, "limits.a.b": 9, "limits.a.b.c": 9,
		`limits."quoted key"`: 10, "limits.esc": 11,
		"route": 12, "route[0]": 12, "route[0].path": 13,
		"route[0].list": 14, "route[0].list[0]": 15, "route[0].list[1]": 16,
		"route[0].list[1][0]": 16, "route[0].list[1][1]": 16,
		"route[0].list[2]": 17, "route[0].list[2].k": 17,
		"route[0].inline": 19, "route[0].inline.x": 19, "route[0].inline.y": 19, "route[0].inline.y.z": 19,
		"route[0].inline.y.z[0]": 19, "route[0].inline.y.z[1]": 19,
		"route[0].config": 20, "route[0].config.n": 21,
		"route[1]": 22, "route[1].path": 23,
		"route[1].sub": 24, "route[1].sub[0]": 24, "route[1].sub[0].q": 25,
		"route[1].sub[1]": 26, "route[1].sub[1].q": 27,
		"route[1].sub[1].t": 28, "route[1].sub[1].t.u": 29,
		"route[2]": 30, `route[2]."dotted.key"`: 31, `route[2]."dotted.key".v`: 32,
	}
	// Line 13 holds a stray "; [[route.x]] = 1" that is not valid TOML; the
	// scanner must just not be derailed by what follows a value.
	got := indexPositions(src)
	for k, l := range want {
		if got[k] != l {
			t.Errorf("line of %s = %d, want %d", k, got[k], l)
		}
	}
	if testing.Verbose() && !reflect.DeepEqual(got, want) {
		for k, l := range got {
			if _, ok := want[k]; !ok {
				t.Logf("extra: %s = %d", k, l)
			}
		}
	}
}

func TestPositionLine(t *testing.T) {
	p := position{"route[1]": 7, `route[1].config."a.b"`: 9}
	tests := []struct {
		key  string
		want int
	}{
		{"route[1].path", 7},
		{"route[1].origins[3]", 7},
		{`route[1].config."a.b"`, 9},
		{`route[1].config."a.b".c`, 9},
		{`route[1].config."x.y"`, 7},
		{"route[2].path", 0},
		{"listen", 0},
	}
	for _, tt := range tests {
		if got := p.line(tt.key); got != tt.want {
			t.Errorf("line(%s) = %d, want %d", tt.key, got, tt.want)
		}
	}
}

func TestJoinKey(t *testing.T) {
	tests := []struct{ path, key, want string }{
		{"", "listen", "listen"},
		{"route[0]", "max_connections", "route[0].max_connections"},
		{"route[0].config", "a.b", `route[0].config."a.b"`},
		{"", "", `""`},
		{"x", `q"uote`, `x."q\"uote"`},
	}
	for _, tt := range tests {
		if got := joinKey(tt.path, tt.key); got != tt.want {
			t.Errorf("joinKey(%q, %q) = %s, want %s", tt.path, tt.key, got, tt.want)
		}
		if got := parentKey(tt.want); got != tt.path {
			t.Errorf("parentKey(%s) = %q, want %q", tt.want, got, tt.path)
		}
	}
}
