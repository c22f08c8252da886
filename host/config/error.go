package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	File string // the configuration's name; "" for a Config built in Go
	Line int    // 1-based line of the key (or of its table); 0 when unknown
	Key  string // full key path, like "route[1].max_message_size"; "" for the whole file
	Msg  string // what is wrong; it names the key, so it reads alone
}

// String renders the problem as "file:line: msg", leaving out the parts
// that are unknown.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		b.WriteString(":")
	}
	if p.Line > 0 {
		fmt.Fprintf(&b, "%d:", p.Line)
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error is every problem found in a configuration. Parse, Load and Validate
// return it (as error) whenever the configuration is not valid; get it back
// with errors.As.
type Error struct {
	Problems []Problem // sorted by line; problems of one line keep the order they were found in
}

// Error prints one problem per line, sorted by line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems while a configuration is decoded and validated.
type problems struct {
	file   string
	pos    position
	list   []Problem
	failed map[string]bool // keys whose value could not be decoded
}

// fail records a problem of a key whose value could not be decoded: the
// key keeps its default, and validation says nothing more about it.
func (ps *problems) fail(key, format string, args ...any) {
	if ps.failed == nil {
		ps.failed = map[string]bool{}
	}
	ps.failed[key] = true
	ps.list = append(ps.list, Problem{File: ps.file, Line: ps.pos.line(key), Key: key, Msg: fmt.Sprintf(format, args...)})
}

// add records a problem of key, unless the key or one of its parents
// failed to decode; msg is formatted with args and should name the key.
func (ps *problems) add(key, format string, args ...any) {
	for k := key; k != "" && ps.failed != nil; k = parentKey(k) {
		if ps.failed[k] {
			return
		}
	}
	ps.list = append(ps.list, Problem{File: ps.file, Line: ps.pos.line(key), Key: key, Msg: fmt.Sprintf(format, args...)})
}

// addAt records a problem of key at a known line.
func (ps *problems) addAt(line int, key, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: ps.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// err returns nil or an *Error holding the problems sorted by line.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	list := append([]Problem(nil), ps.list...)
	sort.SliceStable(list, func(i, j int) bool { return list[i].Line < list[j].Line })
	return &Error{Problems: list}
}
