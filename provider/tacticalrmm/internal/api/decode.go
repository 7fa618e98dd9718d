package api

import (
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// DecodeOptions read JSON as forgivingly as encoding/json does: Tactical is a
// Python server, and a stray invalid byte or a repeated key in one agent
// must not make a page unreadable. Names still match exactly, as Tactical
// spells them.
func DecodeOptions() jsonv2.Options { return lenient }

// lenient is built once: joining options allocates, and Unmarshal runs
// once per record. It is never modified.
var lenient = jsonv2.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

// Unmarshal decodes one record with encoding/json/v2 (a single pass, and
// unknown members such as an agent's services are skipped without being
// decoded), leniently. Large syncs spend most of the plugin's time here.
func Unmarshal(raw []byte, v any) error {
	return jsonv2.Unmarshal(raw, v, lenient)
}
