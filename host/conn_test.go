package host

import (
	"net/http"
	"net/url"
	"testing"
)

func TestRequestInfoHeader(t *testing.T) {
	req := &http.Request{
		URL: &url.URL{Path: "/chat", RawQuery: "room=1"},
		Header: http.Header{
			"Origin":            {"https://example.com"},
			"X-Forwarded-For":   {"10.0.0.1", "10.0.0.2"},
			"Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="},
			"X-Empty":           {""},
		},
	}
	ri := newRequestInfo(req)
	if ri.path != "/chat" || ri.query != "room=1" {
		t.Fatalf("path %q query %q", ri.path, ri.query)
	}
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"Origin", "https://example.com", true},
		{"origin", "https://example.com", true},
		{"x-forwarded-for", "10.0.0.1, 10.0.0.2", true},
		{"SEC-WEBSOCKET-KEY", "dGhlIHNhbXBsZSBub25jZQ==", true},
		{"X-Empty", "", true},
		{"Cookie", "", false},
		{"", "", false},
	} {
		got, ok := ri.header(tc.name)
		if got != tc.want || ok != tc.ok {
			t.Errorf("header(%q) = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
