package protocol

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// StatusCode is a WebSocket close code (RFC 6455 section 7.4).
type StatusCode int

// Close codes defined by RFC 6455 section 7.4.1 and the IANA registry.
const (
	StatusNormalClosure           StatusCode = 1000
	StatusGoingAway               StatusCode = 1001
	StatusProtocolError           StatusCode = 1002
	StatusUnsupportedData         StatusCode = 1003
	statusReserved1004            StatusCode = 1004
	StatusNoStatusRcvd            StatusCode = 1005 // never on the wire: an empty close payload
	StatusAbnormalClosure         StatusCode = 1006 // never on the wire: TCP closed without a close frame
	StatusInvalidFramePayloadData StatusCode = 1007
	StatusPolicyViolation         StatusCode = 1008
	StatusMessageTooBig           StatusCode = 1009
	StatusMandatoryExtension      StatusCode = 1010
	StatusInternalError           StatusCode = 1011
	StatusServiceRestart          StatusCode = 1012
	StatusTryAgainLater           StatusCode = 1013
	StatusBadGateway              StatusCode = 1014
	StatusTLSHandshake            StatusCode = 1015 // never on the wire
)

var statusNames = map[StatusCode]string{
	StatusNormalClosure:           "normal closure",
	StatusGoingAway:               "going away",
	StatusProtocolError:           "protocol error",
	StatusUnsupportedData:         "unsupported data",
	statusReserved1004:            "reserved",
	StatusNoStatusRcvd:            "no status received",
	StatusAbnormalClosure:         "abnormal closure",
	StatusInvalidFramePayloadData: "invalid frame payload data",
	StatusPolicyViolation:         "policy violation",
	StatusMessageTooBig:           "message too big",
	StatusMandatoryExtension:      "mandatory extension",
	StatusInternalError:           "internal error",
	StatusServiceRestart:          "service restart",
	StatusTryAgainLater:           "try again later",
	StatusBadGateway:              "bad gateway",
	StatusTLSHandshake:            "TLS handshake",
}

// String returns the code and its registered name, e.g. "1000 (normal closure)".
func (s StatusCode) String() string {
	if n, ok := statusNames[s]; ok {
		return strconv.Itoa(int(s)) + " (" + n + ")"
	}
	return strconv.Itoa(int(s))
}

// CloseError is the close code and reason of a closed connection: the peer's
// (when the peer sent a close frame) or ours (when we failed the connection
// for a protocol violation; then the error chain also holds ErrFailed).
type CloseError struct {
	Code   StatusCode
	Reason string
}

// Error implements error.
func (e *CloseError) Error() string {
	s := "protocol: close " + e.Code.String()
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// CloseStatus returns the code of the first *CloseError in err's chain, or -1
// when there is none.
func CloseStatus(err error) StatusCode {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}

// validWireCloseCode reports whether code may appear in a close frame
// (RFC 6455 7.4.1/7.4.2): 1000-1003, 1007-1014 and 3000-4999. 0-999,
// 1004-1006, 1015, 1016-2999 and 5000+ are invalid (a received one is a
// protocol error, 1002).
func validWireCloseCode(code StatusCode) bool {
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

// maxCloseReason is the longest reason that fits a control frame (125 - 2).
const maxCloseReason = 123

// parseClosePayload decodes a received close payload. An empty payload is
// StatusNoStatusRcvd. Errors carry the close code to fail with.
func parseClosePayload(p []byte) (StatusCode, string, *CloseError) {
	switch len(p) {
	case 0:
		return StatusNoStatusRcvd, "", nil
	case 1:
		return 0, "", &CloseError{Code: StatusProtocolError, Reason: "close payload of 1 byte"}
	}
	code := StatusCode(binary.BigEndian.Uint16(p))
	if !validWireCloseCode(code) {
		return 0, "", &CloseError{Code: StatusProtocolError, Reason: "invalid close code " + strconv.Itoa(int(code))}
	}
	if !validUTF8(p[2:]) {
		return 0, "", &CloseError{Code: StatusInvalidFramePayloadData, Reason: "close reason is not UTF-8"}
	}
	return code, string(p[2:]), nil
}

// appendClosePayload appends the payload of a close frame: nothing for
// StatusNoStatusRcvd, otherwise the code and reason.
func appendClosePayload(dst []byte, code StatusCode, reason string) []byte {
	if code == StatusNoStatusRcvd {
		return dst
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	return append(dst, reason...)
}

// checkSendClose validates a close code and reason given to Conn.Close.
func checkSendClose(code StatusCode, reason string) error {
	if code == StatusNoStatusRcvd {
		if reason != "" {
			return errors.New("protocol: a close without status cannot carry a reason")
		}
		return nil
	}
	if !validWireCloseCode(code) {
		return errors.New("protocol: close code " + strconv.Itoa(int(code)) + " may not be sent")
	}
	if len(reason) > maxCloseReason {
		return errors.New("protocol: close reason longer than 123 bytes")
	}
	if !validUTF8([]byte(reason)) {
		return errors.New("protocol: close reason is not UTF-8")
	}
	return nil
}
