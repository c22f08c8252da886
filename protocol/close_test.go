package protocol

import (
	"errors"
	"fmt"
	"testing"
)

// RFC 6455 7.4.1/7.4.2: which codes may appear in a close frame.
func TestValidWireCloseCode(t *testing.T) {
	valid := []StatusCode{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}
	invalid := []StatusCode{0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}
	for _, c := range valid {
		if !validWireCloseCode(c) {
			t.Errorf("%d should be valid", c)
		}
	}
	for _, c := range invalid {
		if validWireCloseCode(c) {
			t.Errorf("%d should be invalid", c)
		}
	}
}

func TestParseClosePayload(t *testing.T) {
	cases := []struct {
		p      string
		code   StatusCode
		reason string
		fail   StatusCode
	}{
		{"", StatusNoStatusRcvd, "", 0},
		{"\x03", 0, "", StatusProtocolError},
		{"\x03\xe8", 1000, "", 0},
		{"\x03\xe8bye", 1000, "bye", 0},
		{"\x03\xe8\xff", 0, "", StatusInvalidFramePayloadData},
		{"\x03\xed", 0, "", StatusProtocolError}, // 1005
		{"\x0b\xb8ok", 3000, "ok", 0},
	}
	for _, c := range cases {
		code, reason, err := parseClosePayload([]byte(c.p))
		if c.fail != 0 {
			if err == nil || err.Code != c.fail {
				t.Errorf("%q: got err %v, want code %d", c.p, err, c.fail)
			}
			continue
		}
		if err != nil || code != c.code || reason != c.reason {
			t.Errorf("%q: got %d %q %v", c.p, code, reason, err)
		}
	}
}

func TestCloseStatus(t *testing.T) {
	if CloseStatus(errors.New("x")) != -1 || CloseStatus(nil) != -1 {
		t.Fatal("want -1")
	}
	err := fmt.Errorf("%w: %w", ErrFailed, &CloseError{Code: StatusMessageTooBig})
	if CloseStatus(err) != StatusMessageTooBig || !errors.Is(err, ErrFailed) {
		t.Fatal("chain")
	}
}

func TestCheckSendClose(t *testing.T) {
	if checkSendClose(StatusNormalClosure, "ok") != nil || checkSendClose(StatusNoStatusRcvd, "") != nil {
		t.Fatal("valid close refused")
	}
	long := make([]byte, 124)
	for i := range long {
		long[i] = 'a'
	}
	for _, c := range []struct {
		code   StatusCode
		reason string
	}{{1005, "x"}, {1006, ""}, {999, ""}, {1000, string(long)}, {1000, "\xff"}} {
		if checkSendClose(c.code, c.reason) == nil {
			t.Errorf("%d %q accepted", c.code, c.reason)
		}
	}
}
