package store

import "strings"

// Helpers that render the repetitive parts of the bulk upserts from one
// column list, so the change test and the SET list cannot drift apart.

// col is a target column and the expression over the staging row "s" that
// fills it.
type col struct {
	name string // quoted where needed, e.g. `"current_user"`
	expr string
}

func colNames(cols []col, prefix string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = prefix + c.name
	}
	return strings.Join(parts, ", ")
}

func colExprs(cols []col) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.expr
	}
	return strings.Join(parts, ", ")
}

// differsFromExcluded guards ON CONFLICT DO UPDATE against rewriting a row
// that a concurrent writer already brought up to date.
func differsFromExcluded(cols []col) string {
	return "(" + colNames(cols, "t.") + ") IS DISTINCT FROM (" + colNames(cols, "EXCLUDED.") + ")"
}

func setExcluded(cols []col) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.name + " = EXCLUDED." + c.name
	}
	return strings.Join(parts, ", ")
}

// differsFromSource is true when the row older (NULL columns when there
// is none) does not hold the values the source row would write.
func differsFromSource(older string, cols []col) string {
	return "(" + colNames(cols, older+".") + ") IS DISTINCT FROM (" + colExprs(cols) + ")"
}

// changedFromSource lists, as an SQL text[] expression, the names of the
// columns whose values the source row would change in the row older: the
// "changes" of an update event.
func changedFromSource(older string, cols []col) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = "CASE WHEN " + older + "." + c.name + " IS DISTINCT FROM " + c.expr +
			" THEN '" + strings.Trim(c.name, `"`) + "' END"
	}
	return "array_remove(ARRAY[" + strings.Join(parts, ", ") + "]::text[], NULL)"
}
