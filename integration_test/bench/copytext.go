package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"
)

// copyWriter writes rows in PostgreSQL's COPY text format: tab-separated
// columns, \N for NULL, backslash escapes. The floor prepares its rows in
// this form ahead of time, so that the measured COPY only streams bytes.
type copyWriter struct {
	w    *bufio.Writer
	buf  []byte
	rows int64
}

func newCopyWriter(w io.Writer) *copyWriter {
	return &copyWriter{w: bufio.NewWriterSize(w, 1<<20)}
}

// date is a value for a date column.
type date time.Time

func (c *copyWriter) row(vals ...any) error {
	b := c.buf[:0]
	for i, v := range vals {
		if i > 0 {
			b = append(b, '\t')
		}
		var err error
		if b, err = appendCopyValue(b, v); err != nil {
			return err
		}
	}
	b = append(b, '\n')
	c.buf = b
	c.rows++
	_, err := c.w.Write(b)
	return err
}

func (c *copyWriter) flush() error { return c.w.Flush() }

func appendCopyValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, `\N`...), nil
	case string:
		return appendCopyText(b, x), nil
	case bool:
		if x {
			return append(b, 't'), nil
		}
		return append(b, 'f'), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case time.Time:
		// Microseconds, as PostgreSQL keeps them, truncated as pgx does.
		return x.UTC().AppendFormat(b, "2006-01-02 15:04:05.999999Z07:00"), nil
	case date:
		return time.Time(x).AppendFormat(b, "2006-01-02"), nil
	}
	return b, fmt.Errorf("copy text: unsupported value %T", v)
}

// appendCopyText escapes what the text format gives a meaning to.
func appendCopyText(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '\t':
			b = append(b, `\t`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		default:
			b = append(b, c)
		}
	}
	return b
}
