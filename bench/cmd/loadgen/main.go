// Command loadgen drives a WebSocket echo server on loopback with pipelined
// load and reports the echo rate, the payload throughput and the latency
// percentiles.
//
// Every connection keeps -inflight messages in flight: it sends that many at
// once, then sends one more for every echo it receives, batching the
// replacements of all the echoes already buffered into one write. Frames are
// encoded and decoded by hand (package wsraw) with no allocation per message
// so that the client costs the server as little CPU as possible. Each
// message carries its send time in its first 8 bytes; the latency of an echo
// is the time from that send to its arrival (messages shorter than 8 bytes
// report no latency).
//
// Only loopback hosts are accepted. The run is bounded: -warmup plus
// -duration, then every connection is closed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/socklet/socklet/bench/internal/wsraw"
)

func main() {
	rawURL := flag.String("url", "ws://127.0.0.1:18080/echo", "echo server `URL` (loopback only)")
	conns := flag.Int("conns", 100, "number of connections")
	inflight := flag.Int("inflight", 8, "messages in flight per connection")
	size := flag.Int("size", 32, "payload size in bytes")
	duration := flag.Duration("duration", 10*time.Second, "measured duration")
	warmup := flag.Duration("warmup", time.Second, "load applied before measuring starts")
	binary := flag.Bool("binary", false, "send binary messages (default text)")
	flag.Parse()

	cfg := config{url: *rawURL, conns: *conns, inflight: *inflight, size: *size,
		duration: *duration, warmup: *warmup, binary: *binary}
	res, err := run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	fmt.Printf("conns=%d inflight=%d size=%d binary=%v duration=%s msgs_per_s=%.0f mb_per_s=%.2f p50_us=%.0f p99_us=%.0f errors=%d client_cpu_s=%.2f\n",
		cfg.conns, cfg.inflight, cfg.size, cfg.binary, cfg.duration, res.msgsPerSec, res.mbPerSec, res.p50us, res.p99us, res.errors, cpu.Seconds())
}

type config struct {
	url              string
	conns, inflight  int
	size             int
	duration, warmup time.Duration
	binary           bool
}

type result struct {
	msgsPerSec, mbPerSec float64
	p50us, p99us         float64
	errors               int
}

// worker is one connection's state; its counters are read by run.
type worker struct {
	received  atomic.Int64
	latencies []uint32 // µs, recorded while measuring; read after the worker ended
	err       error
}

func run(cfg config) (result, error) {
	if cfg.conns < 1 || cfg.inflight < 1 || cfg.size < 0 || cfg.duration <= 0 {
		return result{}, errors.New("-conns and -inflight must be at least 1, -duration positive")
	}
	u, err := wsraw.CheckLoopback(cfg.url)
	if err != nil {
		return result{}, err
	}
	op := byte(1)
	if cfg.binary {
		op = 2
	}
	start := time.Now()
	total := cfg.warmup + cfg.duration
	ctx, cancel := context.WithTimeout(context.Background(), total+30*time.Second)
	defer cancel()

	workers := make([]*worker, cfg.conns)
	ready := make(chan error, cfg.conns)
	begin := make(chan struct{})
	var measuring atomic.Bool
	var wg sync.WaitGroup
	dialSlots := make(chan struct{}, 64) // bound concurrent handshakes
	for i := range workers {
		w := &worker{}
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(ctx, u, op, cfg, start, dialSlots, ready, begin, &measuring)
		}()
	}
	for range workers {
		if err := <-ready; err != nil {
			cancel()
			close(begin)
			wg.Wait()
			return result{}, fmt.Errorf("connect: %w", err)
		}
	}
	close(begin)
	time.Sleep(cfg.warmup)
	var before int64
	for _, w := range workers {
		before += w.received.Load()
	}
	measuring.Store(true)
	t0 := time.Now()
	time.Sleep(cfg.duration)
	measuring.Store(false)
	elapsed := time.Since(t0)
	var after int64
	for _, w := range workers {
		after += w.received.Load()
	}
	cancel() // workers close their connections
	wg.Wait()

	var res result
	var all []uint32
	for _, w := range workers {
		all = append(all, w.latencies...)
		if w.err != nil {
			res.errors++
		}
	}
	n := float64(after - before)
	res.msgsPerSec = n / elapsed.Seconds()
	res.mbPerSec = n * float64(cfg.size) / elapsed.Seconds() / 1e6
	if len(all) > 0 {
		slices.Sort(all)
		res.p50us = float64(all[len(all)*50/100])
		res.p99us = float64(all[min(len(all)-1, len(all)*99/100)])
	}
	return res, nil
}
