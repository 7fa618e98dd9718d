package pluginmgr

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ManifestFile is the checksum manifest in the plugin directory, in
// sha256sum's output format ("<64 hex>  <file name>").
const ManifestFile = "SHA256SUMS"

// manifest maps a plugin file name to its expected SHA-256.
type manifest map[string][]byte

// readManifest reads dir's manifest. A missing file is (nil, nil): the
// caller decides what that means under its strictness.
func readManifest(dir string) (manifest, error) {
	f, err := os.Open(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", ManifestFile, err)
	}
	defer f.Close()
	m, err := parseManifest(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	return m, nil
}

// parseManifest parses sha256sum output. Text-mode ("  name") and
// binary-mode (" *name") lines are both accepted; blank lines are skipped.
// A malformed line, or one file listed twice with different sums, makes the
// whole manifest invalid: a manifest that cannot be read exactly is not
// trusted.
func parseManifest(r io.Reader) (manifest, error) {
	m := manifest{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		sumHex, name, ok := strings.Cut(line, " ")
		if !ok || len(sumHex) != sha256.Size*2 {
			return nil, fmt.Errorf("line %d: want \"<sha256>  <file>\"", n)
		}
		sum, err := hex.DecodeString(sumHex)
		if err != nil {
			return nil, fmt.Errorf("line %d: checksum is not hex", n)
		}
		name = strings.TrimPrefix(name, " ")
		name = strings.TrimPrefix(name, "*")
		name = filepath.Clean(name)
		if name == "." || strings.ContainsRune(name, filepath.Separator) {
			return nil, fmt.Errorf("line %d: %q is not a file name in the plugin directory", n, name)
		}
		if prev, dup := m[name]; dup && !bytes.Equal(prev, sum) {
			return nil, fmt.Errorf("line %d: %s is listed twice with different checksums", n, name)
		}
		m[name] = sum
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return m, nil
}

// fileSHA256 hashes the file at path.
func fileSHA256(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// WriteManifest writes dir's manifest listing files (names in dir) with
// their checksums, as `sha256sum rmm-provider-* > SHA256SUMS` (make
// manifest) does; tests and the benchmark use it for the plugins they build.
func WriteManifest(dir string, files ...string) error {
	var b strings.Builder
	for _, name := range files {
		sum, err := fileSHA256(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("write %s: %w", ManifestFile, err)
		}
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(sum), name)
	}
	return os.WriteFile(filepath.Join(dir, ManifestFile), []byte(b.String()), 0o644)
}
