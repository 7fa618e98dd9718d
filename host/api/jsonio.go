package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// writeJSON sends v with status. Answers may describe credentials, so no
// cache may keep them.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// decodeJSON reads the request body into dst, which must be a pointer to a
// struct: JSON only, bounded in size, no unknown fields, one value.
func (s *server) decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return errorf(http.StatusRequestEntityTooLarge, codeTooLarge, "",
				"the body is larger than %d bytes", s.cfg.MaxBodyBytes)
		}
		return badRequest("", "the body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return errorf(http.StatusBadRequest, codeInvalidJSON, "", "the body is empty; a JSON object is expected")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errorf(http.StatusBadRequest, codeInvalidJSON, "", "the body must hold a single JSON object")
	}
	return nil
}

// decodeOptionalJSON is decodeJSON for routes whose body may be left out.
func (s *server) decodeOptionalJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return s.decodeJSON(w, r, dst)
}

func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return errorf(http.StatusUnsupportedMediaType, codeMediaType, "",
			"the body must be sent as Content-Type: application/json")
	}
	return nil
}

// jsonError explains a decoding error without echoing any value the client
// sent (a value may be a credential).
func jsonError(err error) error {
	if e, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		field := e.Field
		if field == "" {
			return errorf(http.StatusBadRequest, codeWrongType, "", "the body must be a JSON object")
		}
		return errorf(http.StatusBadRequest, codeWrongType, field, "%s: the value must be %s", field, typeName(e.Type.Kind().String()))
	}
	if e, ok := errors.AsType[*json.SyntaxError](err); ok {
		return errorf(http.StatusBadRequest, codeInvalidJSON, "", "the body is not valid JSON (at byte %d)", e.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errorf(http.StatusBadRequest, codeInvalidJSON, "", "the body is not valid JSON (it ends early)")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return errorf(http.StatusBadRequest, codeUnknownField, name, "unknown field %q", name)
	}
	return errorf(http.StatusBadRequest, codeInvalidJSON, "", "the body could not be decoded")
}

func typeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	case "ptr":
		return "of another type"
	}
	return fmt.Sprintf("of type %s", kind)
}
