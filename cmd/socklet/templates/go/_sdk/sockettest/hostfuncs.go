package sockettest

import (
	"time"
	"unicode/utf8"

	socklet "github.com/socklet/socklet/sdk/go"
)

// This file implements hostabi.Host: the host functions of ABI v1 with the
// real host's statuses. They are methods of hostFuncs, a view of Host, so
// that Host's own methods are the test-facing API only.

type hostFuncs Host

func status(err socklet.Error) int32 { return int32(err) }

// target returns c's state if the plugin may use the handle: an open
// connection (including one still in OnOpen).
func (h *hostFuncs) target(conn uint64) (*connState, int32) {
	s := h.conns[conn]
	if s == nil || !s.open {
		return nil, status(socklet.ErrBadHandle)
	}
	return s, 0
}

func (h *hostFuncs) queue(conn uint64, m Message, text bool) int32 {
	s, st := h.target(conn)
	switch {
	case s == nil:
		return st
	case text && !utf8.Valid(m.Data):
		return status(socklet.ErrInvalidUTF8)
	case s.closing || s.ending:
		return status(socklet.ErrClosed)
	case s.queueFull:
		return status(socklet.ErrQueueFull)
	}
	m.Data = append([]byte{}, m.Data...)
	s.outbox = append(s.outbox, m)
	return 0
}

// SendText implements hostabi.Host.
func (h *hostFuncs) SendText(conn uint64, msg []byte) int32 {
	return h.queue(conn, Message{Kind: Text, Data: msg}, true)
}

// SendBinary implements hostabi.Host.
func (h *hostFuncs) SendBinary(conn uint64, msg []byte) int32 {
	return h.queue(conn, Message{Kind: Binary, Data: msg}, false)
}

// Ping implements hostabi.Host.
func (h *hostFuncs) Ping(conn uint64, payload []byte) int32 {
	if _, st := h.target(conn); st < 0 {
		return st
	}
	if len(payload) > socklet.MaxControlPayload {
		return status(socklet.ErrTooLarge)
	}
	return h.queue(conn, Message{Kind: Ping, Data: payload}, false)
}

// Close implements hostabi.Host.
func (h *hostFuncs) Close(conn uint64, code int32, reason []byte) int32 {
	s, st := h.target(conn)
	switch {
	case s == nil:
		return st
	case !sendableCloseCode(code):
		return status(socklet.ErrInvalidArgument)
	case len(reason) > socklet.MaxCloseReason:
		return status(socklet.ErrTooLarge)
	case !utf8.Valid(reason):
		return status(socklet.ErrInvalidUTF8)
	case s.closing || s.ending:
		return status(socklet.ErrClosed)
	}
	s.startClose(int(code), string(reason))
	return 0
}

// startClose queues the close frame of a closing handshake the plugin or the
// host started.
func (s *connState) startClose(code int, reason string) {
	s.outbox = append(s.outbox, Message{Kind: Close, Code: code, Data: []byte(reason)})
	s.closing, s.closeCode, s.closeWhy = true, code, reason
}

// Host's close of a receiver whose queue is full (plugins/topics.go).
const (
	closeTryAgainLater = 1013
	reasonQueueFull    = "outbound queue full"
)

func sendableCloseCode(code int32) bool {
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)
}

func topicStatus(topic []byte, allowEmpty bool) int32 {
	switch {
	case len(topic) > socklet.MaxTopic:
		return status(socklet.ErrTooLarge)
	case len(topic) == 0 && !allowEmpty:
		return status(socklet.ErrInvalidArgument)
	}
	return 0
}

// Subscribe implements hostabi.Host.
func (h *hostFuncs) Subscribe(conn uint64, topic []byte) int32 {
	s, st := h.target(conn)
	if s == nil {
		return st
	}
	if st := topicStatus(topic, false); st < 0 {
		return st
	}
	t := string(topic)
	if s.topics[t] {
		return 1
	}
	if len(s.topics) >= socklet.MaxSubscriptions {
		return status(socklet.ErrLimit)
	}
	s.topics[t] = true
	if h.topics[t] == nil {
		h.topics[t] = map[uint64]bool{}
	}
	h.topics[t][conn] = true
	return 0
}

// Unsubscribe implements hostabi.Host.
func (h *hostFuncs) Unsubscribe(conn uint64, topic []byte) int32 {
	s, st := h.target(conn)
	if s == nil {
		return st
	}
	if st := topicStatus(topic, false); st < 0 {
		return st
	}
	t := string(topic)
	if !s.topics[t] {
		return 1
	}
	delete(s.topics, t)
	delete(h.topics[t], conn)
	if len(h.topics[t]) == 0 {
		delete(h.topics, t)
	}
	return 0
}

