package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// PageInfo describes one answer of a list endpoint.
type PageInfo struct {
	// Enveloped is set for a DRF page {"count", "next", "previous",
	// "results"}; a plain array leaves it false.
	Enveloped bool
	Count     int64
	Next      string // absolute URL of the next page, "" on the last one
	Items     int    // elements in this answer
}

// decodeList walks a list answer one element at a time, so a page of
// thousands of agents is never held in memory as a whole. It accepts a DRF
// envelope or a plain array (the beta client list is not paginated, API.md
// §4.1). onItem gets each element as an Item to decode straight from the
// stream (one pass) or to read raw; an element it leaves alone is skipped.
//
// info is filled in as the answer is read, so onItem can already see the
// count (DRF writes it before the results).
func decodeList(dec *jsontext.Decoder, info *PageInfo, onItem func(*Item) error) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case '[':
		return decodeArray(dec, info, onItem)
	case '{':
	default:
		return fmt.Errorf("expected a JSON list or page, got %s", tok.Kind())
	}
	info.Enveloped = true
	sawResults := false
	for dec.PeekKind() != '}' {
		key, err := dec.ReadToken()
		if err != nil {
			return err
		}
		switch key.String() {
		case "count":
			if info.Count, err = readInt(dec); err != nil {
				return err
			}
		case "next":
			tok, err := dec.ReadToken()
			if err != nil {
				return err
			}
			if tok.Kind() == '"' {
				info.Next = tok.String()
			}
		case "results":
			sawResults = true
			tok, err := dec.ReadToken()
			if err != nil {
				return err
			}
			switch tok.Kind() {
			case 'n': // "results": null
			case '[':
				if err := decodeArray(dec, info, onItem); err != nil {
					return err
				}
			default:
				return fmt.Errorf("expected a results list, got %s", tok.Kind())
			}
		default:
			if err := skip(dec); err != nil {
				return err
			}
		}
	}
	if _, err := dec.ReadToken(); err != nil { // '}'
		return err
	}
	if !sawResults {
		return fmt.Errorf("the page has no results list")
	}
	return nil
}

// readInt reads a JSON number that must be an integer (or null, as 0).
func readInt(dec *jsontext.Decoder) (int64, error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return 0, err
	}
	switch tok.Kind() {
	case 'n':
		return 0, nil
	case '0':
		n, err := strconv.ParseInt(tok.String(), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("count %s is not an integer", tok.String())
		}
		return n, nil
	}
	return 0, fmt.Errorf("count is a %s, not a number", tok.Kind())
}

// decodeArray reads the elements of an array whose '[' was read.
func decodeArray(dec *jsontext.Decoder, info *PageInfo, onItem func(*Item) error) error {
	for dec.PeekKind() != ']' {
		depth := dec.StackDepth()
		_, n := dec.StackIndex(depth)
		it := Item{dec: dec, depth: depth, end: n + 1}
		info.Items++
		err := onItem(&it)
		if it.broken != nil {
			return it.broken // the stream failed, whatever onItem made of it
		}
		if err != nil {
			return callbackError{err}
		}
		if !it.read {
			if err := skip(dec); err != nil {
				return err
			}
		}
	}
	_, err := dec.ReadToken() // ']'
	return err
}

// Item is one element of a list answer, not yet read. Read it once, with
// Decode or Raw, during the list callback.
type Item struct {
	dec    *jsontext.Decoder
	depth  int   // the list's depth
	end    int64 // the list's length once this element is read
	read   bool
	broken error // the stream failed while the element was read
}

// Decode decodes the element into v in one pass, skipping members v does
// not name unread. An element that does not fit v is an error, and the
// stream moves past it, so the next element can still be read.
func (it *Item) Decode(v any) error {
	it.read = true
	err := jsonv2.UnmarshalDecode(it.dec, v) // the decoder carries the lenient options
	if err == nil || it.fail(err) {
		return err
	}
	// A semantic error stops the decoder inside the element: read on to
	// its end.
	for it.dec.StackDepth() > it.depth || it.length() < it.end {
		if _, rerr := it.dec.ReadToken(); rerr != nil {
			it.fail(rerr)
			return rerr
		}
	}
	return err
}

// Raw returns the element as sent. It is a slice of the decoder's buffer,
// valid only during the list callback: copy what is kept.
func (it *Item) Raw() (json.RawMessage, error) {
	it.read = true
	v, err := it.dec.ReadValue()
	if err != nil {
		it.fail(err)
		return nil, err
	}
	return json.RawMessage(v), nil
}

func (it *Item) length() int64 {
	_, n := it.dec.StackIndex(it.depth)
	return n
}

// fail records err when it is a failure of the stream itself (a broken
// connection, bytes that are not JSON) rather than of one element's shape.
func (it *Item) fail(err error) bool {
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || !isSemantic(err) {
		if it.broken == nil {
			it.broken = err
		}
		return true
	}
	return false
}

func isSemantic(err error) bool {
	var sem *jsonv2.SemanticError
	return errors.As(err, &sem)
}

// callbackError marks an error returned by the caller's item callback, so
// it passes through unchanged instead of being taken for a read failure.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }
func (e callbackError) Unwrap() error { return e.err }

// interruptedError marks an answer that broke off while its body was read
// (a stall, a reset, a cut): reading it again may work.
type interruptedError struct{ err error }

func (e *interruptedError) Error() string { return e.err.Error() }
func (e *interruptedError) Unwrap() error { return e.err }

// list GETs (or PATCHes) a list endpoint and streams its elements.
func (c *Client) list(ctx context.Context, cl call, onItem func(*Item) error) (PageInfo, error) {
	var info PageInfo
	err := c.listInto(ctx, cl, &info, onItem)
	return info, err
}

// listInto is list with the page information visible to onItem.
func (c *Client) listInto(ctx context.Context, cl call, info *PageInfo, onItem func(*Item) error) error {
	resp, err := c.do(ctx, cl)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := decodeList(jsontext.NewDecoder(resp.Body, lenient), info, onItem); err != nil {
		if ce, ok := err.(callbackError); ok {
			return ce.err
		}
		mapped := c.readError(ctx, cl, err)
		var ne *NetError
		if ctx.Err() == nil && (errors.As(err, &ne) && ne.Kind != NetTLS || errors.Is(err, io.ErrUnexpectedEOF)) {
			return &interruptedError{mapped}
		}
		return mapped
	}
	// Drain what follows the value so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	return nil
}

// probe sends cl and only checks that the answer is a JSON success; the
// body is not read. TestConnection uses it on listings that can be large.
func (c *Client) probe(ctx context.Context, cl call) error {
	resp, err := c.do(ctx, cl)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
