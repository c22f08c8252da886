package config

import (
	"math"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
	}{
		{"0", 0},
		{"512", 512},
		{"512B", 512},
		{" 512 B ", 512},
		{"64KiB", 64 << 10},
		{"16MiB", 16 << 20},
		{"16 MiB", 16 << 20},
		{"2GiB", 2 << 30},
		{"1TiB", 1 << 40},
		{"1kB", 1000},
		{"1KB", 1000},
		{"1MB", 1000000},
		{"3GB", 3000000000},
		{"2TB", 2000000000000},
		{"1.5MiB", 1572864},
		{"0.5KiB", 512},
		{"+7", 7},
		{"007KiB", 7 << 10},
		{"9223372036854775807", math.MaxInt64},
		{"8388607TiB", 8388607 << 40},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSizeErrors(t *testing.T) {
	const syntax = `: a size is a number of bytes with an optional unit B, KiB, MiB, GiB, TiB, kB, MB, GB or TB, like "64KiB"`
	tests := []struct{ in, want string }{
		{"", `invalid size ""` + syntax},
		{"MiB", `invalid size "MiB"` + syntax},
		{"16Mb", `invalid size "16Mb"` + syntax},
		{"16mib", `invalid size "16mib"` + syntax},
		{"16M", `invalid size "16M"` + syntax},
		{"1e3", `invalid size "1e3"` + syntax},
		{"1/2KiB", `invalid size "1/2KiB"` + syntax},
		{"1.2.3", `invalid size "1.2.3"` + syntax},
		{"1-2", `invalid size "1-2"` + syntax},
		{"16 Mi B", `invalid size "16 Mi B"` + syntax},
		{"-1", `invalid size "-1": must not be negative`},
		{"-1KiB", `invalid size "-1KiB": must not be negative`},
		{"1.5", `invalid size "1.5": not a whole number of bytes`},
		{"0.1KiB", `invalid size "0.1KiB": not a whole number of bytes`},
		{"9223372036854775808", `invalid size "9223372036854775808": too large`},
		{"8388608TiB", `invalid size "8388608TiB": too large`},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want error %s", tt.in, got, err, tt.want)
		}
	}
}

func TestSizeString(t *testing.T) {
	tests := []struct {
		in   Size
		want string
	}{
		{0, "0B"},
		{1, "1B"},
		{1500, "1500B"},
		{1000, "1kB"},
		{1024, "1KiB"},
		{16 << 20, "16MiB"},
		{1000000, "1MB"},
		{64028672, "62528KiB"},
		{3 << 30, "3GiB"},
		{5 << 40, "5TiB"},
		{2000000000000, "2TB"},
		{math.MaxInt64, "9223372036854775807B"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
		text, _ := tt.in.MarshalText()
		var back Size
		if err := back.UnmarshalText(text); err != nil || back != tt.in {
			t.Errorf("round trip of %d through %q = %d, %v", int64(tt.in), text, int64(back), err)
		}
	}
}

func TestSizeFromTOML(t *testing.T) {
	var s Size
	if err := s.fromTOML(int64(4096)); err != nil || s != 4096 {
		t.Errorf("fromTOML(4096) = %d, %v", s, err)
	}
	if err := s.fromTOML("4KiB"); err != nil || s != 4096 {
		t.Errorf(`fromTOML("4KiB") = %d, %v`, s, err)
	}
	if err := s.fromTOML(1.5); err == nil {
		t.Errorf("fromTOML(1.5) succeeded")
	}
}

func TestSizeInt(t *testing.T) {
	if got := Size(42).Int(); got != 42 {
		t.Errorf("Size(42).Int() = %d", got)
	}
	if got := Size(math.MaxInt64).Int(); got != math.MaxInt {
		t.Errorf("Size(MaxInt64).Int() = %d", got)
	}
}
