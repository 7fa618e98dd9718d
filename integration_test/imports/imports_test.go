package imports

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const module = "github.com/msp-psa/psa-host"

// importRule says which of this module's packages a package may import
// directly; standard library and third-party imports are always allowed.
type importRule struct {
	from  string   // package path prefix, relative to the module
	allow []string // allowed relative path prefixes ("" = none)
}

// The layout's import rules (ARCHITECTURE.md): the contract imports nothing
// of ours, providers see only the contract, plugins glue one provider to the
// serve helper, and the host never links a provider in.
var importRules = []importRule{
	{from: "shared/", allow: []string{"shared/"}},
	{from: "provider/", allow: []string{"shared/rmm", "shared/providertest", "provider/"}},
	{from: "plugin/", allow: []string{"shared/rmmplugin", "shared/rmm", "provider/"}},
	// Host tests may launch the conformance suite's fake provider.
	{from: "host/", allow: []string{"host/", "shared/rmm", "shared/rmmgrpc", "shared/providertest", "migrations"}},
	// The schema tests run the migrations on a throwaway cluster.
	{from: "migrations", allow: []string{"migrations", "host/pgcluster"}},
}

func TestImportBoundaries(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	cmd := exec.Command("go", "list", "-e", "-f",
		`{{.ImportPath}} {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}`, "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")
		if pkg == fields[0] {
			continue
		}
		checked++
		for _, imp := range fields[1:] {
			rel, ours := strings.CutPrefix(imp, module+"/")
			if !ours || strings.HasPrefix(rel, strings.TrimSuffix(pkg, "_test")) {
				continue
			}
			if v := violation(pkg, rel); v != "" {
				t.Errorf("%s imports %s: %s", pkg, rel, v)
			}
		}
	}
	if checked == 0 {
		t.Fatal("go list returned no packages of this module")
	}
}

func violation(pkg, imp string) string {
	for _, r := range importRules {
		if !strings.HasPrefix(pkg, r.from) {
			continue
		}
		for _, a := range r.allow {
			if imp == a || strings.HasPrefix(imp, strings.TrimSuffix(a, "/")+"/") || (strings.HasSuffix(a, "/") && strings.HasPrefix(imp, a)) {
				return ""
			}
		}
		return "not allowed for " + r.from + " (see ARCHITECTURE.md import rules)"
	}
	return ""
}

func TestImportRulesCatchViolations(t *testing.T) {
	cases := []struct {
		pkg, imp string
		bad      bool
	}{
		{"host/api", "provider/tacticalrmm", true},
		{"host/api", "shared/rmmgrpc", false},
		{"shared/rmmgrpc", "host/pluginmgr", true},
		{"shared/providertest", "shared/rmmgrpc", false},
		{"provider/tacticalrmm", "host/store", true},
		{"provider/tacticalrmm", "shared/rmmgrpc", true},
		{"provider/tacticalrmm", "shared/rmm", false},
		{"plugin/tacticalrmm", "shared/rmmplugin", false},
		{"plugin/tacticalrmm", "host/store", true},
	}
	for _, c := range cases {
		if got := violation(c.pkg, c.imp) != ""; got != c.bad {
			t.Errorf("violation(%s -> %s) = %v, want %v", c.pkg, c.imp, got, c.bad)
		}
	}
}
