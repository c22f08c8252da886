package config

import (
	"fmt"
	"strings"
	"time"
)

// Duration is a time.Duration written in TOML as a Go duration string:
// "250ms", "5s", "1m30s", "0s". A bare integer is an error (its unit would
// be a guess), and so is a negative duration.
type Duration time.Duration

// Duration returns d as a time.Duration.
func (d Duration) Duration() time.Duration { return time.Duration(d) }

// String is time.Duration's String, which ParseDuration reads back.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText returns the String form.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses a non-negative Go duration.
func (d *Duration) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q: a duration is a number with a unit (ns, us, ms, s, m, h), like \"5s\" or \"250ms\"", string(text))
	}
	if v < 0 {
		return fmt.Errorf("invalid duration %q: must not be negative", string(text))
	}
	*d = Duration(v)
	return nil
}

// fromTOML decodes a TOML string.
func (d *Duration) fromTOML(v any) error {
	switch v := v.(type) {
	case string:
		return d.UnmarshalText([]byte(v))
	case int64:
		return fmt.Errorf("invalid duration %d: a duration is a string with a unit, like \"%ds\" or \"%dms\"", v, v, v)
	}
	return fmt.Errorf("expected a duration (a string like \"5s\"), got %s", tomlTypeName(v))
}
