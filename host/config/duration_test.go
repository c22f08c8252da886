package config

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"0", 0},
		{"0s", 0},
		{"250ms", 250 * time.Millisecond},
		{"5s", 5 * time.Second},
		{" 5s ", 5 * time.Second},
		{"1m30s", 90 * time.Second},
		{"1.5h", 90 * time.Minute},
		{"100us", 100 * time.Microsecond},
		{"1ns", 1},
	}
	for _, tt := range tests {
		var d Duration
		if err := d.UnmarshalText([]byte(tt.in)); err != nil || d.Duration() != tt.want {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", tt.in, d, err, tt.want)
		}
		text, _ := d.MarshalText()
		var back Duration
		if err := back.UnmarshalText(text); err != nil || back != d {
			t.Errorf("round trip of %v through %q = %v, %v", d, text, back, err)
		}
	}
}

func TestDurationErrors(t *testing.T) {
	const syntax = `: a duration is a number with a unit (ns, us, ms, s, m, h), like "5s" or "250ms"`
	tests := []struct{ in, want string }{
		{"", `invalid duration ""` + syntax},
		{"5", `invalid duration "5"` + syntax},
		{"5 s", `invalid duration "5 s"` + syntax},
		{"1d", `invalid duration "1d"` + syntax},
		{"soon", `invalid duration "soon"` + syntax},
		{"-1s", `invalid duration "-1s": must not be negative`},
	}
	for _, tt := range tests {
		var d Duration
		err := d.UnmarshalText([]byte(tt.in))
		if err == nil || err.Error() != tt.want {
			t.Errorf("UnmarshalText(%q) = %v; want error %s", tt.in, err, tt.want)
		}
	}
	var d Duration
	if err := d.fromTOML(int64(5)); err == nil || err.Error() != `invalid duration 5: a duration is a string with a unit, like "5s" or "5ms"` {
		t.Errorf("fromTOML(5) = %v", err)
	}
	if err := d.fromTOML(true); err == nil || err.Error() != `expected a duration (a string like "5s"), got boolean true` {
		t.Errorf("fromTOML(true) = %v", err)
	}
}
