package socklet

// outBuf receives the results of host functions with an output (buf, cap):
// reused by every call, grown to the largest result seen.
var outBuf = make([]byte, 256)

// output calls fn with outBuf until the result fits: a host function whose
// result does not fit returns the length it needs and writes nothing. The
// returned bytes alias outBuf and are valid until the next host call.
func output(fn func(buf []byte) int32) ([]byte, error) {
	for range 3 {
		n := fn(outBuf)
		if err := check(n); err != nil {
			return nil, err
		}
		if int(n) <= len(outBuf) {
			return outBuf[:n], nil
		}
		outBuf = make([]byte, n)
	}
	// The result grew between two calls of one event: a host bug.
	return nil, ErrTooLarge
}
