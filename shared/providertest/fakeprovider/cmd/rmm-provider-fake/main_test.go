package main

import (
	"slices"
	"testing"

	"github.com/msp-psa/psa-host/shared/rmm"
)

func TestParseEditions(t *testing.T) {
	tests := []struct {
		in      string
		want    []rmm.Edition
		wantErr bool
	}{
		{in: "ce,ee", want: []rmm.Edition{rmm.EditionCE, rmm.EditionEE}},
		{in: "ee", want: []rmm.Edition{rmm.EditionEE}},
		{in: " ce , ee ", want: []rmm.Edition{rmm.EditionCE, rmm.EditionEE}},
		{in: "", wantErr: true},
		{in: "ce,pro", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseEditions(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseEditions(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("parseEditions(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
