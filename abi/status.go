package abi

import "strconv"

// Status is the result of a host function: >= 0 is success (or a length or a
// count), < 0 one of the codes below. The codes are part of ABI v1 and never
// change meaning; new ones may be added with new negative values.
type Status int32

// Status codes returned by host functions.
const (
	// StatusOK is success with nothing to report.
	StatusOK Status = 0
	// StatusBadHandle: the connection handle is unknown, already closed and
	// reported by socklet_on_close, or owned by another plugin.
	StatusBadHandle Status = -1
	// StatusClosed: the connection is closing; nothing more can be sent on it.
	StatusClosed Status = -2
	// StatusQueueFull: the connection's outbound queue is full; the message
	// was not queued. The guest may drop it, retry later, or close.
	StatusQueueFull Status = -3
	// StatusInvalidArgument: an argument is out of its domain (a close code
	// one may not send, an unknown info key or log level, an empty topic
	// where one is needed, a negative delay).
	StatusInvalidArgument Status = -4
	// StatusTooLarge: a payload, reason, topic, attachment or key exceeds its
	// limit (see the Max constants).
	StatusTooLarge Status = -5
	// StatusInvalidUTF8: text that must be UTF-8 is not.
	StatusInvalidUTF8 Status = -6
	// StatusBadPointer: a (ptr, len) or (buf, cap) range is outside the
	// guest's linear memory.
	StatusBadPointer Status = -7
	// StatusNotFound: the header, config key or timer does not exist.
	StatusNotFound Status = -8
	// StatusLimit: a per-instance or per-connection quota is used up (timers,
	// subscriptions).
	StatusLimit Status = -9
)

var statusNames = map[Status]string{
	StatusOK:              "ok",
	StatusBadHandle:       "bad handle",
	StatusClosed:          "closed",
	StatusQueueFull:       "queue full",
	StatusInvalidArgument: "invalid argument",
	StatusTooLarge:        "too large",
	StatusInvalidUTF8:     "invalid UTF-8",
	StatusBadPointer:      "bad pointer",
	StatusNotFound:        "not found",
	StatusLimit:           "limit reached",
}

// String returns a short lower-case description of s; a non-negative status
// prints as its number.
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	if s >= 0 {
		return strconv.Itoa(int(s))
	}
	return "status " + strconv.Itoa(int(s))
}

// Statuses lists every status code in order (0, -1, -2, ...).
func Statuses() []Status {
	out := make([]Status, 0, len(statusNames))
	for s := StatusOK; ; s-- {
		if _, ok := statusNames[s]; !ok {
			return out
		}
		out = append(out, s)
	}
}

// Info is a key of conn_info.
type Info int32

// conn_info keys.
const (
	InfoPath        Info = 0 // the request path, e.g. "/chat"
	InfoQuery       Info = 1 // the raw query string without "?", "" if none
	InfoRemoteAddr  Info = 2 // the peer's "IP:PORT" ("[IPv6]:PORT")
	InfoSubprotocol Info = 3 // the negotiated subprotocol, "" if none
	InfoOrigin      Info = 4 // the Origin header, "" if none
)

// LogLevel is the level argument of log.
type LogLevel int32

// Log levels.
const (
	LogDebug LogLevel = 0
	LogInfo  LogLevel = 1
	LogWarn  LogLevel = 2
	LogError LogLevel = 3
)

// Open results: socklet_on_open returns OpenAccept, or an HTTP status in
// [OpenRejectMin, OpenRejectMax] to refuse the connection with it. Any other
// value refuses with 500 and is logged as a plugin error.
const (
	OpenAccept    = 0
	OpenRejectMin = 400
	OpenRejectMax = 599
)

// Limits every host enforces. A host may be configured with smaller message
// limits per route, never larger control limits.
const (
	// MaxControlPayload is the largest ping payload (RFC 6455 5.5).
	MaxControlPayload = 125
	// MaxCloseReason is the longest close reason in bytes (125 - 2 for the code).
	MaxCloseReason = 123
	// MaxTopic is the longest topic name in bytes.
	MaxTopic = 256
	// MaxAttachment is the largest attachment per connection in bytes.
	MaxAttachment = 64 << 10
	// MaxTimers is the most timers one instance may have pending.
	MaxTimers = 4096
	// MaxSubscriptions is the most topics one connection may be subscribed to.
	MaxSubscriptions = 1024
	// MaxLogLine is the longest log message in bytes; longer ones are cut.
	MaxLogLine = 8 << 10
)

// Close codes a plugin may send with close: 1000-1003, 1007-1014 and
// 3000-4999. 1004-1006 and 1015 are reserved and 0-999, 1016-2999 are not
// sendable (RFC 6455 7.4).
func SendableCloseCode(code int32) bool {
	switch {
	case code >= 1000 && code <= 1003:
		return true
	case code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}