func (h *hostFuncs) publish(topic, msg []byte, except uint64, binary bool) int32 {
	if st := topicStatus(topic, true); st < 0 {
		return st
	}
	if !binary && !utf8.Valid(msg) {
		return status(socklet.ErrInvalidUTF8)
	}
	kind := Text
	if binary {
		kind = Binary
	}
	var receivers []uint64
	if len(topic) == 0 {
		receivers = (*Host)(h).openIDs()
	} else {
		for _, c := range (*Host)(h).Subscribers(string(topic)) {
			receivers = append(receivers, uint64(c))
		}
	}
	n := 0
	for _, id := range receivers {
		s := h.conns[id]
		if id == except || !s.open || s.ending || s.closing {
			continue
		}
		if s.queueFull {
			s.startClose(closeTryAgainLater, reasonQueueFull)
			continue
		}
		s.outbox = append(s.outbox, Message{Kind: kind, Data: append([]byte{}, msg...)})
		n++
	}
	h.pubs = append(h.pubs, Publication{
		Topic: string(topic), Binary: binary, Data: append([]byte{}, msg...),
		Except: socklet.Conn(except), Receivers: n,
	})
	return int32(n)
}

// PublishText implements hostabi.Host.
func (h *hostFuncs) PublishText(topic, msg []byte, except uint64) int32 {
	return h.publish(topic, msg, except, false)
}

// PublishBinary implements hostabi.Host.
func (h *hostFuncs) PublishBinary(topic, msg []byte, except uint64) int32 {
	return h.publish(topic, msg, except, true)
}

// output copies v into buf if it fits; it returns v's length either way.
func output(buf []byte, v []byte) int32 {
	if len(v) <= len(buf) {
		copy(buf, v)
	}
	return int32(len(v))
}

// ConnInfo implements hostabi.Host.
func (h *hostFuncs) ConnInfo(conn uint64, key int32, buf []byte) int32 {
	s, st := h.target(conn)
	if s == nil {
		return st
	}
	var v string
	switch socklet.InfoKey(key) {
	case socklet.InfoPath:
		v = s.opts.Path
	case socklet.InfoQuery:
		v = s.opts.Query
	case socklet.InfoRemoteAddr:
		v = s.opts.RemoteAddr
	case socklet.InfoSubprotocol:
		v = s.opts.Subprotocol
	case socklet.InfoOrigin:
		v = s.opts.Origin
	default:
		return status(socklet.ErrInvalidArgument)
	}
	return output(buf, []byte(v))
}

// ConnHeader implements hostabi.Host.
func (h *hostFuncs) ConnHeader(conn uint64, name, buf []byte) int32 {
	s, st := h.target(conn)
	if s == nil {
		return st
	}
	if len(name) == 0 {
		return status(socklet.ErrInvalidArgument)
	}
	v, ok := headerValue(s.opts.Header, string(name))
	if !ok && s.opts.Origin != "" && string(name) == "Origin" {
		v, ok = s.opts.Origin, true
	}
	if !ok {
		return status(socklet.ErrNotFound)
	}
	return output(buf, []byte(v))
}

// Attach implements hostabi.Host.
func (h *hostFuncs) Attach(conn uint64, data []byte) int32 {
	s, st := h.target(conn)
	if s == nil {
		return st
	}
	if len(data) > socklet.MaxAttachment {
		return status(socklet.ErrTooLarge)
	}
	s.attachment = nil
	if len(data) > 0 {
		s.attachment = append([]byte{}, data...)
	}
	return 0
}

// Attachment implements hostabi.Host.
func (h *hostFuncs) Attachment(conn uint64, buf []byte) int32 {
	s, st := h.target(conn)
	if s == nil {
		return st
	}
	return output(buf, s.attachment)
}

// Config implements hostabi.Host.
func (h *hostFuncs) Config(key, buf []byte) int32 {
	v, ok := h.config[string(key)]
	if !ok {
		return status(socklet.ErrNotFound)
	}
	return output(buf, []byte(v))
}

// Log implements hostabi.Host.
func (h *hostFuncs) Log(level int32, msg []byte) int32 {
	if level < int32(socklet.LevelDebug) || level > int32(socklet.LevelError) {
		return status(socklet.ErrInvalidArgument)
	}
	if len(msg) > socklet.MaxLogLine {
		msg = msg[:socklet.MaxLogLine]
	}
	h.logs = append(h.logs, LogEntry{Level: socklet.Level(level), Message: string(msg)})
	return 0
}

// Timer implements hostabi.Host.
func (h *hostFuncs) Timer(delayMs int32, id uint64) int32 {
	if delayMs < 0 {
		return status(socklet.ErrInvalidArgument)
	}
	if _, ok := h.timers[id]; !ok && len(h.timers) >= socklet.MaxTimers {
		return status(socklet.ErrLimit)
	}
	h.seq++
	h.timers[id] = timer{at: h.now.Add(time.Duration(delayMs) * time.Millisecond), seq: h.seq}
	return 0
}

// TimerCancel implements hostabi.Host.
func (h *hostFuncs) TimerCancel(id uint64) int32 {
	if _, ok := h.timers[id]; !ok {
		return status(socklet.ErrNotFound)
	}
	delete(h.timers, id)
	return 0
}

// NowMs implements hostabi.Host.
func (h *hostFuncs) NowMs() int64 { return h.now.UnixMilli() }
