package config

import (
	"encoding/json"
	"strings"
	"time"
)

// PluginConfig returns the route's [route.config] table as the plugin sees
// it through the `config` host call: every top-level key with its value
// rendered by ConfigValue. The map is new on each call and owned by the
// caller.
func (r *Route) PluginConfig() map[string]string {
	m := make(map[string]string, len(r.Config))
	for k, v := range r.Config {
		if s, ok := renderConfigValue(v); ok {
			m[k] = s
		}
	}
	return m
}

// ConfigValue returns the value of key in the route's [route.config] table
// as the plugin reads it: a string is its text, unquoted; every other value
// is JSON (42, 1.5, true, [1,2], {"a":"b"}); a date-time is its TOML text
// (1979-05-27T07:32:00Z, 1979-05-27, 07:32:00), also inside arrays and
// tables, where it is a JSON string. ok is false when the key is absent.
func (r *Route) ConfigValue(key string) (value string, ok bool) {
	v, ok := r.Config[key]
	if !ok {
		return "", false
	}
	return renderConfigValue(v)
}

// renderConfigValue renders one decoded TOML value; ok is false only for a
// value JSON cannot express (NaN, ±Inf), which validation rejects.
func renderConfigValue(v any) (string, bool) {
	if s, ok := v.(string); ok {
		return s, true
	}
	if t, ok := v.(time.Time); ok {
		return tomlTime(t), true
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // the plugin reads JSON, not HTML: "<" stays "<"
	if err := enc.Encode(jsonValue(v)); err != nil {
		return "", false
	}
	return strings.TrimSuffix(b.String(), "\n"), true
}

// jsonValue replaces the date-times of a decoded TOML value by their TOML
// text, so that JSON renders them as TOML wrote them.
func jsonValue(v any) any {
	switch v := v.(type) {
	case time.Time:
		return tomlTime(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonValue(e)
		}
		return out
	case []map[string]any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = jsonValue(e)
		}
		return out
	}
	return v
}

// tomlTime renders a decoded TOML date-time in its TOML form. BurntSushi/toml
// marks local date-times, dates and times by the name of their Location.
func tomlTime(t time.Time) string {
	switch t.Location().String() {
	case "datetime-local":
		return t.Format("2006-01-02T15:04:05.999999999")
	case "date-local":
		return t.Format("2006-01-02")
	case "time-local":
		return t.Format("15:04:05.999999999")
	}
	return t.Format(time.RFC3339Nano)
}
