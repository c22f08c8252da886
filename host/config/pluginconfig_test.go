package config_test

import (
	"reflect"
	"testing"

	"github.com/socklet/socklet/host/config"
)

func TestPluginConfig(t *testing.T) {
	src := okRoute + `[route.config]
greeting = "hello \"world\""
empty = ""
count = 42
neg = -7
ratio = 0.25
big = 1e300
on = true
list = [1, "two", 3.5, false]
when = 1979-05-27T07:32:00Z
offset = 1979-05-27T00:32:00.5-07:00
local = 1979-05-27T07:32:00
day = 1979-05-27
clock = 07:32:00.25
dates = [1979-05-27, 1979-05-27T07:32:00Z]
html = "<b>&</b>"
htmls = ["<b>&</b>"]
[route.config.db]
host = "localhost"
port = 5432
tags = { a = "x" }
[[route.config.servers]]
name = "a"
[[route.config.servers]]
name = "b"
`
	c, err := config.Parse("socklet.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Routes[0]
	want := map[string]string{
		"greeting": `hello "world"`,
		"empty":    "",
		"count":    "42",
		"neg":      "-7",
		"ratio":    "0.25",
		"big":      "1e+300",
		"on":       "true",
		"list":     `[1,"two",3.5,false]`,
		"when":     "1979-05-27T07:32:00Z",
		"offset":   "1979-05-27T00:32:00.5-07:00",
		"local":    "1979-05-27T07:32:00",
		"day":      "1979-05-27",
		"clock":    "07:32:00.25",
		"dates":    `["1979-05-27","1979-05-27T07:32:00Z"]`,
		"html":     "<b>&</b>",
		"htmls":    `["<b>&</b>"]`,
		"db":       `{"host":"localhost","port":5432,"tags":{"a":"x"}}`,
		"servers":  `[{"name":"a"},{"name":"b"}]`,
	}
	for k, w := range want {
		got, ok := r.ConfigValue(k)
		if !ok || got != w {
			t.Errorf("ConfigValue(%q) = %q, %v; want %q", k, got, ok, w)
		}
	}
	if got, ok := r.ConfigValue("missing"); ok || got != "" {
		t.Errorf("ConfigValue(missing) = %q, %v", got, ok)
	}
	if got := r.PluginConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("PluginConfig() =\n%v\nwant\n%v", got, want)
	}
	if got := (&config.Route{}).PluginConfig(); len(got) != 0 {
		t.Errorf("PluginConfig of no table = %v", got)
	}
}
