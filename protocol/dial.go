package protocol

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DialOptions configure Dial. The zero value (or nil) is valid.
type DialOptions struct {
	// Options configure the Conn.
	Options
	// Subprotocols are offered in Sec-WebSocket-Protocol, in order.
	Subprotocols []string
	// Header holds extra request headers (e.g. Origin, Authorization). A
	// Host header replaces the URL's host in the request (virtual hosting).
	Header http.Header
	// TLSConfig is used for wss://; nil means a default config. ServerName
	// defaults to the URL's host.
	TLSConfig *tls.Config
	// HandshakeTimeout bounds connecting, TLS and the opening handshake.
	// Default DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// NetDialContext replaces the TCP dialer when set (tests, proxies).
	NetDialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// ErrBadHandshake: the server's response is not a valid WebSocket handshake
// response. The *http.Response Dial returns tells more (its status).
var ErrBadHandshake = errors.New("protocol: bad handshake response")

// Dial opens a WebSocket connection to rawURL (ws:// or wss://; http:// and
// https:// are accepted as synonyms). ctx bounds connecting and the opening
// handshake, not the life of the Conn. On success the response (with an
// empty body) is returned with the Conn. On a refused handshake the error
// wraps ErrBadHandshake and the response (body at most 1 KiB, already read)
// is returned too. Dial verifies Sec-WebSocket-Accept and fails when the
// server selected a subprotocol or extension that was not offered.
func Dial(ctx context.Context, rawURL string, opts *DialOptions) (*Conn, *http.Response, error) {
	if opts == nil {
		opts = &DialOptions{}
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("protocol: dial: %w", err)
	}
	secure := false
	switch strings.ToLower(u.Scheme) {
	case "ws", "http":
	case "wss", "https":
		secure = true
	default:
		return nil, nil, fmt.Errorf("protocol: dial: unsupported scheme %q", u.Scheme)
	}
	if u.Host == "" {
		return nil, nil, errors.New("protocol: dial: URL without host")
	}
	hostPort := u.Host
	if u.Port() == "" {
		if secure {
			hostPort = net.JoinHostPort(u.Hostname(), "443")
		} else {
			hostPort = net.JoinHostPort(u.Hostname(), "80")
		}
	}
	timeout := opts.HandshakeTimeout
	if timeout <= 0 {
		timeout = DefaultHandshakeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	dial := opts.NetDialContext
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	nc, err := dial(ctx, "tcp", hostPort)
	if err != nil {
		return nil, nil, fmt.Errorf("protocol: dial: %w", err)
	}
	// Any error from here closes nc; ctx cancellation interrupts blocking I/O.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	fail := func(resp *http.Response, err error) (*Conn, *http.Response, error) {
		stop()
		nc.Close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = fmt.Errorf("%w (%w)", err, ctxErr)
		}
		return nil, resp, err
	}
	if secure {
		cfg := opts.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{}
		} else {
			cfg = cfg.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		if len(cfg.NextProtos) == 0 {
			cfg.NextProtos = []string{"http/1.1"}
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(nil, fmt.Errorf("protocol: TLS handshake: %w", err))
		}
		nc = tc
	}

	var keyBytes [16]byte
	_, _ = rand.Read(keyBytes[:])
	key := base64.StdEncoding.EncodeToString(keyBytes[:])
	copts := opts.Compression.withDefaults()
	offer := ""
	if opts.Compression.Enabled {
		offer = deflateOffer(copts)
	}

	b := make([]byte, 0, 512)
	b = append(b, "GET "...)
	b = append(b, u.RequestURI()...)
	// A Host in opts.Header names the virtual host to ask for (as
	// http.Request.Host does); the URL still says where to connect.
	host, header := u.Host, opts.Header
	if h := header.Get("Host"); h != "" {
		host = h
		header = header.Clone()
		header.Del("Host")
	}
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "...)
	b = append(b, key...)
	b = append(b, "\r\n"...)
	if len(opts.Subprotocols) > 0 {
		b = append(b, "Sec-WebSocket-Protocol: "...)
		b = append(b, strings.Join(opts.Subprotocols, ", ")...)
		b = append(b, "\r\n"...)
	}
	if offer != "" {
		b = append(b, "Sec-WebSocket-Extensions: "...)
		b = append(b, offer...)
		b = append(b, "\r\n"...)
	}
	b, err = appendHeader(b, header)
	if err != nil {
		return fail(nil, err)
	}
	b = append(b, "\r\n"...)
	if _, err := nc.Write(b); err != nil {
		return fail(nil, fmt.Errorf("protocol: writing handshake request: %w", err))
	}

	rbs := opts.Options.withDefaults().ReadBufferSize
	br := bufio.NewReaderSize(nc, rbs)
	req := &http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}}
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return fail(nil, fmt.Errorf("protocol: reading handshake response: %w", err))
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
		return fail(resp, fmt.Errorf("%w: status %s", ErrBadHandshake, resp.Status))
	}
	resp.Body = http.NoBody
	if !hasToken(resp.Header, "Upgrade", "websocket") || !hasToken(resp.Header, "Connection", "upgrade") {
		return fail(resp, fmt.Errorf("%w: missing Upgrade/Connection tokens", ErrBadHandshake))
	}
	if got := resp.Header.Values("Sec-Websocket-Accept"); len(got) != 1 || strings.TrimSpace(got[0]) != acceptKey(key) {
		return fail(resp, fmt.Errorf("%w: wrong Sec-WebSocket-Accept", ErrBadHandshake))
	}
	sub := ""
	if protos := headerTokens(resp.Header, "Sec-Websocket-Protocol"); len(protos) > 0 {
		if len(protos) > 1 {
			return fail(resp, fmt.Errorf("%w: several subprotocols selected", ErrBadHandshake))
		}
		sub = protos[0]
		offered := false
		for _, p := range opts.Subprotocols {
			if p == sub {
				offered = true
			}
		}
		if !offered {
			return fail(resp, fmt.Errorf("%w: subprotocol %q was not offered", ErrBadHandshake, sub))
		}
	}
	var (
		params  deflateParams
		deflate bool
		exts    = resp.Header.Values("Sec-Websocket-Extensions")
	)
	if len(exts) > 0 {
		if !opts.Compression.Enabled {
			return fail(resp, fmt.Errorf("%w: extension not offered", ErrBadHandshake))
		}
		params, deflate, err = acceptDeflateResponse(exts, copts)
		if err != nil {
			return fail(resp, fmt.Errorf("%w: %w", ErrBadHandshake, err))
		}
	}
	if !stop() {
		// ctx expired meanwhile: the deadline may have been set.
		return fail(resp, fmt.Errorf("protocol: dial: %w", ctx.Err()))
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		return fail(resp, fmt.Errorf("protocol: dial: %w", err))
	}
	c := newConn(nc, br, connConfig{
		server:      false,
		opts:        opts.Options,
		subprotocol: sub,
		extensions:  strings.Join(exts, ", "),
		deflate:     deflate,
		params:      params,
	})
	return c, resp, nil
}
