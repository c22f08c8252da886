// Command idleconns measures a WebSocket server's memory per idle
// connection: it reads the server's resident set size (VmRSS in
// /proc/PID/status), opens -n connections and completes their opening
// handshakes, waits until they are idle, reads VmRSS again and reports
// (after-before)/n in KiB.
//
// Connections are spread over -sources loopback source addresses
// (127.0.0.1, 127.0.0.2, ...) so that ephemeral ports do not run out. Only
// loopback URLs are accepted. The client holds the sockets without reading
// (no goroutine per connection); the run is bounded by -timeout.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/socklet/socklet/bench/internal/wsraw"
)

func main() {
	rawURL := flag.String("url", "ws://127.0.0.1:18080/chat", "server `URL` (loopback only)")
	n := flag.Int("n", 10000, "connections to open")
	pid := flag.Int("pid", 0, "server process `ID` whose VmRSS is read")
	sources := flag.Int("sources", 10, "loopback source addresses to spread connections over (127.0.0.1..)")
	settle := flag.Duration("settle", 3*time.Second, "wait after the last handshake before reading VmRSS")
	timeout := flag.Duration("timeout", 2*time.Minute, "bound of the whole run")
	hold := flag.Duration("hold", 0, "keep the connections open this long after measuring (to profile the server)")
	flag.Parse()
	if err := run(*rawURL, *n, *pid, *sources, *settle, *hold, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "idleconns:", err)
		os.Exit(1)
	}
}

func run(rawURL string, n, pid, sources int, settle, hold, timeout time.Duration) error {
	if pid <= 0 || n <= 0 || sources < 1 || sources > 250 {
		return errors.New("-pid and -n must be positive, -sources 1..250")
	}
	u, err := wsraw.CheckLoopback(rawURL)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	time.Sleep(settle) // let the fresh server reach its idle footprint
	before, err := vmRSS(pid)
	if err != nil {
		return err
	}
	conns := make([]net.Conn, n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	var (
		next   atomic.Int64
		wg     sync.WaitGroup
		errMu  sync.Mutex
		first  error
		start  = time.Now()
		failed atomic.Int64
	)
	for range 64 { // 64 concurrent dialers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i%sources))}}
				c, err := d.DialContext(ctx, "tcp", u.Host)
				if err == nil {
					_, err = wsraw.Handshake(c, u, 10*time.Second)
					if err != nil {
						c.Close()
					}
				}
				if err != nil {
					failed.Add(1)
					errMu.Lock()
					if first == nil {
						first = err
					}
					errMu.Unlock()
					continue
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return fmt.Errorf("%d of %d connections failed, first: %w", failed.Load(), n, first)
	}
	opened := time.Since(start)
	time.Sleep(settle)
	after, err := vmRSS(pid)
	if err != nil {
		return err
	}
	perConn := float64(after-before) / float64(n)
	fmt.Printf("conns=%d open_s=%.1f rss_before_kib=%d rss_after_kib=%d kib_per_conn=%.2f\n",
		n, opened.Seconds(), before, after, perConn)
	select {
	case <-time.After(hold):
	case <-ctx.Done():
	}
	return nil
}

// vmRSS returns the VmRSS of process pid in KiB.
func vmRSS(pid int) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("read server RSS: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}
