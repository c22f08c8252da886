package socklet

import "time"

// Publish queues msg as a text message (valid UTF-8) to every connection
// subscribed to topic except except (the zero Conn excludes nobody); topic ""
// means every connection of the route. The host builds the frame once for
// all receivers. It returns how many connections it was queued to; a
// receiver whose outbound queue is full does not get it, is not counted, and
// is closed by the host with 1013 (try again later).
func Publish(topic string, msg []byte, except Conn) (int, error) {
	r := hostPublishText(topic, msg, uint64(except))
	return count(r)
}

// PublishBinary is [Publish] for a binary message.
func PublishBinary(topic string, msg []byte, except Conn) (int, error) {
	r := hostPublishBinary(topic, msg, uint64(except))
	return count(r)
}

func count(r int32) (int, error) {
	if err := check(r); err != nil {
		return 0, err
	}
	return int(r), nil
}

// Log writes msg to the plugin's log at level. Messages longer than
// [MaxLogLine] bytes are cut; a message the host refuses is dropped.
func Log(level Level, msg string) { hostLog(int32(level), msg) }

// Config returns the value of key in the route's [route.config] table, or
// [ErrNotFound].
func Config(key string) (string, error) {
	b, err := output(func(buf []byte) int32 { return hostConfig(key, buf) })
	return string(b), err
}

// SetTimer arranges for [Handler.OnTimer](id) to be called once, after delay
// (rounded up to a millisecond), on this instance. Setting an id that is
// pending re-arms it. At most [MaxTimers] may be pending ([ErrLimit]); a
// negative delay or one beyond 2^31-1 ms is [ErrInvalidArgument]. Timers
// belong to the instance: after a reload, re-arm them in
// [Handler.OnResume].
func SetTimer(delay time.Duration, id uint64) error {
	if delay < 0 {
		return ErrInvalidArgument
	}
	ms := (delay + time.Millisecond - 1) / time.Millisecond
	if ms > 1<<31-1 {
		return ErrInvalidArgument
	}
	return check(hostTimer(int32(ms), id))
}

// CancelTimer cancels the pending timer id, or returns [ErrNotFound] if it
// is not pending (it fired or was never set).
func CancelTimer(id uint64) error { return check(hostTimerCancel(id)) }

// Now returns the host's wall-clock time, with millisecond precision.
func Now() time.Time { return time.UnixMilli(hostNowMs()) }
