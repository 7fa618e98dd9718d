package tacticalfake

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// jw appends JSON the way DRF's JSONRenderer writes it: compact, UTF-8 not
// escaped, floats as Python prints them ("1781251965.0"), datetimes as
// DRF's ISO-8601 with "Z". Separators are placed automatically: every value
// writer adds a comma unless it follows '{', '[' or ':'.
type jw struct {
	b    []byte
	prev byte // the last byte before the latest reset, for sep
}

func (w *jw) sep() {
	last := w.prev
	if n := len(w.b); n > 0 {
		last = w.b[n-1]
	}
	switch last {
	case 0, '{', '[', ':':
	default:
		w.b = append(w.b, ',')
	}
}

// reset empties the buffer after its bytes were written out, remembering
// the last one so the next value still gets its separator.
func (w *jw) reset() {
	if n := len(w.b); n > 0 {
		w.prev = w.b[n-1]
	}
	w.b = w.b[:0]
}

func (w *jw) open() { w.sep(); w.b = append(w.b, '{') }

func (w *jw) close() { w.b = append(w.b, '}') }

func (w *jw) openArr() { w.sep(); w.b = append(w.b, '[') }

func (w *jw) closeArr() { w.b = append(w.b, ']') }

// key writes a key; keys are plain ASCII here, never escaped.
func (w *jw) key(k string) {
	w.sep()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *jw) raw(b []byte) { w.sep(); w.b = append(w.b, b...) }

func (w *jw) null() { w.sep(); w.b = append(w.b, "null"...) }

func (w *jw) bool(v bool) { w.sep(); w.b = strconv.AppendBool(w.b, v) }

func (w *jw) int(v int) { w.sep(); w.b = strconv.AppendInt(w.b, int64(v), 10) }

func (w *jw) int64(v int64) { w.sep(); w.b = strconv.AppendInt(w.b, v, 10) }

// intOrNull writes 0 as null: the fake uses 0 for "no foreign key".
func (w *jw) intOrNull(v int) {
	if v == 0 {
		w.null()
		return
	}
	w.int(v)
}

func (w *jw) float(v float64) { w.sep(); w.b = appendPyFloat(w.b, v) }

func (w *jw) str(s string) { w.sep(); w.b = appendPyString(w.b, s) }

// strOrNull writes "" as null.
func (w *jw) strOrNull(s string) {
	if s == "" {
		w.null()
		return
	}
	w.str(s)
}

// time writes a DRF datetime, or null for the zero time.
func (w *jw) time(t time.Time) {
	if t.IsZero() {
		w.null()
		return
	}
	w.sep()
	w.b = append(w.b, '"')
	w.b = appendDRFTime(w.b, t)
	w.b = append(w.b, '"')
}

func (w *jw) strs(xs []string) {
	w.openArr()
	for _, x := range xs {
		w.str(x)
	}
	w.closeArr()
}

func (w *jw) ints(xs []int) {
	w.openArr()
	for _, x := range xs {
		w.int(x)
	}
	w.closeArr()
}

// any writes the few dynamic types the generated JSON fields hold.
func (w *jw) any(v any) {
	switch x := v.(type) {
	case nil:
		w.null()
	case string:
		w.str(x)
	case int:
		w.int(x)
	case int64:
		w.int64(x)
	case bool:
		w.bool(x)
	case float64:
		w.float(x)
	case []string:
		w.strs(x)
	case []int:
		w.ints(x)
	default:
		panic(fmt.Sprintf("tacticalfake: cannot render %T", v))
	}
}

// appendPyString escapes like Python's json.dumps(ensure_ascii=False).
func appendPyString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			const hex = "0123456789abcdef"
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendPyFloat prints a float as Python's repr does: integral values keep
// ".0", large and small ones use an exponent.
func appendPyFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return append(b, "NaN"...) // json.dumps writes NaN; never generated
	case abs != 0 && (abs < 1e-4 || abs >= 1e16):
		return strconv.AppendFloat(b, f, 'e', -1, 64)
	case f == math.Trunc(f):
		b = strconv.AppendFloat(b, f, 'f', -1, 64)
		return append(b, '.', '0')
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}
