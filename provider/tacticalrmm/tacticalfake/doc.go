// Package tacticalfake is an httptest server that behaves like a stock
// Tactical RMM v1.5.1 API host, as written down in
// shared/tactical/API.md, for the provider's unit, conformance and
// integration tests.
//
// What it reproduces:
//   - routes at the host root, Django's APPEND_SLASH 301 for every method,
//     its HTML 404 and 500 pages, DRF's JSON 405/406 and error bodies;
//   - X-API-KEY and knox "Authorization: Token" auth with every 401 text,
//     the 5-hour sliding token, /v2/checkcreds/ and /v2/login/ (TOTP, with
//     their odd error shapes and KeyError 500s), the login throttles with
//     Retry-After, /logout/ and /logoutall/, and role permissions (403);
//   - /core/version/ and /core/dashinfo/, per release (Options.Version);
//   - the beta API: DRF page-number pagination with absolute, sorted-query
//     links, the agent filters, the ?agent_id= 500, the unpaginated client
//     list, and the detail serializer with its computed hardware fields;
//   - /agents/, /agents/<agent_id>/, /clients/, /clients/sites/, the three
//     modes of PATCH /alerts/, and /software/;
//   - agent status from last_seen against the fake's clock (Options.Now),
//     with Tactical's strict comparisons;
//   - the dashboard host (Options.SPA) and a server without the beta API
//     (Options.BetaDisabled).
//
// Write endpoints (PUT/POST/DELETE on agents, clients, alerts, software,
// and the beta PUTs) are not implemented and answer 405.
//
// The fleet is generated deterministically from FleetSpec and lazily:
// agent i is computed from (seed, i) when a request needs it, with a small
// overlay for the mutations tests make, so a 100,000-agent fleet costs
// about a megabyte. Times are relative to the clock's reading when New ran,
// so two servers built at the same (fake) instant serve identical bytes.
// Pages are streamed. PreRender trades memory for speed in benchmarks.
//
// Tests steer it through mutations (Touch, SetLastSeen, MoveAgent,
// RemoveAgent, AddAlert, ResolveAlert, SetVersion), credentials (AddUser,
// AddAPIKey, IssueToken), fault injection (InjectFault) and observation
// (Requests, RequestLog, Agent, Counts). Every method is safe for
// concurrent use.
//
//	s := tacticalfake.NewT(t, tacticalfake.Options{Fleet: tacticalfake.DefaultFleet()})
//	req, _ := http.NewRequest("GET", s.URL()+"/beta/v1/agent/?page_size=1000", nil)
//	req.Header.Set("X-API-KEY", tacticalfake.DefaultAPIKey)
package tacticalfake
