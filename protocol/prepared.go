package protocol

import (
	"fmt"
	"sync"
)

// PreparedMessage is a data message framed once and written to many Conns
// (broadcast). It is immutable after NewPreparedMessage and safe for
// concurrent use by any number of Conns.
//
// Uncompressed, the server-role frame (header + payload) is built once and
// each WritePrepared copies those bytes into the Conn's queue; the client
// role masks with a fresh key per connection, so it frames per write.
//
// Compressed (permessage-deflate negotiated and the message at least the
// Conn's threshold): the payload is deflated once per flate level as a
// standalone stream, which every receiver can inflate whatever its
// parameters, provided the message fits the window the peer imposed
// (max_window_bits). On a connection with context takeover, sending a
// standalone message restarts that connection's compression context (the
// peer's window then holds bytes our writer never saw); the following
// messages compress a little less well until the context refills. A message
// too large for the peer's window, or that deflate would not shrink, is
// sent uncompressed.
type PreparedMessage struct {
	typ     MessageType
	payload []byte
	frame   []byte // server-role uncompressed frame

	mu sync.Mutex
	z  []preparedDeflate // per flate level, built on first use
}

type preparedDeflate struct {
	level   int
	ok      bool   // compression shrinks the message
	payload []byte // standalone deflate payload (tail stripped)
	frame   []byte // server-role frame with RSV1
}

// NewPreparedMessage copies p and frames it as one message of type typ.
func NewPreparedMessage(typ MessageType, p []byte) (*PreparedMessage, error) {
	if typ != MessageText && typ != MessageBinary {
		return nil, fmt.Errorf("protocol: NewPreparedMessage: invalid message type %d", int(typ))
	}
	pm := &PreparedMessage{typ: typ}
	n := frameHeaderSize(len(p), false)
	pm.frame = appendFrameHeader(make([]byte, 0, n+len(p)), true, 0, opcode(typ), len(p), false, [4]byte{})
	pm.frame = append(pm.frame, p...)
	pm.payload = pm.frame[n:]
	return pm, nil
}

// Len returns the message's payload length (uncompressed).
func (pm *PreparedMessage) Len() int { return len(pm.payload) }

// Type returns the message type.
func (pm *PreparedMessage) Type() MessageType { return pm.typ }

// deflated returns the standalone compressed form at level, computing it
// once.
func (pm *PreparedMessage) deflated(level int) *preparedDeflate {
	pm.mu.Lock()
	defer pm.mu.Unlock()
	for i := range pm.z {
		if pm.z[i].level == level {
			return &pm.z[i]
		}
	}
	d := preparedDeflate{level: level}
	if z, ok := compressOnce(pm.payload, level); ok {
		d.ok = true
		d.payload = z
		d.frame = appendFrameHeader(make([]byte, 0, frameHeaderSize(len(z), false)+len(z)), true, bitRsv1, opcode(pm.typ), len(z), false, [4]byte{})
		d.frame = append(d.frame, z...)
	}
	pm.z = append(pm.z, d)
	return &pm.z[len(pm.z)-1]
}

// WritePrepared queues pm on c, with the same contract as Write (bounded
// queue, ErrQueueFull, ErrClosed; safe for concurrent use).
func (c *Conn) WritePrepared(pm *PreparedMessage) error {
	if c.comp != nil && len(pm.payload) >= c.compThresh {
		c.compMu.Lock()
		defer c.compMu.Unlock()
		c.mu.Lock()
		err := c.checkSpaceLocked(len(pm.frame), false)
		c.mu.Unlock()
		if err != nil {
			return err
		}
		if c.comp.usePrepared(len(pm.payload)) {
			if d := pm.deflated(c.opts.Compression.Level); d.ok {
				if c.server {
					return c.queueRaw(d.frame, true)
				}
				return c.queueData(opcode(pm.typ), bitRsv1, d.payload, true)
			}
		}
		// Uncompressed; compMu still orders it with compressed messages.
	}
	if c.server {
		return c.queueRaw(pm.frame, false)
	}
	return c.queueData(opcode(pm.typ), 0, pm.payload, false)
}

// queueRaw queues an already framed (server-role) message. A large frame
// on an empty queue is offered to the socket directly (see queueData).
func (c *Conn) queueRaw(frame []byte, force bool) error {
	c.mu.Lock()
	if err := c.checkSpaceLocked(len(frame), force); err != nil {
		c.mu.Unlock()
		return err
	}
	if len(frame) >= directWriteMin && c.canWriteDirectLocked() {
		c.writeDirectLocked(frame, nil)
		return nil
	}
	c.appendRawLocked(frame)
	c.kickLocked()
	c.mu.Unlock()
	return nil
}
