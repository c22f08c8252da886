package conformance

import "testing"

// appendCustomSection returns a copy of module with a custom section (id 0)
// named name holding payload appended at its end. A custom section is legal
// anywhere, so the result is the same program with different bytes: the
// host sees a new module and hot-swaps it.
func appendCustomSection(module []byte, name string, payload []byte) []byte {
	body := appendULEB(nil, uint64(len(name)))
	body = append(body, name...)
	body = append(body, payload...)
	out := append([]byte(nil), module...)
	out = append(out, 0)
	out = appendULEB(out, uint64(len(body)))
	return append(out, body...)
}

func appendULEB(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func TestAppendCustomSection(t *testing.T) {
	header := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	got := appendCustomSection(header, "x", make([]byte, 200))
	// id 0, size 202 as LEB128 (0xca 0x01), name length 1, "x", payload.
	want := append(append([]byte{}, header...), 0, 0xca, 0x01, 1, 'x')
	if len(got) != len(want)+200 || string(got[:len(want)]) != string(want) {
		t.Fatalf("got % x...", got[:len(want)])
	}
}
