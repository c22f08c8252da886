package host

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Metrics holds the server's counters and renders them in the Prometheus text
// exposition format (version 0.0.4). It has no dependency: the format is a
// few lines of text, and a client library would be the largest dependency of
// the binary. All methods are safe for concurrent use.
type Metrics struct {
	mu     sync.Mutex
	routes map[string]*routeMetrics

	handshakeFailures sync.Map // reason -> *atomic.Int64

	parked func() int // connections waiting in the server's Poller; nil without one
}

// routeMetrics are the per-route series. The path per message touches no
// line shared by the route's connections: message and byte counts are kept
// per connection (messages), the event latency histogram per plugin
// instance (latency, whose shard is only written under that instance's
// lock). The other counters are atomics changed per connection or per
// failure.
type routeMetrics struct {
	connections  atomic.Int64 // gauge
	accepted     atomic.Int64
	traps        atomic.Int64
	restarts     atomic.Int64
	reloads      atomic.Int64
	reloadErrors atomic.Int64
	messages     connTotals
	latency      [latencyShards]histogram // by instance index, modulo latencyShards
}

// latencyBuckets are the upper bounds of the plugin event latency
// histogram: 1 µs to 1 s.
var latencyBuckets = [...]time.Duration{
	time.Microsecond, 2500 * time.Nanosecond, 5 * time.Microsecond,
	10 * time.Microsecond, 25 * time.Microsecond, 50 * time.Microsecond,
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond, time.Second,
}

// latencyShards bounds the shards of a route's latency histogram: instances
// beyond it share shards (still exact, only contended).
const latencyShards = 8

// histogram is one shard of a latency histogram; the shards are summed when
// scraped.
type histogram struct {
	counts [len(latencyBuckets) + 1]atomic.Int64 // one per bucket, then +Inf
	sumNs  atomic.Int64
	_      [64]byte // keeps the next shard off this one's cache lines
}

