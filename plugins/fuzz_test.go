package plugins

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/socklet/socklet/abi"
)

// FuzzHostCalls calls host functions through the probe fixture with
// arbitrary arguments: none may trap the guest or panic the host, and each
// result must be a status of the ABI or a length or count.
func FuzzHostCalls(f *testing.F) {
	f.Add(uint8(opSendText), int64(0), int64(scratch), int64(5), int64(0), int64(0), []byte("hello"))
	f.Add(uint8(opPublishText), int64(scratch), int64(4), int64(scratch), int64(4), int64(1), []byte("room"))
	f.Add(uint8(opConnInfo), int64(0), int64(3), int64(badPtr), int64(64), int64(0), []byte(nil))
	f.Add(uint8(opClose), int64(0), int64(1000), int64(-1), int64(-1), int64(0), []byte("bye"))
	rt := newTestRuntime(f)
	mod := compile(f, rt, "probe.wasm")
	f.Fuzz(func(t *testing.T, op uint8, a0, a1, a2, a3, a4 int64, data []byte) {
		op = op%opNowMs + 1 // host functions only: no trap, loop or grow ops
		r := newTestRoute(t, rt, mod, RouteConfig{EventTimeout: 5 * time.Second, Config: map[string]string{"k": "v"}})
		c := newRecorder()
		h := open(t, r, c)
		if a0%2 == 0 && op != opPublishText && op != opPublishBinary && op != opConfig && op != opLog && op != opTimer && op != opTimerCancel {
			a0 = int64(h.ID()) // most calls name a real connection
		}
		if len(data) > 4096 {
			data = data[:4096]
		}
		cmd := command(int64(op), []int64{a0, a1, a2, a3, a4}, data)
		if err := r.Binary(context.Background(), h, cmd); err != nil {
			t.Fatalf("op %d: %v", op, err)
		}
		for _, m := range c.messages() {
			if m.text || len(m.data) != 264 {
				continue
			}
			res := int64(binary.LittleEndian.Uint64([]byte(m.data)))
			if op != opNowMs && res < int64(abi.StatusLimit) {
				t.Fatalf("op %d returned %d, not a status of the ABI", op, res)
			}
		}
	})
}
