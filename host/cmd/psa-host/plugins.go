package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/msp-psa/psa-host/host/pluginmgr"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// pluginFlags say where plugins are and how strictly they are checked.
type pluginFlags struct {
	dir     string
	edition string
	strict  bool
}

func (f *pluginFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dir, "plugin-dir", envOr("PSA_PLUGIN_DIR", "plugins"),
		"directory of rmm-provider-* plugin binaries and their SHA256SUMS manifest (env PSA_PLUGIN_DIR)")
	fs.StringVar(&f.edition, "edition", envOr("PSA_EDITION", "ce"), "host edition: ce or ee (env PSA_EDITION)")
	fs.BoolVar(&f.strict, "strict-plugins", true,
		"refuse plugin binaries the manifest does not list (a listed binary with another hash is always refused)")
}

func (f *pluginFlags) config() (pluginmgr.Config, error) {
	ed, err := rmm.ParseEdition(f.edition)
	if err != nil {
		return pluginmgr.Config{}, err
	}
	return pluginmgr.Config{Dir: f.dir, Edition: ed, Strict: f.strict}, nil
}

func cmdPlugins(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "list" {
		fmt.Fprintln(stderr, "usage: psa-host plugins list [flags]")
		return errUsage
	}
	fs := flag.NewFlagSet("plugins list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf pluginFlags
	pf.register(fs)
	logLevel := fs.String("log-level", "warn", "log level: trace, debug, info, warn, error")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := pf.config()
	if err != nil {
		return usageError(stderr, fs, "%v", err)
	}
	cfg.Logger = newLogger(stderr, *logLevel, false)
	mgr, err := pluginmgr.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = mgr.Close(cctx)
	}()
	printPlugins(stdout, mgr.List())
	return nil
}

func printPlugins(w io.Writer, infos []pluginmgr.PluginInfo) {
	if len(infos) == 0 {
		fmt.Fprintln(w, "no plugins found")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tEDITIONS\tSTATE\tPATH\tREASON")
	for _, p := range infos {
		eds := make([]string, len(p.Editions))
		for i, e := range p.Editions {
			eds[i] = string(e)
		}
		slices.Sort(eds)
		name := p.Name
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, dash(p.Version), dash(strings.Join(eds, ",")), p.State, p.Path, p.Reason)
	}
	_ = tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
