package rmmplugin

import (
	"context"
	"runtime/debug"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/msp-psa/psa-host/shared/rmmgrpc"
)

// NewGRPCServer is a go-plugin GRPCServer factory: the message limits of
// rmmgrpc and panic recovery, logging panics through Logger.
func NewGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	return GRPCServerFunc(Logger())(opts)
}

// GRPCServerFunc returns a GRPCServer factory like NewGRPCServer's that
// logs panics through log.
func GRPCServerFunc(log hclog.Logger) func([]grpc.ServerOption) *grpc.Server {
	return func(opts []grpc.ServerOption) *grpc.Server {
		opts = append(opts, rmmgrpc.ServerOptions()...)
		opts = append(opts,
			grpc.ChainUnaryInterceptor(recoverUnary(log)),
			grpc.ChainStreamInterceptor(recoverStream(log)))
		return grpc.NewServer(opts...)
	}
}

// A panic in an RPC fails that RPC with Internal instead of killing the
// process, which serves every integration of every tenant. A panic in a
// goroutine the provider started itself still ends the process.
func recoverUnary(log hclog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (_ any, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = panicked(log, info.FullMethod, r)
			}
		}()
		return handler(ctx, req)
	}
}

func recoverStream(log hclog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = panicked(log, info.FullMethod, r)
			}
		}()
		return handler(srv, ss)
	}
}

// panicked logs the panic with its stack and returns the status for the
// host. The panic value stays in the log: it may hold request data.
func panicked(log hclog.Logger, method string, r any) error {
	log.Error("panic in RPC", "method", method, "panic", r, "stack", string(debug.Stack()))
	return status.Errorf(codes.Internal, "plugin panic in %s (the stack is in the plugin log)", method)
}