func (h *histogram) observe(d time.Duration) {
	// Linear from the smallest bucket: events mostly take microseconds, so
	// this stops after a comparison or two.
	i := 0
	for i < len(latencyBuckets) && d > latencyBuckets[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNs.Add(int64(d))
}

// latencyTotal is the sum of a histogram's shards.
type latencyTotal struct {
	counts [len(histogram{}.counts)]int64
	sumNs  int64
}

// latencyTotals sums the shards of r's latency histogram. A scrape
// concurrent with events may see an event in a bucket and not yet in the
// sum, as with one shard.
func (r *routeMetrics) latencyTotals() latencyTotal {
	var t latencyTotal
	for i := range r.latency {
		h := &r.latency[i]
		for j := range h.counts {
			t.counts[j] += h.counts[j].Load()
		}
		t.sumNs += h.sumNs.Load()
	}
	return t
}

// NewMetrics returns an empty registry.
func NewMetrics() *Metrics {
	return &Metrics{routes: map[string]*routeMetrics{}}
}

func (m *Metrics) route(name string) *routeMetrics {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.routes[name]
	if !ok {
		r = &routeMetrics{}
		m.routes[name] = r
	}
	return r
}

// HandshakeFailure counts a refused or failed handshake by reason (a short
// stable label such as "origin", "bad_request", "limit", "not_found").
func (m *Metrics) HandshakeFailure(reason string) {
	v, _ := m.handshakeFailures.LoadOrStore(reason, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

// routeMetrics is the plugins.Observer of its own route: a route's events
// update its series directly, with no lookup and no lock per event.

// Event implements plugins.Observer: one guest call of kind took d.
func (r *routeMetrics) Event(_ string, instance int, _ string, d time.Duration) {
	r.latency[uint(instance)%latencyShards].observe(d)
}

// Trap implements plugins.Observer.
func (r *routeMetrics) Trap(string, error) { r.traps.Add(1) }

// Restart implements plugins.Observer.
func (r *routeMetrics) Restart(string) { r.restarts.Add(1) }

// WriteTo writes every series in the Prometheus text format.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	m.mu.Lock()
	names := make([]string, 0, len(m.routes))
	for n := range m.routes {
		names = append(names, n)
	}
	routes := make(map[string]*routeMetrics, len(m.routes))
	for n, r := range m.routes {
		routes[n] = r
	}
	m.mu.Unlock()
	sort.Strings(names)
	type messageTotals struct{ in, bytesIn, out, bytesOut int64 }
	messages := make(map[*routeMetrics]messageTotals, len(routes))
	for _, r := range routes {
		var t messageTotals
		t.in, t.bytesIn, t.out, t.bytesOut = r.messages.read()
		messages[r] = t
	}

	series := []struct {
		name, typ, help string
		get             func(*routeMetrics) int64
	}{
		{"socklet_connections", "gauge", "Open WebSocket connections.", func(r *routeMetrics) int64 { return r.connections.Load() }},
		{"socklet_connections_accepted_total", "counter", "WebSocket connections accepted.", func(r *routeMetrics) int64 { return r.accepted.Load() }},
		{"socklet_messages_in_total", "counter", "Messages received from clients.", func(r *routeMetrics) int64 { return messages[r].in }},
		{"socklet_messages_out_total", "counter", "Messages queued to clients.", func(r *routeMetrics) int64 { return messages[r].out }},
		{"socklet_bytes_in_total", "counter", "Message payload bytes received.", func(r *routeMetrics) int64 { return messages[r].bytesIn }},
		{"socklet_bytes_out_total", "counter", "Message payload bytes queued.", func(r *routeMetrics) int64 { return messages[r].bytesOut }},
		{"socklet_plugin_traps_total", "counter", "Plugin instances that trapped, overran their deadline or ran out of memory.", func(r *routeMetrics) int64 { return r.traps.Load() }},
		{"socklet_plugin_restarts_total", "counter", "Plugin instances rebuilt after a trap.", func(r *routeMetrics) int64 { return r.restarts.Load() }},
		{"socklet_plugin_reloads_total", "counter", "Plugin modules replaced by a reload.", func(r *routeMetrics) int64 { return r.reloads.Load() }},
		{"socklet_plugin_reload_errors_total", "counter", "Reloads refused because the new module failed.", func(r *routeMetrics) int64 { return r.reloadErrors.Load() }},
	}
	for _, s := range series {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", s.name, s.help, s.name, s.typ)
		for _, n := range names {
			fmt.Fprintf(&b, "%s{route=%s} %d\n", s.name, quoteLabel(n), s.get(routes[n]))
		}
	}

	b.WriteString("# HELP socklet_plugin_event_seconds Duration of plugin event calls.\n# TYPE socklet_plugin_event_seconds histogram\n")
	for _, n := range names {
		h := routes[n].latencyTotals()
		var cum int64
		for i, le := range latencyBuckets {
			cum += h.counts[i]
			fmt.Fprintf(&b, "socklet_plugin_event_seconds_bucket{route=%s,le=\"%s\"} %d\n", quoteLabel(n), formatFloat(le.Seconds()), cum)
		}
		cum += h.counts[len(latencyBuckets)]
		fmt.Fprintf(&b, "socklet_plugin_event_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", quoteLabel(n), cum)
		fmt.Fprintf(&b, "socklet_plugin_event_seconds_sum{route=%s} %s\n", quoteLabel(n), formatFloat(float64(h.sumNs)/1e9))
		fmt.Fprintf(&b, "socklet_plugin_event_seconds_count{route=%s} %d\n", quoteLabel(n), cum)
	}

	if m.parked != nil {
		fmt.Fprintf(&b, "# HELP socklet_parked_connections Connections waiting for input without a goroutine (epoll).\n# TYPE socklet_parked_connections gauge\nsocklet_parked_connections %d\n", m.parked())
	}

	b.WriteString("# HELP socklet_handshake_failures_total Handshakes refused or failed, by reason.\n# TYPE socklet_handshake_failures_total counter\n")
	var reasons []string
	m.handshakeFailures.Range(func(k, _ any) bool { reasons = append(reasons, k.(string)); return true })
	sort.Strings(reasons)
	for _, r := range reasons {
		v, _ := m.handshakeFailures.Load(r)
		fmt.Fprintf(&b, "socklet_handshake_failures_total{reason=%s} %d\n", quoteLabel(r), v.(*atomic.Int64).Load())
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func quoteLabel(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

func formatFloat(f float64) string {
	if math.IsInf(f, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
