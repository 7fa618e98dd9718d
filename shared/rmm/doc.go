// Package rmm is the contract between the PSA host and its RMM provider
// plugins: the Provider interface, the records a provider returns, the Sink
// that receives them in batches, and the sentinel errors both sides agree on.
//
// It is Go-native on purpose. The wire format (protobuf over go-plugin gRPC)
// stays internal to the shared module, so a provider author writes plain Go
// and the protocol can evolve without touching provider code.
//
// A provider is a stateless translator: every request carries the
// Integration it is for, so one plugin process serves many tenants and many
// connections at once. It never touches the host's database. Credentials it
// obtains (a session token, a refreshed OAuth token) come back in results as
// NewSecrets for the host to store encrypted.
package rmm
