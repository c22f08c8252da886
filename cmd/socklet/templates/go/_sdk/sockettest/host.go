package sockettest

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	socklet "github.com/socklet/socklet/sdk/go"
	"github.com/socklet/socklet/sdk/go/internal/hostabi"
)

// Epoch is the emulated clock's time when a [Host] starts.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// maxFiresPerAdvance bounds the timers one Advance fires, so a timer that
// re-arms itself with a zero delay fails the test instead of hanging it.
const maxFiresPerAdvance = 100000

type connState struct {
	opts       ConnOptions
	open       bool // accepted and not yet reported closed
	ending     bool // OnClose is running: the handle works, sends do not
	closing    bool // the plugin (or the host, for a full queue) started closing
	closeCode  int
	closeWhy   string
	queueFull  bool
	outbox     []Message
	topics     map[string]bool
	attachment []byte
}

type timer struct {
	at  time.Time
	seq uint64 // order of setting, to break ties
}

// Host is an emulated socklet host running one plugin. Its methods are not
// safe for concurrent use (neither is a real plugin instance).
type Host struct {
	t         testing.TB
	now       time.Time
	next      uint64
	seq       uint64
	conns     map[uint64]*connState
	topics    map[string]map[uint64]bool
	config    map[string]string
	timers    map[uint64]timer
	logs      []LogEntry
	pubs      []Publication
	inEvent   bool
	lastAlloc []byte
}

// New returns a host running h, installed as the host of package socklet
// until the test ends. A nil h keeps the handler the plugin registered with
// socklet.Serve in its init function.
func New(t testing.TB, h socklet.Handler) *Host {
	t.Helper()
	if h != nil {
		socklet.Serve(h)
	}
	host := &Host{
		t:      t,
		now:    Epoch,
		conns:  map[uint64]*connState{},
		topics: map[string]map[uint64]bool{},
		config: map[string]string{},
		timers: map[uint64]timer{},
	}
	prev := hostabi.Current
	hostabi.Current = (*hostFuncs)(host)
	t.Cleanup(func() { hostabi.Current = prev })
	return host
}

// SetConfig sets key in the route's [route.config] table (socklet.Config).
func (h *Host) SetConfig(key, value string) { h.config[key] = value }

// Now returns the emulated clock's time (socklet.Now).
func (h *Host) Now() time.Time { return h.now }

// call runs one event. Events are never nested: a handler that somehow
// triggers another event fails the test.
func (h *Host) call(f func()) {
	h.t.Helper()
	if h.inEvent {
		h.t.Fatal("sockettest: event delivered during another event")
	}
	h.inEvent = true
	defer func() {
		h.inEvent = false
		// Poison the event buffer: the payload is valid only during the call.
		for i := range h.lastAlloc {
			h.lastAlloc[i] = 0xDB
		}
		h.lastAlloc = nil
	}()
	f()
}

// payload copies p into the plugin's event buffer, as the host does.
func (h *Host) payload(p []byte) []byte {
	b := hostabi.Plugin.Alloc(len(p))
	if b == nil {
		h.t.Fatalf("sockettest: socklet_alloc(%d) failed", len(p))
	}
	copy(b, p)
	h.lastAlloc = b
	return b
}

// Open asks the plugin to accept a connection with the handshake o. It
// returns the new handle and the plugin's answer: 0 if it accepted, else the
// HTTP status it rejected with (a rejected handle is not valid).
func (h *Host) Open(o ConnOptions) (socklet.Conn, int) {
	h.t.Helper()
	h.next++
	id := h.next
	if o.Path == "" {
		o.Path = "/"
	}
	if o.RemoteAddr == "" {
		o.RemoteAddr = "127.0.0.1:" + strconv.FormatUint(40000+id, 10)
	}
	c := &connState{opts: o, open: true, topics: map[string]bool{}}
	h.conns[id] = c
	var status int32
	h.call(func() { status = hostabi.Plugin.Open(id) })
	if status != 0 {
		h.forget(id)
		delete(h.conns, id)
	}
	return socklet.Conn(id), int(status)
}

// Connect opens a connection with o and fails the test if the plugin rejects
// it.
func (h *Host) Connect(o ConnOptions) socklet.Conn {
	h.t.Helper()
	c, status := h.Open(o)
	if status != 0 {
		h.t.Fatalf("sockettest: OnOpen rejected the connection with %d", status)
	}
	return c
}

func (h *Host) live(c socklet.Conn) *connState {
	h.t.Helper()
	s := h.conns[uint64(c)]
	if s == nil || !s.open {
		h.t.Fatalf("sockettest: connection %d is not open", c)
	}
	return s
}

// Text delivers the text message msg from c's client.
func (h *Host) Text(c socklet.Conn, msg string) {
	h.t.Helper()
	h.live(c)
	h.call(func() { hostabi.Plugin.Text(uint64(c), h.payload([]byte(msg))) })
}

// Binary delivers the binary message msg from c's client.
func (h *Host) Binary(c socklet.Conn, msg []byte) {
	h.t.Helper()
	h.live(c)
	h.call(func() { hostabi.Plugin.Binary(uint64(c), h.payload(msg)) })
}

