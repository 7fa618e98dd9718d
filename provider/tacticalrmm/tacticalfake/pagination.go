package tacticalfake

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// DRF PageNumberPagination as StandardResultsSetPagination configures it.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// pageSize is get_page_size: a positive integer, clamped to 1000; anything
// else falls back to 100.
func (c *call) pageSize() int {
	v, ok := c.query("page_size")
	if !ok {
		return defaultPageSize
	}
	n, ok := pyInt(v)
	if !ok && isHugeInt(v) {
		return maxPageSize // Python's int() has no overflow; the cutoff applies
	}
	if !ok || n <= 0 {
		return defaultPageSize
	}
	return min(n, maxPageSize)
}

// isHugeInt reports a positive decimal too large for int.
func isHugeInt(v string) bool {
	v = strings.TrimPrefix(strings.TrimSpace(v), "+")
	return len(v) > 18 && strings.Trim(v, "0123456789") == ""
}

// page resolves the page number for count rows, answering 404 "Invalid
// page." itself. It returns the 1-based page and the number of pages.
func (c *call) page(count, size int) (int, int, bool) {
	numPages := 1
	if count > 0 {
		numPages = (count + size - 1) / size
	}
	raw, _ := c.query("page")
	if raw == "" {
		raw = "1"
	}
	if raw == "last" {
		return numPages, numPages, true
	}
	n, ok := pyInt(raw)
	if !ok || n < 1 || n > numPages {
		c.detail(http.StatusNotFound, "Invalid page.")
		return 0, 0, false
	}
	return n, numPages, true
}

// absoluteURL is request.build_absolute_uri(), or the configured public
// base URL when the fake plays a server behind a proxy.
func (c *call) absoluteURL(path string) string {
	if p := c.s.opts.PublicURL; p != "" {
		return strings.TrimSuffix(p, "/") + path
	}
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.r.Host + path
}

// pageLink is replace_query_param / remove_query_param: the query is
// re-encoded in sorted key order, and page 1 drops "page".
func (c *call) pageLink(page int) string {
	q := parseQS(c.r.URL.RawQuery)
	if page == 1 {
		delete(q, "page")
	} else {
		q["page"] = []string{strconv.Itoa(page)}
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	u := c.absoluteURL(c.r.URL.EscapedPath())
	if b.Len() > 0 {
		u += "?" + b.String()
	}
	return u
}

// parseQS is parse_qs(keep_blank_values=True): '&'-separated, '+' is a
// space, a pair without '=' has an empty value.
func parseQS(raw string) map[string][]string {
	out := map[string][]string{}
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		out[k] = append(out[k], v)
	}
	return out
}

// envelope writes the start of a page: count, next, previous, and opens
// results.
func (c *call) envelope(sw *streamWriter, count, page, numPages int) {
	w := &sw.jw
	w.open()
	w.key("count")
	w.int(count)
	w.key("next")
	if page < numPages {
		w.str(c.pageLink(page + 1))
	} else {
		w.null()
	}
	w.key("previous")
	if page > 1 {
		w.str(c.pageLink(page - 1))
	} else {
		w.null()
	}
	w.key("results")
	w.openArr()
}
