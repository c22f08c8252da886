package plugins

import (
	"errors"
	"slices"

	"github.com/socklet/socklet/abi"
)

// subscribe adds c to topic: StatusOK if added, 1 if already there,
// StatusLimit past abi.MaxSubscriptions. Subscriptions live in the route's
// connection table: they survive instance rebuilds and Swap.
func (r *Route) subscribe(c *conn, topic string) abi.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conns[c.h] != c {
		return abi.StatusBadHandle
	}
	if slices.Contains(c.topics, topic) {
		return 1
	}
	if len(c.topics) >= abi.MaxSubscriptions {
		return abi.StatusLimit
	}
	subs := r.topics[topic]
	if subs == nil {
		subs = map[uint64]*conn{}
		r.topics[topic] = subs
		r.topicNames[topic] = topic
	}
	c.topics = append(c.topics, r.topicNames[topic])
	subs[c.h] = c
	return abi.StatusOK
}

// unsubscribe removes c from topic: StatusOK if removed, 1 if it was not
// there.
func (r *Route) unsubscribe(c *conn, topic []byte) abi.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := slices.Index(c.topics, string(topic))
	if i < 0 {
		return 1
	}
	t := c.topics[i]
	c.topics = slices.Delete(c.topics, i, i+1)
	r.dropSubscriberLocked(c, t)
	return abi.StatusOK
}

// dropSubscriberLocked removes c from the subscribers of topic (not from
// c.topics). r.mu is held.
func (r *Route) dropSubscriberLocked(c *conn, topic string) {
	if subs := r.topics[topic]; subs != nil {
		delete(subs, c.h)
		if len(subs) == 0 {
			delete(r.topics, topic)
			delete(r.topicNames, topic)
		}
	}
}

// publish queues p to every subscriber of topic ("" means every connection
// of the route) except the connection except, and returns how many took it.
// The frame is built once (Framer.Prepare) and written to every receiver; a
// receiver whose queue is full is closed with 1013 and not counted, nor is
// one that is closing. topic and p are guest memory, read only here.
func (r *Route) publish(topic []byte, text bool, p []byte, except uint64) (int, abi.Status) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	receivers := r.conns
	if len(topic) > 0 {
		receivers = r.topics[string(topic)]
	}
	var frame Frame
	prepared := false
	n := 0
	for h, c := range receivers {
		if h == except || !writable(c) {
			continue
		}
		if !prepared {
			f, err := r.cfg.Framer.Prepare(text, append([]byte(nil), p...))
			if errors.Is(err, ErrTooLarge) {
				return 0, abi.StatusTooLarge
			} else if err != nil {
				r.log.Error("plugin: publish: framing failed", "err", err)
				return 0, abi.StatusInvalidArgument
			}
			frame, prepared = f, true
		}
		switch err := c.c.WriteFrame(frame); {
		case err == nil:
			n++
		case statusOf(err) == abi.StatusQueueFull:
			_ = c.c.Close(closeTryAgainLater, reasonQueueFull)
		}
	}
	return n, abi.StatusOK
}
