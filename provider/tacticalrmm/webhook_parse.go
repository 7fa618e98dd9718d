package tacticalrmm

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// maxWebhookBody bounds what HandleWebhook parses; Tactical's bodies are
// a few hundred bytes.
const maxWebhookBody = 1 << 20

// parseWebhookBody reads a Tactical webhook body into a flat object.
//
// Tactical re-serialises the rendered template with json.dumps, but when
// the rendered text is not valid JSON (a message with a quote in it, an
// unquoted None) it sends the whole text as one JSON string instead
// (API.md §6.6, issue #2245). So: a JSON object is read as is; a JSON
// string is unwrapped and its text parsed, as JSON if it is valid and
// otherwise by a lenient reader that takes "key": value pairs at face
// value.
func parseWebhookBody(body []byte) (map[string]any, error) {
	if len(body) > maxWebhookBody {
		return nil, rmm.Errorf(rmm.ErrInvalidInput, "the webhook body is larger than %d bytes", maxWebhookBody)
	}
	text := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	if len(text) == 0 {
		return nil, rmm.Errorf(rmm.ErrInvalidInput, "the webhook body is empty")
	}
	for range 2 { // a string, or a string holding a string
		if text[0] != '"' {
			break
		}
		var inner string
		if err := json.Unmarshal(text, &inner); err != nil {
			return nil, rmm.Errorf(rmm.ErrInvalidInput, "the webhook body is neither a JSON object nor a JSON string")
		}
		text = bytes.TrimSpace([]byte(inner))
	}
	if obj, ok := strictObject(text); ok {
		return obj, nil
	}
	if obj := lenientObject(string(text)); len(obj) > 0 {
		return obj, nil
	}
	return nil, rmm.Errorf(rmm.ErrInvalidInput, "the webhook body is not a JSON object and holds no \"key\": value pairs")
}

func strictObject(text []byte) (map[string]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil || dec.More() {
		return nil, false
	}
	return obj, true
}

// lenientObject reads the "key": value pairs of text that was meant to be
// a flat JSON object but is not valid JSON. A key is a quoted name followed
// by a colon, at the start of the object or after a comma. A value runs to
// the next key (or the closing brace), so quotes, commas and braces inside
// a message survive. Bare None, True, False and numbers are understood.
func lenientObject(text string) map[string]any {
	text = strings.TrimSpace(text)
	text = strings.TrimPrefix(text, "{")
	text = strings.TrimSuffix(text, "}")
	type key struct {
		name       string
		start, val int // where the key's quote starts; where its value starts
	}
	var keys []key
	for i := 0; i < len(text); i++ {
		if text[i] != '"' || !afterSeparator(text, i) {
			continue
		}
		j := i + 1
		for j < len(text) && isKeyChar(text[j]) {
			j++
		}
		if j == i+1 || j >= len(text) || text[j] != '"' {
			continue
		}
		k := j + 1
		for k < len(text) && isSpace(text[k]) {
			k++
		}
		if k >= len(text) || text[k] != ':' {
			continue
		}
		keys = append(keys, key{name: text[i+1 : j], start: i, val: k + 1})
		i = k
	}
	obj := make(map[string]any, len(keys))
	for n, k := range keys {
		end := len(text)
		if n+1 < len(keys) {
			end = keys[n+1].start
		}
		v := strings.TrimSpace(text[k.val:end])
		if n+1 < len(keys) {
			v = strings.TrimSpace(strings.TrimSuffix(v, ","))
		}
		obj[k.name] = lenientValue(v)
	}
	return obj
}

func lenientValue(v string) any {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		var s string
		if json.Unmarshal([]byte(v), &s) == nil {
			return s
		}
		return strings.ReplaceAll(v[1:len(v)-1], `\"`, `"`)
	}
	switch v {
	case "None", "null", "":
		return nil
	case "True", "true":
		return true
	case "False", "false":
		return false
	}
	if json.Valid([]byte(v)) {
		var n json.Number
		if json.Unmarshal([]byte(v), &n) == nil {
			return n
		}
	}
	return v
}

// afterSeparator reports whether only white space lies between a comma (or
// the start of the object) and position i.
func afterSeparator(text string, i int) bool {
	for j := i - 1; j >= 0; j-- {
		switch {
		case isSpace(text[j]):
		case text[j] == ',' || text[j] == '{':
			return true
		default:
			return false
		}
	}
	return true
}

func isKeyChar(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
