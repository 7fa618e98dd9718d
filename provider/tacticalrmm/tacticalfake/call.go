package tacticalfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// call is one request on its way through the Django/DRF pipeline.
type call struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	rt     *route
	now    time.Time
	params map[string]string
	user   *user  // nil: anonymous
	token  string // the knox token used, if any
	allow  string // the Allow header DRF adds
}

// Django's stock pages (DEBUG=False, no templates).
const (
	html404 = "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n"
	html500 = "<h1>Server Error (500)</h1>"
)

// djangoHeaders are what SecurityMiddleware and XFrameOptionsMiddleware add
// to every response.
func djangoHeaders(h http.Header) {
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

func writeHTML(w http.ResponseWriter, status int, body string) {
	djangoHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (c *call) notFoundHTML() { writeHTML(c.w, http.StatusNotFound, html404) }

func (c *call) serverError() { writeHTML(c.w, http.StatusInternalServerError, html500) }

func (c *call) drfHeaders() {
	h := c.w.Header()
	djangoHeaders(h)
	h.Set("Content-Type", "application/json")
	h.Set("Vary", "Accept")
	if c.allow != "" {
		h.Set("Allow", c.allow)
	}
}

// json writes a complete JSON body.
func (c *call) json(status int, body []byte) {
	c.drfHeaders()
	c.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	c.w.WriteHeader(status)
	_, _ = c.w.Write(body)
}

// detail writes DRF's {"detail": msg} error body.
func (c *call) detail(status int, msg string) {
	var w jw
	w.open()
	w.key("detail")
	w.str(msg)
	w.close()
	c.json(status, w.b)
}

// jsonString writes a bare JSON string, as notify_error and many write
// views do.
func (c *call) jsonString(status int, s string) {
	c.json(status, appendPyString(nil, s))
}

// stream starts a 200 JSON response whose body is written piecewise.
func (c *call) stream() *streamWriter {
	c.drfHeaders()
	c.w.WriteHeader(http.StatusOK)
	return &streamWriter{w: c.w}
}

// streamWriter flushes a jw buffer to the client whenever it grows past
// 64 KiB, so pages never exist whole in memory.
type streamWriter struct {
	w   io.Writer
	jw  jw
	err error
}

func (s *streamWriter) maybeFlush() {
	if len(s.jw.b) >= 64<<10 {
		s.flush()
	}
}

func (s *streamWriter) flush() {
	if s.err == nil && len(s.jw.b) > 0 {
		_, s.err = s.w.Write(s.jw.b)
	}
	s.jw.reset()
}

// query is DRF's request.query_params: the last value of a key wins.
func (c *call) query(key string) (string, bool) {
	vs, ok := c.r.URL.Query()[key]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}

// errUnsupportedMedia and friends are the DRF parse failures.
type parseError struct {
	status int
	detail string
}

func (e *parseError) Error() string { return e.detail }

// data parses the request body as DRF's request.data does. A body without
// a Content-Type, or an empty one, is {} whatever it holds.
func (c *call) data() (any, error) {
	body, err := io.ReadAll(io.LimitReader(c.r.Body, 300<<20))
	if err != nil {
		return nil, err
	}
	ct := c.r.Header.Get("Content-Type")
	if len(body) == 0 || ct == "" {
		return map[string]any{}, nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, &parseError{http.StatusUnsupportedMediaType, fmt.Sprintf("Unsupported media type \"%s\" in request.", ct)}
	}
	switch mt {
	case "application/json":
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, &parseError{http.StatusBadRequest, "JSON parse error - " + pyJSONError(err)}
		}
		if dec.More() {
			return nil, &parseError{http.StatusBadRequest, "JSON parse error - Extra data"}
		}
		return v, nil
	case "application/x-www-form-urlencoded", "multipart/form-data":
		c.r.Body = io.NopCloser(bytes.NewReader(body))
		if mt == "multipart/form-data" {
			if params["boundary"] == "" {
				return nil, &parseError{http.StatusBadRequest, "Multipart form parse error - Invalid boundary in multipart: None"}
			}
			if err := c.r.ParseMultipartForm(32 << 20); err != nil {
				return nil, &parseError{http.StatusBadRequest, "Multipart form parse error - " + err.Error()}
			}
		} else if err := c.r.ParseForm(); err != nil {
			return nil, &parseError{http.StatusBadRequest, err.Error()}
		}
		out := map[string]any{}
		for k, vs := range c.r.PostForm {
			if len(vs) > 0 {
				out[k] = vs[len(vs)-1]
			}
		}
		return out, nil
	}
	return nil, &parseError{http.StatusUnsupportedMediaType, fmt.Sprintf("Unsupported media type \"%s\" in request.", ct)}
}

func pyJSONError(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("Expecting value: line 1 column %d (char %d)", se.Offset, max(se.Offset-1, 0))
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// dataOrFail reads request.data, answering the parse error itself.
func (c *call) dataOrFail() (any, bool) {
	d, err := c.data()
	if err != nil {
		var pe *parseError
		if errors.As(err, &pe) {
			c.detail(pe.status, pe.detail)
		} else {
			c.serverError()
		}
		return nil, false
	}
	return d, true
}

// pyInt parses like Python's int(str): surrounding whitespace, a sign and
// single underscores between digits are allowed.
func pyInt(s string) (int, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, false
	}
	n, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
	if err != nil || strings.ContainsAny(s, "+-") {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}
