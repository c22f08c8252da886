// Command chat is a socklet plugin for one chat room.
//
// Every connection joins topic "chat" with the nick "anon-<handle>".
// "/nick NAME" renames it (the reply "nick NAME" goes to the sender only);
// any other text goes to everyone else in the room as "<nick>: text".
// Binary messages are ignored.
//
// The plugin keeps no Go state: the nick is the connection's attachment and
// the room a host topic, so both survive a hot reload.
package main

import (
	"strconv"
	"strings"

	socklet "github.com/socklet/socklet/sdk/go"
)

const (
	room        = "chat"
	nickCommand = "/nick "
)

type chat struct{ socklet.Default }

func defaultNick(c socklet.Conn) string { return "anon-" + strconv.FormatUint(uint64(c), 10) }

// nick returns c's nick: its attachment, or the default one.
func nick(c socklet.Conn) string {
	if b, err := c.Attachment(); err == nil && len(b) > 0 {
		return string(b)
	}
	return defaultNick(c)
}

func (chat) OnOpen(c socklet.Conn) error {
	if _, err := c.Subscribe(room); err != nil {
		return err
	}
	return c.Attach([]byte(defaultNick(c)))
}

func (chat) OnText(c socklet.Conn, msg []byte) {
	text := string(msg)
	if name, ok := strings.CutPrefix(text, nickCommand); ok {
		if err := c.Attach([]byte(name)); err != nil {
			socklet.Log(socklet.LevelWarn, "chat: /nick: "+err.Error())
			return
		}
		_ = c.SendText([]byte("nick " + name))
		return
	}
	if _, err := socklet.Publish(room, []byte(nick(c)+": "+text), c); err != nil {
		socklet.Log(socklet.LevelWarn, "chat: publish: "+err.Error())
	}
}

func (chat) OnClose(c socklet.Conn, code int, reason string) {
	// The host drops a closed connection's subscriptions anyway.
	_, _ = c.Unsubscribe(room)
}

func init() { socklet.Serve(chat{}) }

// main never runs: the host calls _initialize, which runs init.
func main() {}
