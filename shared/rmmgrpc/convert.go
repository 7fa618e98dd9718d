package rmmgrpc

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"
)

// Conversion rules shared by every converter, chosen so that a round trip
// is lossless in everything the contract gives meaning to:
//   - a zero time.Time is an unset Timestamp and back; other times come back
//     in UTC (the same instant);
//   - empty slices, maps and raw JSON come back nil (the contract never
//     tells "empty" from "none" for them);
//   - cursors keep nil apart from empty, because "no cursor" and "resume
//     from an empty cursor" differ (the proto fields are optional).

func timeToProto(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func timeFromProto(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

// listToProto converts each element; an empty list becomes nil.
func listToProto[S ~[]E, E, P any](s S, f func(E) P) []P {
	if len(s) == 0 {
		return nil
	}
	out := make([]P, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}

// listFromProto is listToProto's mirror, for readability at call sites.
func listFromProto[P, E any](s []P, f func(P) E) []E { return listToProto(s, f) }

// stringsOf converts a slice of a string type to []string.
func stringsOf[E ~string](s []E) []string {
	return listToProto(s, func(v E) string { return string(v) })
}

// stringsAs converts []string to a slice of a string type.
func stringsAs[E ~string](s []string) []E {
	return listToProto(s, func(v string) E { return E(v) })
}

// orNil returns nil for an empty map, slice or byte string.
func orNil[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}

func mapOrNil[M ~map[K]V, K comparable, V any](m M) M {
	if len(m) == 0 {
		return nil
	}
	return m
}
