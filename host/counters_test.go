package host

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConnTotalsExact counts from many goroutines on many connections,
// some counting on others' connections (as a publish does), connections
// ending while others still count on them, and scrapes all along: the
// totals never go down and end exact.
func TestConnTotalsExact(t *testing.T) {
	var tot connTotals
	const conns, perConn = 16, 2000
	cs := make([]*connCounters, conns)
	for i := range cs {
		cs[i] = &connCounters{}
		tot.track(cs[i])
	}
	stop := make(chan struct{})
	scraped := make(chan error)
	go func() {
		var last [4]int64
		for {
			var now [4]int64
			now[0], now[1], now[2], now[3] = tot.read()
			for i := range now {
				if now[i] < last[i] {
					scraped <- fmt.Errorf("total %d went down: %d after %d", i, now[i], last[i])
					return
				}
			}
			last = now
			select {
			case <-stop:
				scraped <- nil
				return
			default:
			}
		}
	}()
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			other := cs[(i+1)%conns]
			for j := range perConn {
				c.received(3)
				other.sent(5) // may run after other was untracked
				if j == perConn/2 && i%2 == 0 {
					tot.untrack(c) // ends mid-way; its own counts go on
				}
			}
		}()
	}
	wg.Wait()
	for _, c := range cs {
		tot.untrack(c) // a second untrack does nothing
	}
	close(stop)
	if err := <-scraped; err != nil {
		t.Fatal(err)
	}
	in, bytesIn, out, bytesOut := tot.read()
	const n = conns * perConn
	if in != n || bytesIn != 3*n || out != n || bytesOut != 5*n {
		t.Fatalf("totals %d %d %d %d, want %d %d %d %d", in, bytesIn, out, bytesOut, n, 3*n, n, 5*n)
	}
	if tot.live.next != &tot.live || tot.live.prev != &tot.live {
		t.Fatal("untracked connections left in the list")
	}
}

// TestLatencyShardsExact observes from one goroutine per instance, more
// instances than shards, and checks the scraped histogram.
func TestLatencyShardsExact(t *testing.T) {
	var rm routeMetrics
	const instances, per = latencyShards + 3, 3000
	var wg sync.WaitGroup
	for i := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range per {
				rm.Event("/r", i, "text", 3*time.Microsecond) // bucket le=5e-6
			}
		}()
	}
	wg.Wait()
	h := rm.latencyTotals()
	var n int64
	for i, c := range h.counts {
		if i != 2 && c != 0 {
			t.Errorf("bucket %d has %d", i, c)
		}
		n += c
	}
	if n != instances*per || h.sumNs != instances*per*3000 {
		t.Fatalf("count %d sum %d ns, want %d and %d", n, h.sumNs, instances*per, instances*per*3000)
	}
}

// BenchmarkCountMessage counts a message in and out per operation from
// every P, each P on connections of its own: on one route-wide pair of
// atomics (as before), or on each connection's counters.
func BenchmarkCountMessage(b *testing.B) {
	b.Run("shared", func(b *testing.B) {
		var msgs, bytes atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				msgs.Add(1)
				bytes.Add(32)
				msgs.Add(1)
				bytes.Add(32)
			}
		})
	})
	b.Run("perConn", func(b *testing.B) {
		var tot connTotals
		b.RunParallel(func(pb *testing.PB) {
			cs := make([]*connCounters, 64)
			for i := range cs {
				cs[i] = &connCounters{}
				tot.track(cs[i])
			}
			i := 0
			for pb.Next() {
				c := cs[i%len(cs)]
				c.received(32)
				c.sent(32)
				i++
			}
		})
	})
}

// TestLatencyBucketBounds: a duration lands in the first bucket whose
// bound it does not exceed (Prometheus buckets are "less or equal"), and
// past the last bound in +Inf.
func TestLatencyBucketBounds(t *testing.T) {
	for _, tc := range []struct {
		d      time.Duration
		bucket int
	}{
		{0, 0},
		{time.Microsecond, 0},
		{time.Microsecond + 1, 1},
		{2500 * time.Nanosecond, 1},
		{3 * time.Microsecond, 2},
		{time.Millisecond, 9},
		{time.Second, len(latencyBuckets) - 1},
		{time.Second + 1, len(latencyBuckets)},
		{time.Hour, len(latencyBuckets)},
	} {
		var h histogram
		h.observe(tc.d)
		for i := range h.counts {
			want := int64(0)
			if i == tc.bucket {
				want = 1
			}
			if got := h.counts[i].Load(); got != want {
				t.Errorf("observe(%v): bucket %d has %d, want %d", tc.d, i, got, want)
			}
		}
		if h.sumNs.Load() != int64(tc.d) {
			t.Errorf("observe(%v): sum %d ns", tc.d, h.sumNs.Load())
		}
	}
}
