package plugins

import (
	"bytes"
	"context"
	"log/slog"

	"github.com/socklet/socklet/abi"
)

// lineWriter turns a guest's stdout or stderr into log records, one per
// line, each cut at abi.MaxLogLine bytes. It is used by one instance, under
// its slot's mutex.
type lineWriter struct {
	log    *slog.Logger
	stream string
	level  slog.Level
	buf    []byte
	cut    bool
}

func newLineWriter(log *slog.Logger, stream string) *lineWriter {
	level := slog.LevelInfo
	if stream == "stderr" {
		level = slog.LevelWarn
	}
	return &lineWriter{log: log, stream: stream, level: level}
}

// Write implements io.Writer; it never fails.
func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if room := abi.MaxLogLine - len(w.buf); len(chunk) > room {
			chunk = chunk[:room]
			w.cut = true
		}
		w.buf = append(w.buf, chunk...)
		if i < 0 {
			break
		}
		w.emit()
		p = p[i+1:]
	}
	return n, nil
}

func (w *lineWriter) emit() {
	attrs := []slog.Attr{slog.String("stream", w.stream)}
	if w.cut {
		attrs = append(attrs, slog.Bool("truncated", true))
	}
	w.log.LogAttrs(context.Background(), w.level, string(w.buf), attrs...)
	w.buf, w.cut = w.buf[:0], false
}

// flush logs a last line without its newline.
func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.emit()
	}
}
