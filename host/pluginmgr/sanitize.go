package pluginmgr

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// minSecretLen is the shortest secret value that is masked; shorter
// values would mask ordinary words.
const minSecretLen = 4

// mask replaces a secret in text returned by a plugin.
const mask = "****"

// sanitizer masks a request's secret values in what a plugin returns, in
// case a provider echoes a credential into an error or a message.
type sanitizer struct {
	secrets []string // longest first, so a secret containing another is masked whole
}

func newSanitizer(sets ...map[string]string) sanitizer {
	var s sanitizer
	for _, set := range sets {
		for _, v := range set {
			if len(v) >= minSecretLen && !slices.Contains(s.secrets, v) {
				s.secrets = append(s.secrets, v)
			}
		}
	}
	slices.SortFunc(s.secrets, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return s
}

func (s sanitizer) text(msg string) string {
	for _, v := range s.secrets {
		msg = strings.ReplaceAll(msg, v, mask)
	}
	return msg
}

func (s sanitizer) texts(msgs []string) []string {
	if msgs == nil {
		return nil
	}
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = s.text(m)
	}
	return out
}

func (s sanitizer) values(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = s.text(v)
	}
	return out
}

// error returns err unchanged when its message holds no secret. Otherwise
// it returns a replacement with the masked message that keeps what callers
// test for (the rmm kind, RetryAfter, context errors) and drops the rest of
// the chain, which could hold the secret in fields of its own.
func (s sanitizer) error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := s.text(msg)
	if clean == msg {
		return err
	}
	masked := &maskedError{msg: clean}
	if k := rmm.Kind(err); k != nil {
		masked.causes = append(masked.causes, &rmm.Error{Kind: k, RetryAfter: rmm.RetryAfter(err)})
	}
	for _, c := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, c) {
			masked.causes = append(masked.causes, c)
		}
	}
	return masked
}

// maskedError is a plugin error whose message had a secret masked.
type maskedError struct {
	msg    string
	causes []error
}

func (e *maskedError) Error() string   { return e.msg }
func (e *maskedError) Unwrap() []error { return e.causes }
