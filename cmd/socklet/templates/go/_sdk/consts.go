package socklet

// InfoKey names a fact about a connection, read with [Conn.Info].
type InfoKey int32

// Info keys (ABI conn_info keys).
const (
	InfoPath        InfoKey = 0 // the request path, e.g. "/chat"
	InfoQuery       InfoKey = 1 // the raw query string without "?", "" if none
	InfoRemoteAddr  InfoKey = 2 // the peer's "IP:PORT" ("[IPv6]:PORT")
	InfoSubprotocol InfoKey = 3 // the negotiated subprotocol, "" if none
	InfoOrigin      InfoKey = 4 // the Origin header, "" if none
)

// Level is the severity of a [Log] message.
type Level int32

// Log levels (ABI log levels).
const (
	LevelDebug Level = 0
	LevelInfo  Level = 1
	LevelWarn  Level = 2
	LevelError Level = 3
)

// Limits every socklet host enforces (ABI v1). A host may be configured with
// smaller message limits, never larger ones.
const (
	// MaxControlPayload is the largest [Conn.Ping] payload in bytes.
	MaxControlPayload = 125
	// MaxCloseReason is the longest [Conn.Close] reason in bytes.
	MaxCloseReason = 123
	// MaxTopic is the longest topic name in bytes.
	MaxTopic = 256
	// MaxAttachment is the largest [Conn.Attach] value in bytes.
	MaxAttachment = 64 << 10
	// MaxTimers is the most timers one instance may have pending.
	MaxTimers = 4096
	// MaxSubscriptions is the most topics one connection may be subscribed to.
	MaxSubscriptions = 1024
	// MaxLogLine is the longest [Log] message in bytes; longer ones are cut.
	MaxLogLine = 8 << 10
)
