package main

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"net"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/socklet/socklet/bench/internal/wsraw"
)

// run connects, reports on ready, waits for begin, then keeps cfg.inflight
// messages in flight until ctx is done.
func (w *worker) run(ctx context.Context, u *url.URL, op byte, cfg config, start time.Time,
	dialSlots chan struct{}, ready chan<- error, begin <-chan struct{}, measuring *atomic.Bool) {
	dialSlots <- struct{}{}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		<-dialSlots
		ready <- err
		return
	}
	defer nc.Close()
	br, err := wsraw.Handshake(nc, u, 10*time.Second)
	<-dialSlots
	if err != nil {
		ready <- err
		return
	}
	ready <- nil
	select {
	case <-begin:
	case <-ctx.Done():
		return
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Now()) })
	defer stop()

	var key [4]byte
	_, _ = crand.Read(key[:])
	payload := make([]byte, cfg.size)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}
	if op == 2 {
		_, _ = crand.Read(payload)
	}
	// template is one masked frame; the send time is patched into its
	// first 8 payload bytes (masked) for every message.
	template := wsraw.AppendFrame(nil, op, key, payload)
	hdr := len(template) - cfg.size
	timed := cfg.size >= 8
	out := make([]byte, 0, len(template)*cfg.inflight)
	appendMsg := func() {
		at := len(out)
		out = append(out, template...)
		if timed {
			var ts [8]byte
			putStamp(ts[:], uint64(time.Since(start)))
			wsraw.Mask(ts[:], key, 0)
			copy(out[at+hdr:], ts[:])
		}
	}
	for range cfg.inflight {
		appendMsg()
	}
	if _, err := nc.Write(out); err != nil {
		w.fail(ctx, err)
		return
	}
	out = out[:0]
	var buf []byte
	for {
		var rop byte
		rop, buf, err = wsraw.ReadFrame(br, buf)
		if err != nil {
			w.fail(ctx, err)
			return
		}
		switch rop {
		case 1, 2:
			w.received.Add(1)
			if timed && measuring.Load() && len(buf) >= 8 {
				sent := getStamp(buf[:8])
				lat := (uint64(time.Since(start)) - sent) / 1e3
				w.latencies = append(w.latencies, uint32(min(lat, 1<<32-1)))
			}
			appendMsg()
		case 9: // ping: answer with a pong carrying the same payload
			out = wsraw.AppendFrame(out, 10, key, buf)
		case 10:
		default:
			w.fail(ctx, fmt.Errorf("%w: opcode %d", wsraw.ErrUnexpected, rop))
			return
		}
		if br.Buffered() == 0 && len(out) > 0 {
			if _, err := nc.Write(out); err != nil {
				w.fail(ctx, err)
				return
			}
			out = out[:0]
		}
	}
}

// fail records err unless it is the end of the run.
func (w *worker) fail(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return // the deadline set at the end of the run
	}
	w.err = err
	fmt.Println("loadgen: connection:", err)
}

// putStamp writes v as 8 bytes of 7 bits each (big-endian), so that the
// stamp is ASCII and a text message stays valid UTF-8. 56 bits of
// nanoseconds cover about 2 years.
func putStamp(b []byte, v uint64) {
	for i := 7; i >= 0; i-- {
		b[i] = byte(v & 0x7f)
		v >>= 7
	}
}

// getStamp reads what putStamp wrote.
func getStamp(b []byte) uint64 {
	var v uint64
	for _, c := range b[:8] {
		v = v<<7 | uint64(c&0x7f)
	}
	return v
}
