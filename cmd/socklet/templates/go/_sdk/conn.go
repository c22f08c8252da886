package socklet

// Conn is the handle of one WebSocket connection of this plugin. Handles are
// never 0 and never reused during the host's life; the zero Conn means "no
// connection" (as the except argument of [Publish]). A Conn stays valid until
// [Handler.OnClose] returns for it; after that every method returns
// [ErrBadHandle]. Conn is comparable and may be used as a map key.
type Conn uint64

// SendText queues msg as a text message to c. msg must be valid UTF-8
// ([ErrInvalidUTF8] otherwise) and is copied before SendText returns. It
// returns [ErrQueueFull] when c's outbound queue is full (the message is
// dropped) and [ErrClosed] once c is closing.
func (c Conn) SendText(msg []byte) error { return check(hostSendText(uint64(c), msg)) }

// SendBinary queues msg as a binary message to c, as [Conn.SendText] does.
func (c Conn) SendBinary(msg []byte) error { return check(hostSendBinary(uint64(c), msg)) }

// Ping queues a ping with payload (at most [MaxControlPayload] bytes) to c;
// the client's pong arrives in [Handler.OnPong].
func (c Conn) Ping(payload []byte) error { return check(hostPing(uint64(c), payload)) }

// Close starts the closing handshake with code (1000-1003, 1007-1014 or
// 3000-4999, else [ErrInvalidArgument]) and reason (at most
// [MaxCloseReason] bytes of UTF-8). [Handler.OnClose] follows when the
// handshake ends.
func (c Conn) Close(code int, reason string) error {
	if code < 0 || code > 0xffff {
		return ErrInvalidArgument
	}
	return check(hostClose(uint64(c), int32(code), reason))
}

// Subscribe adds c to topic (1 to [MaxTopic] bytes), so it receives what
// [Publish] sends there. added is false if c was subscribed already.
// Subscriptions live in the host: they survive reloads and end with the
// connection.
func (c Conn) Subscribe(topic string) (added bool, err error) {
	r := hostSubscribe(uint64(c), topic)
	return r == 0, check(r)
}

// Unsubscribe removes c from topic. removed is false if c was not
// subscribed.
func (c Conn) Unsubscribe(topic string) (removed bool, err error) {
	r := hostUnsubscribe(uint64(c), topic)
	return r == 0, check(r)
}

// Attach stores data (at most [MaxAttachment] bytes, copied) with c in the
// host, replacing what was attached before. Attachments survive hot reloads
// and crash recovery: they are the place for per-connection state that must
// outlive an instance (a user name, a session id).
func (c Conn) Attach(data []byte) error { return check(hostAttach(uint64(c), data)) }

// Attachment returns a copy of the bytes attached to c, or an empty slice if
// none are; the caller owns it.
func (c Conn) Attachment() ([]byte, error) {
	b, err := output(func(buf []byte) int32 { return hostAttachment(uint64(c), buf) })
	if err != nil {
		return nil, err
	}
	return append([]byte{}, b...), nil
}

// Info returns a fact about c's handshake: [InfoPath], [InfoQuery],
// [InfoRemoteAddr], [InfoSubprotocol] or [InfoOrigin]. Absent facts (no
// query, no subprotocol) are "".
func (c Conn) Info(key InfoKey) (string, error) {
	b, err := output(func(buf []byte) int32 { return hostConnInfo(uint64(c), int32(key), buf) })
	return string(b), err
}

// Header returns the value of request header name (case-insensitive) of c's
// handshake, several values joined by ", ". It returns [ErrNotFound] if the
// header is absent.
func (c Conn) Header(name string) (string, error) {
	b, err := output(func(buf []byte) int32 { return hostConnHeader(uint64(c), name, buf) })
	return string(b), err
}
