package sockettest

import (
	"bytes"
	"strconv"

	socklet "github.com/socklet/socklet/sdk/go"
)

// Kind is the kind of a [Message] queued to a connection.
type Kind int

// Kinds of queued messages.
const (
	Text Kind = iota
	Binary
	Ping
	Close
)

var kindNames = [...]string{Text: "text", Binary: "binary", Ping: "ping", Close: "close"}

// String returns "text", "binary", "ping" or "close".
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind " + strconv.Itoa(int(k))
}

// Message is a frame the plugin queued to a connection, directly (SendText,
// Ping, Close...) or through a publication.
type Message struct {
	Kind Kind
	// Data is the payload (the reason of a close).
	Data []byte
	// Code is the close code of a Close message.
	Code int
}

// String formats m for test failures, e.g. `text "hi"` or `close 1000 "bye"`.
func (m Message) String() string {
	if m.Kind == Close {
		return "close " + strconv.Itoa(m.Code) + " " + strconv.Quote(string(m.Data))
	}
	return m.Kind.String() + " " + strconv.Quote(string(m.Data))
}

// Equal reports whether m and o are the same frame (kind, code, payload).
func (m Message) Equal(o Message) bool {
	return m.Kind == o.Kind && m.Code == o.Code && bytes.Equal(m.Data, o.Data)
}

// TextMessage returns the text message s, for comparisons with [Host.Drain].
func TextMessage(s string) Message { return Message{Kind: Text, Data: []byte(s)} }

// BinaryMessage returns the binary message b.
func BinaryMessage(b []byte) Message { return Message{Kind: Binary, Data: b} }

// Publication is one call of socklet.Publish or socklet.PublishBinary.
type Publication struct {
	Topic  string
	Binary bool
	Data   []byte
	Except socklet.Conn
	// Receivers is the count the call returned.
	Receivers int
}

// LogEntry is one call of socklet.Log.
type LogEntry struct {
	Level   socklet.Level
	Message string
}

// ConnOptions describes the handshake of a connection opened with
// [Host.Open]. The zero value is a plain request for "/" from 127.0.0.1.
type ConnOptions struct {
	Path        string // default "/"
	Query       string // without "?"
	RemoteAddr  string // default "127.0.0.1:<40000+handle>"
	Subprotocol string
	Origin      string
	// Header holds request headers; names are matched case-insensitively.
	Header map[string]string
}
