package pluginmgr

import (
	"bytes"
	"encoding/hex"
	"fmt"
)

// verdict is what verification decided about one binary.
type verdict struct {
	sum     []byte // the checksum to hold the binary to at exec time
	refused string // why it must not run; "" when it may
	warning string // why it runs unverified; "" when verified
}

// verify checks bin against the manifest. manifestErr is the error reading
// the manifest, if any; m is nil when the manifest is missing. A listed
// binary whose hash differs, or an unreadable manifest, is refused however
// strict the host is.
func verify(bin binary, m manifest, manifestErr error, strict bool) verdict {
	if manifestErr != nil {
		return verdict{refused: fmt.Sprintf("manifest is invalid: %v", manifestErr)}
	}
	sum, err := fileSHA256(bin.path)
	if err != nil {
		return verdict{refused: fmt.Sprintf("cannot hash binary: %v", err)}
	}
	want, listed := m[bin.file]
	switch {
	case listed && bytes.Equal(want, sum):
		return verdict{sum: sum}
	case listed:
		return verdict{sum: sum, refused: fmt.Sprintf("checksum mismatch: %s lists %s, binary is %s",
			ManifestFile, hex.EncodeToString(want), hex.EncodeToString(sum))}
	case m == nil && strict:
		return verdict{sum: sum, refused: fmt.Sprintf("no %s manifest in the plugin directory (strict mode)", ManifestFile)}
	case m == nil:
		return verdict{sum: sum, warning: fmt.Sprintf("no %s manifest in the plugin directory; running unverified", ManifestFile)}
	case strict:
		return verdict{sum: sum, refused: fmt.Sprintf("not listed in %s (strict mode)", ManifestFile)}
	default:
		return verdict{sum: sum, warning: fmt.Sprintf("not listed in %s; running unverified", ManifestFile)}
	}
}
