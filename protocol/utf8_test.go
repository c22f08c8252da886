package protocol

import (
	"testing"
	"unicode/utf8"
)

var utf8Cases = []string{
	"", "a", "hello world, plain ASCII longer than eight bytes",
	"κόσμε", "€", "\U0010FFFF", "\U00010000", "\u07ff", "\u0800", "\uffff", "\ud7ff", "\ue000",
	"\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", // overlong
	"\xed\xa0\x80", "\xed\xbf\xbf", // surrogates
	"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xfe", // out of range
	"\x80", "\xbf", "\xc2", "\xe2\x82", "\xf0\x9f\x98", // truncated or lone
	"Hello-µ@ßöäüàá-UTF-8!!", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
	"abcdefgh\xe2\x82\xacabcdefgh", "abcdefg\x80",
}

// TestUTF8MatchesStdlib checks the validator against unicode/utf8 for
// every case, fed whole and split at every position.
func TestUTF8MatchesStdlib(t *testing.T) {
	for _, s := range utf8Cases {
		want := utf8.ValidString(s)
		if got := validUTF8([]byte(s)); got != want {
			t.Errorf("%q: got %v want %v", s, got, want)
		}
		for i := 0; i <= len(s); i++ {
			var st utf8State
			ok := st.feed([]byte(s[:i])) && st.feed([]byte(s[i:])) && st.complete()
			if ok != want {
				t.Errorf("%q split at %d: got %v want %v", s, i, ok, want)
			}
		}
	}
}

// validPrefix reports whether p can be extended to valid UTF-8 (reference
// for fail-fast: brute force over continuation bytes).
func validPrefix(p []byte) bool {
	if utf8.Valid(p) {
		return true
	}
	for k := 1; k <= 3 && k <= len(p); k++ {
		if !utf8.Valid(p[:len(p)-k]) {
			continue
		}
		tail := p[len(p)-k:]
		if extendable(tail) {
			return true
		}
	}
	return false
}

func extendable(tail []byte) bool {
	if utf8.FullRune(tail) {
		return utf8.Valid(tail)
	}
	if len(tail) >= 4 {
		return false
	}
	// Validity depends only on these ranges' boundaries.
	for _, c := range []byte{0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf} {
		if extendable(append(append([]byte(nil), tail...), c)) {
			return true
		}
	}
	return false
}

// TestUTF8FailFast: feeding byte by byte, the validator fails exactly at
// the first prefix that no continuation can make valid (RFC 6455 8.1 allows
// failing as soon as the prefix is invalid; Autobahn 6.x expects it).
func TestUTF8FailFast(t *testing.T) {
	for _, s := range utf8Cases {
		var st utf8State
		for i := 1; i <= len(s); i++ {
			ok := st.feed([]byte{s[i-1]})
			if want := validPrefix([]byte(s[:i])); ok != want {
				t.Fatalf("%q prefix %d: validator %v, reference %v", s, i, ok, want)
			}
			if !ok {
				break
			}
		}
	}
}

// TestUTF8AllTwoAndThreeByte compares every 1..3 byte sequence with a lead
// byte >= 0x80 against unicode/utf8.
func TestUTF8AllShortSequences(t *testing.T) {
	for a := 0x80; a < 0x100; a++ {
		for b := 0; b < 0x100; b++ {
			p := []byte{byte(a), byte(b)}
			if validUTF8(p) != utf8.Valid(p) {
				t.Fatalf("%x: mismatch", p)
			}
			if a >= 0xe0 && a <= 0xf4 && b >= 0x80 && b <= 0xbf {
				for c := 0x70; c < 0xc8; c++ {
					p := []byte{byte(a), byte(b), byte(c)}
					if validUTF8(p) != utf8.Valid(p) {
						t.Fatalf("%x: mismatch", p)
					}
				}
			}
		}
	}
}
