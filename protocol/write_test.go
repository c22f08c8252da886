package protocol

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"
)

// TestWriteHammer: many goroutines write, ping and close at once (under
// -race). Nothing panics, every error is ErrClosed or ErrQueueFull, and the
// Conn finishes.
func TestWriteHammer(t *testing.T) {
	for round := range 4 {
		url := testServer(t, &Upgrader{Options: Options{OutboundQueueBytes: 8 << 10}}, echo)
		c := dialTest(t, url, &DialOptions{Options: Options{OutboundQueueBytes: 8 << 10, CloseTimeout: 500 * time.Millisecond}})
		go func() {
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}()
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 300 {
					var err error
					switch i % 5 {
					case 0:
						err = c.Ping([]byte{byte(w)})
					case 1:
						err = c.Flush()
					default:
						err = c.Write(MessageBinary, bytes.Repeat([]byte{byte(i)}, i))
					}
					if err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, ErrQueueFull) {
						t.Errorf("writer %d: %v", w, err)
						return
					}
					if w == 0 && i == 150 {
						if round%2 == 0 {
							_ = c.Close(StatusNormalClosure, "")
						} else {
							_ = c.CloseNow()
						}
					}
				}
			}()
		}
		wg.Wait()
		waitDone(t, c)
	}
}

func TestWriteLargerThanQueueWhenEmpty(t *testing.T) {
	url := testServer(t, &Upgrader{}, echo)
	c := dialTest(t, url, &DialOptions{Options: Options{OutboundQueueBytes: 1 << 10}})
	c.Cork() // nothing leaves the queue until Uncork
	big := bytes.Repeat([]byte("b"), 64<<10)
	if err := c.Write(MessageBinary, big); err != nil {
		t.Fatalf("first large write on an empty queue: %v", err)
	}
	if err := c.Write(MessageBinary, []byte("x")); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("write on a full queue: %v", err)
	}
	if err := c.Uncork(); err != nil {
		t.Fatal(err)
	}
	if _, p, err := c.ReadMessage(); err != nil || !bytes.Equal(p, big) {
		t.Fatalf("echo: %v", err)
	}
}

// TestPreparedBroadcast writes one PreparedMessage to many server Conns,
// with and without compression (context takeover on some peers), and to a
// client Conn (masked per connection).
func TestPreparedBroadcast(t *testing.T) {
	var mu sync.Mutex
	var conns []*Conn
	u := &Upgrader{Options: Options{Compression: CompressionOptions{Enabled: true, Threshold: 64}}}
	url := testServer(t, u, func(c *Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	})
	const n = 6
	var clients []*Conn
	for i := range n {
		opts := &DialOptions{}
		if i%2 == 0 {
			opts.Compression = CompressionOptions{Enabled: true, ClientNoContextTakeover: i%4 == 0}
		}
		clients = append(clients, dialTest(t, url, opts))
	}
	for range 100 {
		mu.Lock()
		k := len(conns)
		mu.Unlock()
		if k == n {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	small, _ := NewPreparedMessage(MessageText, []byte("small"))
	large, _ := NewPreparedMessage(MessageBinary, bytes.Repeat([]byte("broadcast "), 200))
	mu.Lock()
	for _, c := range conns {
		for _, pm := range []*PreparedMessage{small, large, large} {
			if err := c.WritePrepared(pm); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Write(MessageText, bytes.Repeat([]byte("after "), 100)); err != nil {
			t.Fatal(err)
		}
	}
	mu.Unlock()
	for i, c := range clients {
		for j, want := range [][]byte{[]byte("small"), large.payload, large.payload, bytes.Repeat([]byte("after "), 100)} {
			_, p, err := c.ReadMessage()
			if err != nil || !bytes.Equal(p, want) {
				t.Fatalf("client %d message %d: %v", i, j, err)
			}
		}
	}
	// Client role: masked per connection.
	pm, _ := NewPreparedMessage(MessageText, []byte("from client"))
	echoURL := testServer(t, &Upgrader{}, echo)
	c := dialTest(t, echoURL, nil)
	if err := c.WritePrepared(pm); err != nil {
		t.Fatal(err)
	}
	if _, p, err := c.ReadMessage(); err != nil || string(p) != "from client" {
		t.Fatalf("%q %v", p, err)
	}
	if pm.Len() != len("from client") || pm.Type() != MessageText {
		t.Fatal("Len/Type")
	}
}

// TestCorkBatchesWrites: while corked nothing is written; Uncork writes all.
func TestCorkBatchesWrites(t *testing.T) {
	url := testServer(t, &Upgrader{}, echo)
	c := dialTest(t, url, nil)
	c.Cork()
	for i := range 10 {
		if err := c.Write(MessageText, fmt.Appendf(nil, "m%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	got := make(chan error, 1)
	go func() {
		_, _, err := c.ReadMessage()
		got <- err
	}()
	select {
	case <-got:
		t.Fatal("a corked message was written")
	case <-ctx.Done():
	}
	if err := c.Uncork(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}

// TestWriteNoAllocTCP: once a Conn has written its first message, an
// uncompressed message costs no allocation on any write path: queued and
// flushed by the caller, queued for the flusher (what a publish to another
// connection does), and corked (the replies inside an event).
func TestWriteNoAllocTCP(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under -race")
	}
	srv, cli := tcpPair(t)
	c := newConn(srv, nil, connConfig{server: true})
	defer c.CloseNow()
	msg := []byte("0123456789abcdef")
	frame := make([]byte, 2+len(msg))
	for _, tc := range []struct {
		name  string
		write func() error
	}{
		{"Write+Flush", func() error {
			if err := c.Write(MessageBinary, msg); err != nil {
				return err
			}
			return c.Flush()
		}},
		{"Write", func() error { return c.Write(MessageBinary, msg) }},
		{"corked", func() error {
			c.Cork()
			if err := c.Write(MessageBinary, msg); err != nil {
				return err
			}
			return c.Uncork()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			allocs := testing.AllocsPerRun(200, func() {
				if err := tc.write(); err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadFull(cli, frame); err != nil {
					t.Fatal(err)
				}
				if frame[0] != 0x82 || int(frame[1]) != len(msg) || !bytes.Equal(frame[2:], msg) {
					t.Fatalf("peer read % x", frame)
				}
			})
			if allocs != 0 {
				t.Fatalf("%v allocations per message, want 0", allocs)
			}
		})
	}
}
