package pluginmgr

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseManifest(t *testing.T) {
	sumA := strings.Repeat("ab", 32)
	sumB := strings.Repeat("01", 32)
	tests := []struct {
		name    string
		in      string
		want    map[string]string // file -> hex sum
		wantErr string
	}{
		{"empty", "", map[string]string{}, ""},
		{"sha256sum text mode", sumA + "  rmm-provider-a\n" + sumB + "  rmm-provider-b\n",
			map[string]string{"rmm-provider-a": sumA, "rmm-provider-b": sumB}, ""},
		{"binary mode and CRLF and blank lines", "\n" + sumA + " *rmm-provider-a\r\n\n",
			map[string]string{"rmm-provider-a": sumA}, ""},
		{"upper-case hex", strings.ToUpper(sumA) + "  rmm-provider-a\n", map[string]string{"rmm-provider-a": sumA}, ""},
		{"dot-slash prefix", sumA + "  ./rmm-provider-a\n", map[string]string{"rmm-provider-a": sumA}, ""},
		{"same line twice", sumA + "  rmm-provider-a\n" + sumA + "  rmm-provider-a\n", map[string]string{"rmm-provider-a": sumA}, ""},
		{"listed twice with different sums", sumA + "  rmm-provider-a\n" + sumB + "  rmm-provider-a\n", nil, "line 2: rmm-provider-a is listed twice"},
		{"short checksum", "abcd  rmm-provider-a\n", nil, "line 1"},
		{"not hex", strings.Repeat("zz", 32) + "  rmm-provider-a\n", nil, "line 1: checksum is not hex"},
		{"no file name", sumA + "\n", nil, "line 1"},
		{"path outside the directory", sumA + "  ../bin/rmm-provider-a\n", nil, "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseManifest(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d entries, want %d", len(got), len(tt.want))
			}
			for file, sum := range tt.want {
				if hex.EncodeToString(got[file]) != sum {
					t.Errorf("%s: sum %x, want %s", file, got[file], sum)
				}
			}
		})
	}
}

func TestReadManifest(t *testing.T) {
	dir := t.TempDir()
	m, err := readManifest(dir)
	if m != nil || err != nil {
		t.Fatalf("missing manifest: got (%v, %v), want (nil, nil)", m, err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), []byte("garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readManifest(dir); err == nil || !strings.Contains(err.Error(), ManifestFile) {
		t.Fatalf("malformed manifest: err = %v, want one naming %s", err, ManifestFile)
	}
}

func TestVerify(t *testing.T) {
	dir := t.TempDir()
	content := []byte("#!/bin/sh\nexit 0\n")
	path := filepath.Join(dir, "rmm-provider-x")
	if err := os.WriteFile(path, content, 0o755); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	other := sha256.Sum256([]byte("something else"))
	bin := binary{file: "rmm-provider-x", path: path}
	listed := manifest{"rmm-provider-x": sum[:]}
	wrong := manifest{"rmm-provider-x": other[:]}
	unlisted := manifest{"rmm-provider-y": sum[:]}

	tests := []struct {
		name        string
		m           manifest
		manifestErr error
		strict      bool
		wantRefused string // substring; "" means allowed
		wantWarning string // substring; "" means verified
	}{
		{"listed and matching, strict", listed, nil, true, "", ""},
		{"listed and matching, lax", listed, nil, false, "", ""},
		{"mismatch refused when strict", wrong, nil, true, "checksum mismatch", ""},
		{"mismatch refused even when lax", wrong, nil, false, "checksum mismatch", ""},
		{"unlisted refused when strict", unlisted, nil, true, "not listed", ""},
		{"unlisted allowed when lax", unlisted, nil, false, "", "not listed"},
		{"no manifest refused when strict", nil, nil, true, "no SHA256SUMS", ""},
		{"no manifest allowed when lax", nil, nil, false, "", "no SHA256SUMS"},
		{"invalid manifest refused even when lax", nil, os.ErrInvalid, false, "manifest is invalid", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := verify(bin, tt.m, tt.manifestErr, tt.strict)
			if !matches(v.refused, tt.wantRefused) {
				t.Errorf("refused = %q, want %q", v.refused, tt.wantRefused)
			}
			if !matches(v.warning, tt.wantWarning) {
				t.Errorf("warning = %q, want %q", v.warning, tt.wantWarning)
			}
			if v.refused == "" && !bytes.Equal(v.sum, sum[:]) {
				t.Errorf("allowed with sum %x, want the file's %x", v.sum, sum)
			}
		})
	}
}

// matches reports whether got is empty when want is, and contains want
// otherwise.
func matches(got, want string) bool {
	if want == "" {
		return got == ""
	}
	return strings.Contains(got, want)
}