// Pong delivers a pong with payload from c's client.
func (h *Host) Pong(c socklet.Conn, payload []byte) {
	h.t.Helper()
	h.live(c)
	h.call(func() { hostabi.Plugin.Pong(uint64(c), h.payload(payload)) })
}

// Close ends c as the host does when the closing handshake completes or the
// socket drops (code 1006): OnClose runs (during it, c's handle still works
// but sends return socklet.ErrClosed), then c leaves its topics and its
// handle is invalid.
func (h *Host) Close(c socklet.Conn, code int, reason string) {
	h.t.Helper()
	s := h.live(c)
	s.ending = true
	h.call(func() { hostabi.Plugin.Close(uint64(c), int32(code), h.payload([]byte(reason))) })
	s.ending, s.open = false, false
	h.forget(uint64(c))
}

func (h *Host) forget(id uint64) {
	for topic := range h.conns[id].topics {
		delete(h.topics[topic], id)
		if len(h.topics[topic]) == 0 {
			delete(h.topics, topic)
		}
	}
}

// Reload emulates a hot reload to a new instance running next (nil: the
// handler registered last): the old instance's timers are dropped, and every
// open connection, in handle order, gets OnResume with its topics and
// attachment intact.
func (h *Host) Reload(next socklet.Handler) {
	h.t.Helper()
	if next != nil {
		socklet.Serve(next)
	}
	clear(h.timers)
	for _, id := range h.openIDs() {
		h.call(func() { hostabi.Plugin.Resume(id) })
	}
}

func (h *Host) openIDs() []uint64 {
	var ids []uint64
	for id, s := range h.conns {
		if s.open {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Advance moves the emulated clock forward by d, firing every timer that
// falls due on the way, in order of due time (then of setting), each with the
// clock set to its due time. Timers set by OnTimer fire too if they fall due
// within d.
func (h *Host) Advance(d time.Duration) {
	h.t.Helper()
	end := h.now.Add(d)
	for range maxFiresPerAdvance {
		id, due, ok := h.nextTimer()
		if !ok || due.After(end) {
			h.now = end
			return
		}
		delete(h.timers, id)
		if due.After(h.now) {
			h.now = due
		}
		h.call(func() { hostabi.Plugin.Timer(id) })
	}
	h.t.Fatalf("sockettest: more than %d timers fired in one Advance", maxFiresPerAdvance)
}

func (h *Host) nextTimer() (id uint64, due time.Time, ok bool) {
	var best timer
	for tid, tm := range h.timers {
		if !ok || tm.at.Before(best.at) || (tm.at.Equal(best.at) && tm.seq < best.seq) {
			id, best, ok = tid, tm, true
		}
	}
	return id, best.at, ok
}

// Drain returns the messages queued to c since the last Drain, oldest first,
// and forgets them. It works for closed connections too.
func (h *Host) Drain(c socklet.Conn) []Message {
	s := h.conns[uint64(c)]
	if s == nil {
		return nil
	}
	out := s.outbox
	s.outbox = nil
	return out
}

// Publications returns every publication so far, oldest first.
func (h *Host) Publications() []Publication { return slices.Clone(h.pubs) }

// Logs returns every log line so far, oldest first.
func (h *Host) Logs() []LogEntry { return slices.Clone(h.logs) }

// Timers returns the pending timers and the time left until each fires.
func (h *Host) Timers() map[uint64]time.Duration {
	out := make(map[uint64]time.Duration, len(h.timers))
	for id, tm := range h.timers {
		out[id] = tm.at.Sub(h.now)
	}
	return out
}

// Topics returns the topics c is subscribed to, sorted.
func (h *Host) Topics(c socklet.Conn) []string {
	var out []string
	if s := h.conns[uint64(c)]; s != nil {
		for t := range s.topics {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// Subscribers returns the connections subscribed to topic, in handle order.
func (h *Host) Subscribers(topic string) []socklet.Conn {
	var out []socklet.Conn
	for id := range h.topics[topic] {
		out = append(out, socklet.Conn(id))
	}
	slices.Sort(out)
	return out
}

// Attachment returns the bytes attached to c (nil if none).
func (h *Host) Attachment(c socklet.Conn) []byte {
	if s := h.conns[uint64(c)]; s != nil {
		return slices.Clone(s.attachment)
	}
	return nil
}

// IsOpen reports whether c is accepted and not yet closed.
func (h *Host) IsOpen(c socklet.Conn) bool {
	s := h.conns[uint64(c)]
	return s != nil && s.open
}

// Closing reports whether the plugin started closing c, and with what.
func (h *Host) Closing(c socklet.Conn) (code int, reason string, ok bool) {
	s := h.conns[uint64(c)]
	if s == nil || !s.closing {
		return 0, "", false
	}
	return s.closeCode, s.closeWhy, true
}

// SetQueueFull makes c's outbound queue full (or not): sends to c return
// socklet.ErrQueueFull, and a publication that reaches c closes it with 1013
// "outbound queue full", as the host does.
func (h *Host) SetQueueFull(c socklet.Conn, full bool) {
	if s := h.conns[uint64(c)]; s != nil {
		s.queueFull = full
	}
}

func headerValue(hdr map[string]string, name string) (string, bool) {
	for k, v := range hdr {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}
