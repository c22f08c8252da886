package config

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"
)

// BurntSushi/toml's struct decoder stops at the first value of the wrong
// type. To report every problem at once, the TOML is parsed into a tree
// (map[string]any) and the tree is decoded here, into structs prefilled
// with the defaults, recording a problem for each unknown key and each
// value that does not fit, and going on.

// tomlDecoder is implemented by the types with their own TOML forms (Size,
// Duration).
type tomlDecoder interface {
	fromTOML(v any) error
}

type decoder struct {
	ps *problems
}

var (
	tomlDecoderType = reflect.TypeFor[tomlDecoder]()
	compressionType = reflect.TypeFor[Compression]()
	routeType       = reflect.TypeFor[Route]()
	anyMapType      = reflect.TypeFor[map[string]any]()
)

// decode stores the TOML value v, found at path, into rv.
func (d *decoder) decode(path string, v any, rv reflect.Value) {
	t := rv.Type()
	if reflect.PointerTo(t).Implements(tomlDecoderType) {
		if err := rv.Addr().Interface().(tomlDecoder).fromTOML(v); err != nil {
			d.ps.fail(path, "%s: %s", path, err)
		}
		return
	}
	switch {
	case t == compressionType:
		d.compression(path, v, rv)
		return
	case t == anyMapType:
		m, ok := v.(map[string]any)
		if !ok {
			d.typeProblem(path, "table", v)
			return
		}
		rv.Set(reflect.ValueOf(m))
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			d.typeProblem(path, "table", v)
			return
		}
		d.table(path, m, rv)
	case reflect.Slice:
		items, ok := arrayItems(v)
		if _, table := v.(map[string]any); table && t.Elem().Kind() == reflect.Struct {
			d.ps.fail(path, "%s: expected an array of tables, got a table (write [[%s]] for each, not [%s])", path, path, path)
			return
		}
		if !ok {
			d.typeProblem(path, "array", v)
			return
		}
		s := reflect.MakeSlice(t, len(items), len(items))
		for i, item := range items {
			if t.Elem() == routeType {
				s.Index(i).Set(reflect.ValueOf(newRoute()))
			}
			d.decode(indexKey(path, i), item, s.Index(i))
		}
		rv.Set(s)
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			d.typeProblem(path, "string", v)
			return
		}
		rv.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			d.typeProblem(path, "boolean", v)
			return
		}
		rv.SetBool(b)
	case reflect.Int:
		n, ok := v.(int64)
		if !ok {
			d.typeProblem(path, "integer", v)
			return
		}
		if n < math.MinInt || n > math.MaxInt {
			d.ps.fail(path, "%s: %d is out of range", path, n)
			return
		}
		rv.SetInt(n)
	default:
		panic("config: no decoder for " + t.String()) // a programming error in this package
	}
}

// table decodes the keys of m into the fields of struct rv, by their toml
// tags. Keys are visited in source order, so problems come out in order.
func (d *decoder) table(path string, m map[string]any, rv reflect.Value) {
	fields := fieldsOf(rv.Type())
	for _, k := range d.sortedKeys(path, m) {
		kp := joinKey(path, k)
		i, ok := fields[k]
		if !ok {
			d.ps.fail(kp, "unknown key %s%s", kp, suggest(k, fields))
			continue
		}
		d.decode(kp, m[k], rv.Field(i))
	}
}

// compression decodes `compression = bool` or a compression table.
func (d *decoder) compression(path string, v any, rv reflect.Value) {
	switch v := v.(type) {
	case bool:
		rv.Set(reflect.ValueOf(newCompression(v)))
	case map[string]any:
		rv.Set(reflect.ValueOf(newCompression(true)))
		d.table(path, v, rv)
	default:
		d.ps.fail(path, "%s: expected a boolean or a table, got %s", path, tomlTypeName(v))
	}
}

func (d *decoder) typeProblem(path, want string, v any) {
	d.ps.fail(path, "%s: expected %s %s, got %s", path, article(want), want, tomlTypeName(v))
}

// sortedKeys returns m's keys in the order the source defines them.
func (d *decoder) sortedKeys(path string, m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		li, lj := d.ps.pos.line(joinKey(path, keys[i])), d.ps.pos.line(joinKey(path, keys[j]))
		if li != lj {
			return li < lj
		}
		return keys[i] < keys[j]
	})
	return keys
}

// fieldsOf maps the toml tags of struct type t to field indexes.
func fieldsOf(t reflect.Type) map[string]int {
	fields := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if tag := f.Tag.Get("toml"); tag != "" && tag != "-" && f.IsExported() {
			fields[tag] = i
		}
	}
	return fields
}

// arrayItems returns the elements of a TOML array or array of tables.
func arrayItems(v any) ([]any, bool) {
	switch v := v.(type) {
	case []any:
		return v, true
	case []map[string]any:
		items := make([]any, len(v))
		for i, m := range v {
			items[i] = m
		}
		return items, true
	}
	return nil, false
}

// tomlTypeName names the TOML type of a decoded value, with the value when
// it is short.
func tomlTypeName(v any) string {
	switch v := v.(type) {
	case string:
		if len(v) <= 40 {
			return fmt.Sprintf("string %q", v)
		}
		return "a string"
	case int64:
		return fmt.Sprintf("integer %d", v)
	case float64:
		return fmt.Sprintf("float %v", v)
	case bool:
		return fmt.Sprintf("boolean %v", v)
	case time.Time:
		return "a date-time"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}

func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// suggest returns ` (did you mean "x"?)` for the known key closest to an
// unknown one, when it is close enough to be a typo.
func suggest(k string, fields map[string]int) string {
	best, bestDist := "", 3
	for f := range fields {
		if dist := editDistance(k, f); dist < bestDist || dist == bestDist && best != "" && f < best {
			best, bestDist = f, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
