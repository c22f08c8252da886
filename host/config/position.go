package config

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// position maps a key path ("listen", "limits.idle_timeout",
// "route[1].compression.level") to the 1-based line where the TOML source
// defines it (the first line, for a table that several lines extend).
//
// BurntSushi/toml keeps key positions private, so indexPositions reads them
// from the source with a small scanner of TOML's structure: table headers,
// keys, and values only as far as needed to skip them (strings, multi-line
// strings, arrays and inline tables). It runs only on sources the TOML
// parser has accepted, so it does not report syntax errors.
type position map[string]int

// line returns the line of key, or of its nearest ancestor the source
// names, or 0.
func (p position) line(key string) int {
	for key != "" {
		if l, ok := p[key]; ok {
			return l
		}
		key = parentKey(key)
	}
	return 0
}

// joinKey appends one key segment to a path, quoting it when it is not a
// bare TOML key. Decoder and scanner both build paths with it, so their
// paths agree.
func joinKey(path, key string) string {
	if !isBareKey(key) {
		key = strconv.Quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// indexKey appends an array index to a path.
func indexKey(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func isBareKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// parentKey strips the last segment (".key" or "[i]") of a path, minding
// quoted segments.
func parentKey(path string) string {
	cut, quoted := 0, false
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && (c == '.' || c == '['):
			cut = i
		}
	}
	return path[:cut]
}

// indexPositions scans src and returns the line of every key path.
func indexPositions(src string) position {
	s := &scanner{src: src, line: 1, pos: position{}, aot: map[string]int{}}
	s.document()
	return s.pos
}

type scanner struct {
	src   string
	i     int
	line  int
	pos   position
	aot   map[string]int // array-of-tables path -> elements seen so far
	table string         // path of the table the current header opened
}

func (s *scanner) eof() bool { return s.i >= len(s.src) }

func (s *scanner) peek() byte {
	if s.eof() {
		return 0
	}
	return s.src[s.i]
}

func (s *scanner) record(path string) {
	if _, ok := s.pos[path]; !ok {
		s.pos[path] = s.line
	}
}

// skipSpace skips blanks; with newlines, also newlines and comments.
func (s *scanner) skipSpace(newlines bool) {
	for !s.eof() {
		switch c := s.src[s.i]; {
		case c == ' ' || c == '\t' || c == '\r':
			s.i++
		case c == '\n' && newlines:
			s.i++
			s.line++
		case c == '#' && newlines:
			for !s.eof() && s.src[s.i] != '\n' {
				s.i++
			}
		default:
			return
		}
	}
}

func (s *scanner) document() {
	for {
		s.skipSpace(true)
		if s.eof() {
			return
		}
		start := s.i
		if s.peek() == '[' {
			s.header()
		} else {
			s.keyValue("")
		}
		if s.i == start { // cannot happen on valid TOML; never loop forever
			s.i++
		}
	}
}

func (s *scanner) header() {
	s.i++ // [
	array := s.peek() == '['
	if array {
		s.i++
	}
	parts := s.key()
	s.skipSpace(false)
	for !s.eof() && s.src[s.i] == ']' {
		s.i++
	}
	if len(parts) == 0 {
		return
	}
	// Resolve every array of tables along the way to its latest element.
	path := ""
	for _, p := range parts[:len(parts)-1] {
		path = joinKey(path, p)
		if n, ok := s.aot[path]; ok {
			path = indexKey(path, n-1)
		}
		s.record(path)
	}
	path = joinKey(path, parts[len(parts)-1])
	s.record(path)
	if array {
		n := s.aot[path]
		s.aot[path] = n + 1
		path = indexKey(path, n)
		s.record(path)
	}
	s.table = path
}

// keyValue scans `key = value` inside the table at path table (or the
// current header's table when table is "").
func (s *scanner) keyValue(table string) {
	if table == "" {
		table = s.table
	}
	parts := s.key()
	path := table
	for _, p := range parts {
		path = joinKey(path, p)
		s.record(path)
	}
	s.skipSpace(false)
	if s.peek() == '=' {
		s.i++
	}
	s.value(path)
}

// key scans a dotted key of bare and quoted segments.
func (s *scanner) key() []string {
	var parts []string
	for {
		s.skipSpace(false)
		switch c := s.peek(); {
		case c == '"':
			parts = append(parts, s.basicString())
		case c == '\'':
			s.i++
			j := strings.IndexByte(s.src[s.i:], '\'')
			if j < 0 {
				j = len(s.src) - s.i
			}
			parts = append(parts, s.src[s.i:s.i+j])
			s.i += j + 1
		default:
			j := s.i
			for j < len(s.src) && isBareKey(s.src[j:j+1]) {
				j++
			}
			if j == s.i {
				return parts
			}
			parts = append(parts, s.src[s.i:j])
			s.i = j
		}
		s.skipSpace(false)
		if s.peek() != '.' {
			return parts
		}
		s.i++
	}
}

// basicString scans a one-line "..." string and returns its value.
func (s *scanner) basicString() string {
	s.i++ // "
	var b strings.Builder
	for !s.eof() {
		c := s.src[s.i]
		switch {
		case c == '"':
			s.i++
			return b.String()
		case c == '\n':
			return b.String()
		case c == '\\' && s.i+1 < len(s.src):
			s.i++
			switch e := s.src[s.i]; e {
			case 'b':
				b.WriteByte('\b')
			case 't':
				b.WriteByte('\t')
			case 'n':
				b.WriteByte('\n')
			case 'f':
				b.WriteByte('\f')
			case 'r':
				b.WriteByte('\r')
			case 'e':
				b.WriteByte(0x1b)
			case 'u', 'U':
				n := 4
				if e == 'U' {
					n = 8
				}
				if s.i+n < len(s.src) {
					if r, err := strconv.ParseUint(s.src[s.i+1:s.i+1+n], 16, 32); err == nil {
						b.WriteRune(rune(r))
						s.i += n
					}
				}
			case 'x':
				if s.i+2 < len(s.src) {
					if r, err := strconv.ParseUint(s.src[s.i+1:s.i+3], 16, 8); err == nil {
						b.WriteRune(rune(r))
						s.i += 2
					}
				}
			default:
				b.WriteByte(e)
			}
			s.i++
		default:
			_, n := utf8.DecodeRuneInString(s.src[s.i:])
			b.WriteString(s.src[s.i : s.i+n])
			s.i += n
		}
	}
	return b.String()
}

// value skips one value, recording the keys of inline tables under path.
func (s *scanner) value(path string) {
	s.skipSpace(false)
	switch {
	case strings.HasPrefix(s.src[s.i:], `"""`), strings.HasPrefix(s.src[s.i:], `'''`):
		s.multiline(s.src[s.i : s.i+3])
	case s.peek() == '"':
		s.basicString()
	case s.peek() == '\'':
		s.i++
		for !s.eof() && s.src[s.i] != '\'' && s.src[s.i] != '\n' {
			s.i++
		}
		if s.peek() == '\'' {
			s.i++
		}
	case s.peek() == '[':
		s.i++
		for n := 0; ; n++ {
			s.skipSpace(true)
			if s.eof() || s.peek() == ']' {
				break
			}
			start := s.i
			s.record(indexKey(path, n))
			s.value(indexKey(path, n))
			s.skipSpace(true)
			if s.peek() == ',' {
				s.i++
			} else if s.i == start {
				break
			}
		}
		if s.peek() == ']' {
			s.i++
		}
	case s.peek() == '{':
		s.i++
		for {
			s.skipSpace(true)
			if s.eof() || s.peek() == '}' {
				break
			}
			start := s.i
			s.keyValue(path)
			s.skipSpace(true)
			if s.peek() == ',' {
				s.i++
			} else if s.i == start {
				break
			}
		}
		if s.peek() == '}' {
			s.i++
		}
	default: // number, boolean, date-time: runs to a delimiter
		for !s.eof() && !strings.ContainsRune(",]}\n#", rune(s.src[s.i])) {
			s.i++
		}
	}
}

// multiline skips a """ or ”' string, counting its lines.
func (s *scanner) multiline(quote string) {
	s.i += 3
	for !s.eof() {
		switch {
		case quote == `"""` && s.src[s.i] == '\\':
			s.i++
			if !s.eof() && s.src[s.i] == '\n' {
				s.line++
			}
			s.i++
		case strings.HasPrefix(s.src[s.i:], quote):
			s.i += 3
			// Up to two more quotes belong to the string's content.
			for k := 0; k < 2 && !s.eof() && s.src[s.i] == quote[0]; k++ {
				s.i++
			}
			return
		default:
			if s.src[s.i] == '\n' {
				s.line++
			}
			s.i++
		}
	}
}
