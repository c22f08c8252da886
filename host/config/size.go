package config

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Size is a number of bytes. In TOML it is an integer (bytes) or a string of
// a number and an optional unit: "512", "512B", "64KiB", "16MiB", "1.5GiB"
// (binary units: KiB, MiB, GiB, TiB), or "1kB"/"1KB", "1MB", "1GB", "1TB"
// (decimal units). Units are case-sensitive, so that "Mb" (megabit) is an
// error rather than a surprise. A fraction must come to a whole number of
// bytes. Negative sizes are errors.
type Size int64

// Units of Size.
const (
	B   Size = 1
	KiB Size = 1 << 10
	MiB Size = 1 << 20
	GiB Size = 1 << 30
	TiB Size = 1 << 40
	KB  Size = 1e3
	MB  Size = 1e6
	GB  Size = 1e9
	TB  Size = 1e12
)

var sizeUnits = map[string]Size{
	"": B, "B": B,
	"KiB": KiB, "MiB": MiB, "GiB": GiB, "TiB": TiB,
	"kB": KB, "KB": KB, "MB": MB, "GB": GB, "TB": TB,
}

// errSizeSyntax is wrapped by ParseSize's syntax errors.
var errSizeSyntax = errors.New(`a size is a number of bytes with an optional unit B, KiB, MiB, GiB, TiB, kB, MB, GB or TB, like "64KiB"`)

// ParseSize parses the string form of a Size.
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.' || t[i] == '-' || t[i] == '+') {
		i++
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	mult, ok := sizeUnits[unit]
	if num == "" || !ok {
		return 0, fmt.Errorf("invalid size %q: %w", s, errSizeSyntax)
	}
	if strings.HasPrefix(num, "-") {
		return 0, fmt.Errorf("invalid size %q: must not be negative", s)
	}
	r, ok := new(big.Rat).SetString(strings.TrimPrefix(num, "+"))
	if !ok || strings.ContainsAny(num[1:], "+-") || strings.Count(num, ".") > 1 {
		return 0, fmt.Errorf("invalid size %q: %w", s, errSizeSyntax)
	}
	r.Mul(r, new(big.Rat).SetInt64(int64(mult)))
	if !r.IsInt() {
		return 0, fmt.Errorf("invalid size %q: not a whole number of bytes", s)
	}
	if !r.Num().IsInt64() {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return Size(r.Num().Int64()), nil
}

// UnmarshalText parses text with ParseSize.
func (s *Size) UnmarshalText(text []byte) error {
	v, err := ParseSize(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// fromTOML decodes a TOML integer or string.
func (s *Size) fromTOML(v any) error {
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return fmt.Errorf("invalid size %d: must not be negative", v)
		}
		*s = Size(v)
		return nil
	case string:
		return s.UnmarshalText([]byte(v))
	}
	return fmt.Errorf("expected a size (integer or string like \"64KiB\"), got %s", tomlTypeName(v))
}

// MarshalText returns the String form, which ParseSize reads back.
func (s Size) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// String renders s in the largest unit that divides it exactly:
// 16777216 is "16MiB", 1000000 is "1MB", 1500 is "1500B".
func (s Size) String() string {
	if s == 0 {
		return "0B"
	}
	for _, u := range []struct {
		n    string
		size Size
	}{{"TiB", TiB}, {"TB", TB}, {"GiB", GiB}, {"GB", GB}, {"MiB", MiB}, {"MB", MB}, {"KiB", KiB}, {"kB", KB}} {
		if s%u.size == 0 {
			return strconv.FormatInt(int64(s/u.size), 10) + u.n
		}
	}
	return strconv.FormatInt(int64(s), 10) + "B"
}

// Int returns s as an int, saturating at math.MaxInt.
func (s Size) Int() int {
	if int64(s) > int64(math.MaxInt) {
		return math.MaxInt
	}
	return int(s)
}
