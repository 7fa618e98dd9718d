package main

import (
	"slices"
	"testing"
)

func TestSizes(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    []int
		wantErr bool
	}{
		{"default", nil, []int{1000, 10000}, false},
		{"large run", []string{"-fleet", "100000"}, []int{1000, 10000, 100000}, false},
		{"small run", []string{"-fleet", "1000"}, []int{1000}, false},
		{"in between", []string{"-fleet", "5000"}, []int{1000, 5000}, false},
		{"explicit sizes, sorted and unique", []string{"-sizes", "500, 20,500"}, []int{20, 500}, false},
		{"bad fleet", []string{"-fleet", "0"}, nil, true},
		{"bad size", []string{"-sizes", "10,x"}, nil, true},
		{"stray argument", []string{"extra"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseFlags(tt.args)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && !slices.Equal(c.sizes, tt.want) {
				t.Fatalf("sizes %v, want %v", c.sizes, tt.want)
			}
		})
	}
}

func TestOnly(t *testing.T) {
	tests := []struct {
		name    string
		only    string
		runs    []string
		skips   []string
		wantErr bool
	}{
		{"all by default", "", allScenarios, nil, false},
		{"webhooks alone", "webhooks", []string{scWebhooks}, []string{scFirst, scSoftware}, false},
		{"software needs the first sync", "software", []string{scSoftware, scFirst}, []string{scAlerts, scUnchanged}, false},
		{"unknown", "everything", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var args []string
			if tt.only != "" {
				args = []string{"-only", tt.only}
			}
			c, err := parseFlags(args)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			for _, s := range tt.runs {
				if !c.runs(s) {
					t.Errorf("%s does not run", s)
				}
			}
			for _, s := range tt.skips {
				if c.runs(s) {
					t.Errorf("%s runs", s)
				}
			}
		})
	}
}

func TestLargeOnlyNarrowsTheLargeFleetOnly(t *testing.T) {
	c, err := parseFlags([]string{"-fleet", "100000", "-large-only", "unchanged,webhooks"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range allScenarios {
		if !c.runsAt(10000, s) {
			t.Errorf("%s does not run at 10,000", s)
		}
		want := s == scFirst || s == scUnchanged || s == scWebhooks
		if got := c.runsAt(100000, s); got != want {
			t.Errorf("runsAt(100000, %s) = %v, want %v", s, got, want)
		}
	}
	if _, err := parseFlags([]string{"-large-only", "nope"}); err == nil {
		t.Error("an unknown scenario in -large-only was accepted")
	}
}
