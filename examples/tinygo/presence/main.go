// Command presence is a socklet plugin that tracks who is online.
//
// A client connects with ?name=NAME (else it is "anon-<handle>"); a name
// already online is refused with HTTP 409. Everyone else hears
// "+ NAME joined" and, when it leaves, "- NAME left". The text "/who" is
// answered with "online: NAME, NAME, ..." (sorted); any other text goes to
// everyone else as "NAME: text".
//
// A periodic timer (route config "tick_ms", default 10000) pings every
// connection that has been silent for half of "idle_ms" (default 60000) and
// closes with 4000 "idle" those silent for longer. Any message or pong
// counts as activity.
//
// The names live in the host as attachments and the room as a host topic;
// the Go map of members is rebuilt from them in OnResume after a reload.
package main

import (
	"slices"
	"strconv"
	"strings"
	"time"

	socklet "github.com/socklet/socklet/sdk/go"
)

const (
	room      = "presence"
	tickTimer = 1 // the id of the sweep timer

	defaultTick = 10 * time.Second
	defaultIdle = 60 * time.Second
)

type member struct {
	name     string
	lastSeen time.Time
}

type presence struct {
	socklet.Default
	members map[socklet.Conn]*member
	ticking bool
}

func newPresence() *presence { return &presence{members: map[socklet.Conn]*member{}} }

// configDuration reads a route config value in milliseconds.
func configDuration(key string, def time.Duration) time.Duration {
	v, err := socklet.Config(key)
	if err != nil {
		return def
	}
	ms, err := strconv.Atoi(v)
	if err != nil || ms <= 0 {
		socklet.Log(socklet.LevelWarn, "presence: bad "+key+" "+strconv.Quote(v))
		return def
	}
	return time.Duration(ms) * time.Millisecond
}

// queryName returns the value of name= in a raw query string.
func queryName(query string) string {
	for _, kv := range strings.Split(query, "&") {
		if v, ok := strings.CutPrefix(kv, "name="); ok {
			return v
		}
	}
	return ""
}

func (p *presence) online(name string) bool {
	for _, m := range p.members {
		if m.name == name {
			return true
		}
	}
	return false
}

func (p *presence) OnOpen(c socklet.Conn) error {
	query, err := c.Info(socklet.InfoQuery)
	if err != nil {
		return err
	}
	name := queryName(query)
	if name == "" {
		name = "anon-" + strconv.FormatUint(uint64(c), 10)
	}
	if p.online(name) {
		return socklet.Reject(409)
	}
	if _, err := c.Subscribe(room); err != nil {
		return err
	}
	if err := c.Attach([]byte(name)); err != nil {
		return err
	}
	p.members[c] = &member{name: name, lastSeen: socklet.Now()}
	p.announce("+ "+name+" joined", c)
	p.tick()
	return nil
}

func (p *presence) OnText(c socklet.Conn, msg []byte) {
	m := p.members[c]
	if m == nil {
		return
	}
	m.lastSeen = socklet.Now()
	if string(msg) == "/who" {
		names := make([]string, 0, len(p.members))
		for _, o := range p.members {
			names = append(names, o.name)
		}
		slices.Sort(names)
		_ = c.SendText([]byte("online: " + strings.Join(names, ", ")))
		return
	}
	p.announce(m.name+": "+string(msg), c)
}

func (p *presence) OnBinary(c socklet.Conn, _ []byte) { p.seen(c) }
func (p *presence) OnPong(c socklet.Conn, _ []byte)   { p.seen(c) }

func (p *presence) seen(c socklet.Conn) {
	if m := p.members[c]; m != nil {
		m.lastSeen = socklet.Now()
	}
}

func (p *presence) OnClose(c socklet.Conn, code int, reason string) {
	m := p.members[c]
	if m == nil {
		return
	}
	delete(p.members, c)
	p.announce("- "+m.name+" left", c)
}

// OnResume rebuilds a member from the host's attachment after a reload: the
// new instance starts with an empty map and no timer.
func (p *presence) OnResume(c socklet.Conn) {
	name, err := c.Attachment()
	if err != nil || len(name) == 0 {
		_ = c.Close(1011, "presence: lost the name")
		return
	}
	p.members[c] = &member{name: string(name), lastSeen: socklet.Now()}
	p.ticking = false // timers belonged to the old instance
	p.tick()
}

func (p *presence) OnTimer(id uint64) {
	if id != tickTimer {
		return
	}
	p.ticking = false
	idle := configDuration("idle_ms", defaultIdle)
	now := socklet.Now()
	for c, m := range p.members {
		switch silent := now.Sub(m.lastSeen); {
		case silent >= idle:
			_ = c.Close(4000, "idle")
		case silent >= idle/2:
			_ = c.Ping([]byte("presence"))
		}
	}
	p.tick()
}

// tick arms the sweep timer while anyone is online.
func (p *presence) tick() {
	if p.ticking || len(p.members) == 0 {
		return
	}
	if err := socklet.SetTimer(configDuration("tick_ms", defaultTick), tickTimer); err != nil {
		socklet.Log(socklet.LevelError, "presence: timer: "+err.Error())
		return
	}
	p.ticking = true
}

func (p *presence) announce(text string, except socklet.Conn) {
	if _, err := socklet.Publish(room, []byte(text), except); err != nil {
		socklet.Log(socklet.LevelWarn, "presence: publish: "+err.Error())
	}
}

func init() { socklet.Serve(newPresence()) }

// main never runs: the host calls _initialize, which runs init.
func main() {}
