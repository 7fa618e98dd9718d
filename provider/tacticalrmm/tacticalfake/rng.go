package tacticalfake

// rng is a splitmix64 stream. Every generated value is drawn from a stream
// keyed by (seed, what, index), so any agent can be rebuilt alone, in any
// order, with the same result.
type rng struct{ s uint64 }

// Stream keys: one per kind of generated data, so adding draws to one kind
// never shifts another.
const (
	streamCore uint64 = iota + 1
	streamStatic
	streamVolatile
	streamSoftware
	streamAgentID
	streamClients
	streamAlerts
	streamPerm
)

func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func newRNG(seed int64, stream, index, extra uint64) rng {
	s := mix64(uint64(seed) + 0x9e3779b97f4a7c15)
	s = mix64(s ^ (stream * 0xd1b54a32d192ed03))
	s = mix64(s ^ (index + 0x632be59bd9b4e019))
	s = mix64(s ^ (extra * 0x8cb92ba72f3d8dd7))
	return rng{s: s}
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// intn returns a value in [0, n); n must be > 0.
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// between returns a value in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

func (r *rng) chance(p float64) bool { return r.float() < p }

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }
