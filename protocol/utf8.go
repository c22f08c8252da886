package protocol

import "unicode/utf8"

// utf8State is an incremental UTF-8 validator (RFC 3629, the rules of Go's
// utf8.Valid): feed it any split of a byte stream; it fails as soon as the
// bytes seen so far cannot be the prefix of valid UTF-8. The zero value is
// the start state. A small DFA over byte classes handles sequences split
// between calls; whole sequences go through unicode/utf8.Valid.
type utf8State uint8

// DFA states. Each names what the next byte must be.
const (
	u8Accept utf8State = iota // between characters
	u8Cont1                   // 1 continuation byte left, 80..BF
	u8Cont2                   // 2 left, 80..BF then u8Cont1
	u8E0                      // after E0: A0..BF (no overlongs)
	u8ED                      // after ED: 80..9F (no surrogates)
	u8F0                      // after F0: 90..BF (no overlongs)
	u8F1                      // after F1..F3: 80..BF then u8Cont2
	u8F4                      // after F4: 80..8F (at most U+10FFFF)
	u8Reject                  // invalid, sticky
	u8NumStates
)

// Byte classes.
const (
	clASCII = iota // 00..7F
	cl80           // 80..8F
	cl90           // 90..9F
	clA0           // A0..BF
	clC2           // C2..DF: 2-byte lead
	clE0           // E0
	clE1           // E1..EC, EE..EF
	clED           // ED
	clF0           // F0
	clF1           // F1..F3
	clF4           // F4
	clBad          // C0, C1, F5..FF
	u8NumClasses
)

var (
	utf8Class [256]uint8
	utf8Trans [u8NumStates * u8NumClasses]utf8State
)

func init() {
	for b := 0; b < 256; b++ {
		var c uint8
		switch {
		case b <= 0x7f:
			c = clASCII
		case b <= 0x8f:
			c = cl80
		case b <= 0x9f:
			c = cl90
		case b <= 0xbf:
			c = clA0
		case b <= 0xc1:
			c = clBad
		case b <= 0xdf:
			c = clC2
		case b == 0xe0:
			c = clE0
		case b == 0xed:
			c = clED
		case b <= 0xef:
			c = clE1
		case b == 0xf0:
			c = clF0
		case b <= 0xf3:
			c = clF1
		case b == 0xf4:
			c = clF4
		default:
			c = clBad
		}
		utf8Class[b] = c
	}
	for i := range utf8Trans {
		utf8Trans[i] = u8Reject
	}
	set := func(s utf8State, next utf8State, classes ...int) {
		for _, c := range classes {
			utf8Trans[int(s)*u8NumClasses+c] = next
		}
	}
	set(u8Accept, u8Accept, clASCII)
	set(u8Accept, u8Cont1, clC2)
	set(u8Accept, u8E0, clE0)
	set(u8Accept, u8Cont2, clE1)
	set(u8Accept, u8ED, clED)
	set(u8Accept, u8F0, clF0)
	set(u8Accept, u8F1, clF1)
	set(u8Accept, u8F4, clF4)
	set(u8Cont1, u8Accept, cl80, cl90, clA0)
	set(u8Cont2, u8Cont1, cl80, cl90, clA0)
	set(u8E0, u8Cont1, clA0)
	set(u8ED, u8Cont1, cl80, cl90)
	set(u8F0, u8Cont2, cl90, clA0)
	set(u8F1, u8Cont2, cl80, cl90, clA0)
	set(u8F4, u8Cont2, cl80)
}

// feed advances the validator over p and reports whether the bytes seen so
// far are still a valid prefix. Once false, it stays false.
//
// The DFA only runs at fragment boundaries: it finishes a sequence begun in
// an earlier call and steps over an incomplete sequence at the end of p.
// Everything between is whole sequences, checked by unicode/utf8.Valid
// (8 bytes at a time for ASCII).
func (s *utf8State) feed(p []byte) bool {
	st := *s
	for st != u8Accept && st != u8Reject && len(p) > 0 {
		st = utf8Trans[int(st)*u8NumClasses+int(utf8Class[p[0]])]
		p = p[1:]
	}
	if st != u8Accept {
		*s = st
		return st != u8Reject
	}
	cut := completeCut(p)
	if !utf8.Valid(p[:cut]) {
		*s = u8Reject
		return false
	}
	for _, b := range p[cut:] {
		st = utf8Trans[int(st)*u8NumClasses+int(utf8Class[b])]
	}
	*s = st
	return st != u8Reject
}

// completeCut returns the length of the longest prefix of p that does not
// end inside a multi-byte sequence, looking only at the last 3 bytes: a lead
// byte there whose sequence runs past the end starts the tail.
func completeCut(p []byte) int {
	n := len(p)
	for j := n - 1; j >= 0 && j >= n-3; j-- {
		b := p[j]
		switch {
		case b < 0x80:
			return n
		case b < 0xc0:
			continue // continuation byte: look further back
		case b < 0xe0:
			if j+2 > n {
				return j
			}
		case b < 0xf0:
			if j+3 > n {
				return j
			}
		case b < 0xf8:
			if j+4 > n {
				return j
			}
		}
		return n
	}
	return n
}

// complete reports whether the validator is between characters, i.e. the
// whole stream fed so far is valid UTF-8.
func (s utf8State) complete() bool { return s == u8Accept }

// validUTF8 reports whether p is valid UTF-8.
func validUTF8(p []byte) bool {
	var s utf8State
	return s.feed(p) && s.complete()
}
