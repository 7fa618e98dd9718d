package main

import (
	"io"

	"github.com/hashicorp/go-hclog"
)

func newLogger(w io.Writer, level string, json bool) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       "psa-host",
		Level:      hclog.LevelFromString(level),
		Output:     w,
		JSONFormat: json,
	})
}
