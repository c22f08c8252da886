package protocol

// directReadMin is the smallest payload ReadMessageTo offers to a RoomFunc.
// It was set when every direct read paid a FIONREAD ioctl to learn whether
// the payload had arrived. BenchmarkDirectReadCosts, on the 2-core KVM
// machine of docs/benchmarks.md: the ioctl 0.5 µs; a copy with warm caches
// 0.24 µs at 8 KiB, 0.5 at 16, 1.3 at 32, 2.8 at 64 (the host's copy into
// guest memory runs colder: ~4 µs at 64 KiB in the echo profile); and
// BenchmarkReadMessageTo then measured the direct read 15% dearer than
// ReadMessage plus a copy at 8 KiB. Since the count mostly comes with the
// read (TCP_INQ, see payloadReady), the direct read at 8 KiB is ~3% cheaper
// and at 4 KiB dearer (docs/benchmarks.md, "What to change", item 12): too
// little, inside the noise, to move the threshold.
const directReadMin = 16 << 10

// RoomFunc lends ReadMessageTo the destination of a message's payload. It
// is called with the message's type and its exact length n (at least 16 KiB)
// once the frame header has been read and checked, and only when the whole
// payload can be read without waiting for the network. It returns a slice
// of exactly n bytes, which ReadMessageTo fills (and unmasks and, for text,
// checks as UTF-8) and returns as the message; or nil, and the message is
// read into the Conn's own buffer as by ReadMessage. A slice of any other
// length counts as nil. It is called from the reading goroutine, at most
// once per ReadMessageTo call; it must not call the Conn's read methods.
type RoomFunc func(typ MessageType, n int) []byte

// ReadMessageTo is ReadMessage, except that a large message may be read
// straight into memory the caller lends, without going through the Conn's
// buffer: this saves the copy of a payload the caller would otherwise make
// (the host copies every message into a plugin instance's memory).
//
// room is asked for a destination only for a message that is one final,
// uncompressed text or binary frame of at least 16 KiB, within
// Options.MaxMessageSize and Options.MaxFrameSize, whose whole payload is
// already in the read buffer or in the kernel's socket buffer (as the
// TCP_INQ count of the last read, or else the FIONREAD ioctl, tells; on
// connections where the kernel cannot be asked, such as TLS, or outside
// Linux, only the read buffer counts). Filling it then never
// waits for the network, so a caller may hold a lock shared with other
// connections between room's call and ReadMessageTo's return. Fragmented,
// compressed and smaller messages, and messages whose payload is still on
// its way, take ReadMessage's path (room is not called).
//
// When room returned a destination, ReadMessageTo returns either the
// message with p being that slice, or an error; in the second case the
// destination may hold part of the payload (possibly still masked, or
// invalid UTF-8) and the caller discards it. Errors, close codes and the
// Conn's state afterwards are exactly those of ReadMessage on the same
// input: invalid UTF-8 fails the connection with 1007 as soon as it is
// read, a size over the limits with 1009 before room is called, a
// connection that ends in the payload with StatusAbnormalClosure. A nil
// room makes ReadMessageTo the same as ReadMessage.
//
// Only one goroutine may call ReadMessage or ReadMessageTo at a time.
func (c *Conn) ReadMessageTo(room RoomFunc) (MessageType, []byte, error) {
	return c.read(room)
}

// readDirect reads the payload of h (a final, uncompressed data frame of
// type typ, its header consumed and checked) into the caller's room when
// all of it can be read without blocking. ok false means room was not used
// (the payload is not all here, or room declined): nothing was consumed and
// the caller reads the frame as usual. With ok true, p is the room filled
// or err is the read's failure.
func (c *Conn) readDirect(room RoomFunc, typ MessageType, h *frameHeader) (p []byte, ok bool, err error) {
	if !c.payloadReady(h.length) {
		return nil, false, nil
	}
	dst := room(typ, int(h.length))
	if int64(len(dst)) != h.length {
		return nil, false, nil
	}
	var utf utf8State
	validate := typ == MessageText
	if _, err := c.fill(dst, h, 0, &utf, validate); err != nil {
		return nil, true, err
	}
	if validate && !utf.complete() {
		return nil, true, c.fail(StatusInvalidFramePayloadData, "text message is not UTF-8")
	}
	return dst, true, nil
}

// payloadReady reports whether n more bytes can be read without waiting
// for the network: they are in the read buffer (with the bytes buffered
// before the upgrade), or those plus what the kernel holds for the socket,
// as the last read's TCP_INQ count tells or else FIONREAD. Reading
// goroutine only.
func (c *Conn) payloadReady(n int64) bool {
	have := int64(c.br.Buffered() + len(c.rd.prefix))
	if have >= n {
		return true
	}
	if s := c.rd.sock; s != nil && have+int64(s.kernelHas()) >= n {
		return true
	}
	k := socketInq(c.raw)
	return k >= 0 && have+int64(k) >= n
}
