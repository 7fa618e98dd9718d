package api

import (
	"strconv"
	"testing"
)

func TestFromStore(t *testing.T) {
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = strconv.Itoa(i)
		}
		return out
	}
	self := func(s string) string { return s }
	cases := []struct {
		name  string
		rows  int
		limit int
		items int
		next  string // "" for null
	}{
		{"empty", 0, 10, 0, ""},
		{"short page", 3, 10, 3, ""},
		{"exactly full", 10, 10, 10, ""},
		{"one more row", 11, 10, 10, "9"},
		// The store returns at most maxLimit rows: a full maxLimit page
		// cannot tell whether more follow, so it offers another page.
		{"full page at the store's cap", maxLimit, maxLimit, maxLimit, strconv.Itoa(maxLimit - 1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := fromStore(ids(tc.rows), self, tc.limit)
			if len(p.Items) != tc.items || p.Items == nil {
				t.Fatalf("items = %d (nil %v), want %d", len(p.Items), p.Items == nil, tc.items)
			}
			got := ""
			if p.NextAfter != nil {
				got = *p.NextAfter
			}
			if got != tc.next {
				t.Fatalf("next_after = %q, want %q", got, tc.next)
			}
		})
	}
}

func TestInMemoryPaging(t *testing.T) {
	rows := []string{"c", "a", "e", "b", "d"}
	self := func(s string) string { return s }
	var got []string
	p := page{limit: 2}
	for range 10 {
		pg := inMemory(rows, self, p)
		got = append(got, pg.Items...)
		if pg.NextAfter == nil {
			break
		}
		p.after = *pg.NextAfter
	}
	if want := "abcde"; len(got) != 5 || got[0]+got[1]+got[2]+got[3]+got[4] != want {
		t.Fatalf("pages gave %v, want %s in order", got, want)
	}
	// A page boundary survives the row it names being deleted.
	pg := inMemory([]string{"a", "c", "d"}, self, page{limit: 2, after: "b"})
	if len(pg.Items) != 2 || pg.Items[0] != "c" || pg.Items[1] != "d" || pg.NextAfter != nil {
		t.Fatalf("after a deleted row: %+v", pg)
	}
}
