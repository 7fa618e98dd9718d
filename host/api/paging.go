package api

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Page sizes of list endpoints.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// listPage is the shape of every list answer. NextAfter is the id to pass
// as `after` for the next page, or null on the last page.
type listPage[T any] struct {
	Items     []T     `json:"items"`
	NextAfter *string `json:"next_after"`
}

// page is a validated `limit` and `after`.
type page struct {
	limit int
	after string
}

func parsePage(q url.Values) (page, error) {
	p := page{limit: defaultLimit, after: strings.ToLower(q.Get("after"))}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return page{}, badRequest("limit", "limit must be a whole number from 1 to %d", maxLimit)
		}
		p.limit = n
	}
	if p.after != "" && !isUUID(p.after) {
		return page{}, badRequest("after", "after must be an id from next_after")
	}
	return p, nil
}

// fromStore builds a page from a store query run with limit+1 and after:
// the extra row only says that another page follows. The store caps a
// query at maxLimit rows, so a full page of maxLimit may hide one more
// row: it gets a next_after too, and at worst the next page is empty.
func fromStore[T any](items []T, id func(T) string, limit int) listPage[T] {
	out := listPage[T]{Items: items}
	switch {
	case len(items) > limit:
		out.Items = items[:limit]
		next := id(items[limit-1])
		out.NextAfter = &next
	case len(items) == limit && limit >= maxLimit:
		next := id(items[limit-1])
		out.NextAfter = &next
	}
	if out.Items == nil {
		out.Items = []T{}
	}
	return out
}

// inMemory pages a complete list the store returns unpaged. It pages by
// id, like the store's paged queries, so a page boundary survives rows
// being added or renamed between requests.
func inMemory[T any](items []T, id func(T) string, p page) listPage[T] {
	sorted := slices.Clone(items)
	slices.SortFunc(sorted, func(a, b T) int { return cmp.Compare(id(a), id(b)) })
	if p.after != "" {
		i, _ := slices.BinarySearchFunc(sorted, p.after, func(it T, after string) int {
			if id(it) <= after {
				return -1
			}
			return 1
		})
		sorted = sorted[i:]
	}
	if len(sorted) > p.limit {
		sorted = sorted[:p.limit+1]
	}
	return fromStore(sorted, id, p.limit)
}
