package rmmgrpc

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// errorDomain names this protocol in ErrorInfo details, so the host only
// trusts reasons a compatible plugin set.
const errorDomain = "psa.rmm.v1"

// errorKinds is the one table both directions use. Several kinds share a
// gRPC code; the ErrorInfo reason tells them apart. byCode marks the kind a
// bare status of that code (no ErrorInfo: grpc-go itself, or a foreign
// server) stands for.
var errorKinds = [...]struct {
	kind   error
	code   codes.Code
	reason string
	byCode bool
}{
	{rmm.ErrUnauthorized, codes.Unauthenticated, "UNAUTHORIZED", true},
	{rmm.ErrForbidden, codes.PermissionDenied, "FORBIDDEN", true},
	{rmm.ErrNotFound, codes.NotFound, "NOT_FOUND", true},
	// ResourceExhausted without a reason is grpc-go's own "message too
	// large", not a rate limit.
	{rmm.ErrRateLimited, codes.ResourceExhausted, "RATE_LIMITED", false},
	// An old plugin answers an RPC it does not know with Unimplemented.
	{rmm.ErrUnsupported, codes.Unimplemented, "UNSUPPORTED", true},
	{rmm.ErrInvalidConfig, codes.InvalidArgument, "INVALID_CONFIG", false},
	{rmm.ErrInvalidInput, codes.InvalidArgument, "INVALID_INPUT", true},
	{rmm.ErrUpstreamUnavailable, codes.Unavailable, "UPSTREAM_UNAVAILABLE", false},
	// A bare Unavailable is the transport: the plugin cannot be reached.
	{rmm.ErrPluginUnavailable, codes.Unavailable, "PLUGIN_UNAVAILABLE", true},
}

// Metadata key in ErrorInfo for a context error that an error of a known
// kind also wraps, so both identities survive.
const contextKey = "context"

// toStatus turns a provider's error into a gRPC status error (plugin side).
// The message is err.Error(); the kind travels as an ErrorInfo reason, the
// retry delay as RetryInfo.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	code, info := codes.Unknown, &errdetails.ErrorInfo{Domain: errorDomain}
	switch {
	case errors.Is(err, context.Canceled):
		code, info.Metadata = codes.Canceled, map[string]string{contextKey: "canceled"}
	case errors.Is(err, context.DeadlineExceeded):
		code, info.Metadata = codes.DeadlineExceeded, map[string]string{contextKey: "deadline_exceeded"}
	}
	if kind := rmm.Kind(err); kind != nil {
		for _, k := range errorKinds {
			if k.kind == kind {
				code, info.Reason = k.code, k.reason
			}
		}
	}
	st := status.New(code, err.Error())
	details := []protoadapt.MessageV1{info}
	if d := rmm.RetryAfter(err); d > 0 {
		details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(d)})
	}
	if withDetails, derr := st.WithDetails(details...); derr == nil {
		st = withDetails
	}
	return st.Err()
}

// fromStatus turns a gRPC status error back into an *rmm.Error (host side)
// whose Kind is the sentinel the plugin raised, or nil for an error of no
// known kind. Context errors keep their identity through Err.
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	out := &rmm.Error{Msg: st.Message()}
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			if d.GetDomain() == errorDomain {
				info = d
			}
		case *errdetails.RetryInfo:
			out.RetryAfter = d.GetRetryDelay().AsDuration()
		}
	}
	for _, k := range errorKinds {
		if (info != nil && info.GetReason() == k.reason) || (info == nil && k.byCode && k.code == st.Code()) {
			out.Kind = k.kind
			break
		}
	}
	switch {
	case info.GetMetadata()[contextKey] == "canceled", info == nil && st.Code() == codes.Canceled:
		out.Err = context.Canceled
	case info.GetMetadata()[contextKey] == "deadline_exceeded", info == nil && st.Code() == codes.DeadlineExceeded:
		out.Err = context.DeadlineExceeded
	}
	if out.Kind != nil {
		// The plugin's message usually starts with the kind, which
		// *rmm.Error adds again.
		if out.Msg == out.Kind.Error() {
			out.Msg = ""
		}
		out.Msg = strings.TrimPrefix(out.Msg, out.Kind.Error()+": ")
	}
	return out
}
