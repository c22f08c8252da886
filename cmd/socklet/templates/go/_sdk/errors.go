package socklet

import "strconv"

// Error is a status returned by a host function (ABI v1 statuses). The
// values below are the only ones ABI v1 defines; compare with == or
// errors.Is.
type Error int32

// Errors returned by host functions. Their values are the ABI statuses
// (abi/status.go); abi/sdk_go_test.go checks that they match.
const (
	// ErrBadHandle: the connection is unknown, already reported closed by
	// OnClose, or belongs to another route.
	ErrBadHandle Error = -1
	// ErrClosed: the connection is closing; nothing more can be sent on it.
	ErrClosed Error = -2
	// ErrQueueFull: the connection's outbound queue is full and the message
	// was not queued. Drop it, retry on a later event, or close.
	ErrQueueFull Error = -3
	// ErrInvalidArgument: an argument is out of its domain (a close code one
	// may not send, an unknown info key, an empty topic, a negative delay).
	ErrInvalidArgument Error = -4
	// ErrTooLarge: a payload, reason, topic, attachment or key exceeds its
	// limit (see the Max constants).
	ErrTooLarge Error = -5
	// ErrInvalidUTF8: text that must be UTF-8 is not.
	ErrInvalidUTF8 Error = -6
	// ErrBadPointer: the host found a buffer outside the plugin's memory (an
	// SDK bug; report it).
	ErrBadPointer Error = -7
	// ErrNotFound: the header, config key or timer does not exist.
	ErrNotFound Error = -8
	// ErrLimit: a quota is used up (pending timers, subscriptions).
	ErrLimit Error = -9
)

// Error returns a description prefixed with "socklet: ".
func (e Error) Error() string {
	switch e {
	case ErrBadHandle:
		return "socklet: bad connection handle"
	case ErrClosed:
		return "socklet: connection closed"
	case ErrQueueFull:
		return "socklet: outbound queue full"
	case ErrInvalidArgument:
		return "socklet: invalid argument"
	case ErrTooLarge:
		return "socklet: too large"
	case ErrInvalidUTF8:
		return "socklet: invalid UTF-8"
	case ErrBadPointer:
		return "socklet: bad pointer"
	case ErrNotFound:
		return "socklet: not found"
	case ErrLimit:
		return "socklet: limit reached"
	}
	return "socklet: status " + strconv.Itoa(int(e))
}

// check maps the result of a host function to an error: nil for a status
// >= 0, an [Error] otherwise. It is the only place statuses become errors.
func check(status int32) error {
	if status >= 0 {
		return nil
	}
	return Error(status)
}

// RejectError is returned by [Handler.OnOpen] to refuse a connection with an
// HTTP status; build it with [Reject].
type RejectError struct {
	// Status is the HTTP status of the refusal, 400-599.
	Status int
}

// Reject returns an error that makes [Handler.OnOpen] refuse the connection
// with HTTP status code (400-599; any other code refuses with 500).
func Reject(code int) error { return &RejectError{Status: code} }

// Error returns "socklet: connection rejected with HTTP status N".
func (e *RejectError) Error() string {
	return "socklet: connection rejected with HTTP status " + strconv.Itoa(e.Status)
}
