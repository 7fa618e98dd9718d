package tacticalrmm

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
)

var errNotObject = errors.New("not a JSON object")

// withoutKeys returns the JSON object raw, compacted, without the given
// top-level keys, keeping the order of the rest. It keeps Raw small: an
// agent's services alone are most of its size. raw must be valid JSON (it
// comes from a json.Decoder); dropped values are skipped with a byte scan,
// never decoded, as they are the bulk of a large sync.
func withoutKeys(raw json.RawMessage, drop ...string) (json.RawMessage, error) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, errNotObject
	}
	var buf bytes.Buffer
	buf.Grow(len(raw))
	buf.WriteByte('{')
	first := true
	i++
	for {
		i = skipSpace(raw, i)
		if i >= len(raw) {
			return nil, errNotObject
		}
		if raw[i] == '}' {
			break
		}
		if raw[i] == ',' {
			i++
			continue
		}
		keyStart := i
		keyEnd := skipValue(raw, i)
		if raw[i] != '"' || keyEnd < 0 {
			return nil, errNotObject
		}
		var key string
		if err := json.Unmarshal(raw[keyStart:keyEnd], &key); err != nil {
			return nil, err
		}
		i = skipSpace(raw, keyEnd)
		if i >= len(raw) || raw[i] != ':' {
			return nil, errNotObject
		}
		valStart := skipSpace(raw, i+1)
		valEnd := skipValue(raw, valStart)
		if valEnd < 0 {
			return nil, errNotObject
		}
		i = valEnd
		if slices.Contains(drop, key) {
			continue
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		buf.Write(raw[keyStart:keyEnd])
		buf.WriteByte(':')
		if err := json.Compact(&buf, raw[valStart:valEnd]); err != nil {
			return nil, err
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just after the JSON value starting at i, or
// -1 when the value is cut short.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return -1
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end := skipValue(b, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i // a number, true, false or null
	for j < len(b) && !isDelimiter(b[j]) {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

func isDelimiter(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}
