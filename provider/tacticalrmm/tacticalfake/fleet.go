package tacticalfake

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
)

type platform uint8

const (
	platWindows platform = iota
	platLinux
	platDarwin
)

func (p platform) String() string {
	switch p {
	case platLinux:
		return "linux"
	case platDarwin:
		return "darwin"
	}
	return "windows"
}

// fleet is the immutable generated base. Agents are not stored: agent i is
// a pure function of (spec.Seed, i); clients and sites are few and kept.
type fleet struct {
	spec    FleetSpec
	t0      time.Time // "now" when the fleet was generated; ages are relative to it
	n       int
	nWin    int
	nLin    int
	clients []clientRec // by id: clients[id-1]
	sites   []siteRec   // by id: sites[id-siteBase-1]
	byName  []int       // client indices ordered by name
	// platform permutation j = (permA*i + permB) mod n
	permA, permB uint64
	// agent id index encoding, invertible mod 2^45
	idMul, idInv, idMask uint64
}

type clientRec struct {
	id                     int
	name, code             string
	createdBy, modifiedBy  string
	created, modified      time.Time
	blockInheritance       bool
	failError, failWarning bool
	workstationPolicy      int
	serverPolicy           int
	alertTemplate          int
	siteIDs                []int
}

type siteRec struct {
	id, clientID           int
	name                   string
	createdBy, modifiedBy  string
	created, modified      time.Time
	blockInheritance       bool
	failError, failWarning bool
	workstationPolicy      int
	serverPolicy           int
	alertTemplate          int
}

const idBits = 45

func newFleet(spec FleetSpec, now time.Time) *fleet {
	if spec.Agents < 0 {
		spec.Agents = 0
	}
	if spec.Agents > 0 && spec.Clients < 1 {
		spec.Clients = 1
	}
	if spec.Clients > 0 && spec.SitesPerClient < 1 {
		spec.SitesPerClient = 1
	}
	if spec.WindowsShare == 0 && spec.LinuxShare == 0 {
		spec.WindowsShare, spec.LinuxShare = 0.8, 0.15
	}
	f := &fleet{spec: spec, t0: now, n: spec.Agents}
	f.nWin = min(f.n, int(math.Round(float64(f.n)*clamp01(spec.WindowsShare))))
	f.nLin = min(f.n-f.nWin, int(math.Round(float64(f.n)*clamp01(spec.LinuxShare))))

	r := newRNG(spec.Seed, streamPerm, 0, 0)
	if f.n > 0 {
		f.permA = r.next()%uint64(f.n) | 1
		for gcd(f.permA, uint64(f.n)) != 1 {
			f.permA++
		}
		f.permB = r.next() % uint64(f.n)
	}
	mask := uint64(1)<<idBits - 1
	f.idMul = (r.next() | 1) & mask
	f.idInv = inverseMod2k(f.idMul, idBits)
	f.idMask = r.next() & mask

	f.genClients()
	return f
}

func clamp01(x float64) float64 { return math.Max(0, math.Min(1, x)) }

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// inverseMod2k returns x with a*x = 1 mod 2^k, for odd a (Newton's method).
func inverseMod2k(a uint64, k uint) uint64 {
	x := a // correct to 3 bits for odd a
	for range 6 {
		x *= 2 - a*x
	}
	return x & (uint64(1)<<k - 1)
}

func (f *fleet) siteBase() int { return len(f.clients) }

func (f *fleet) genClients() {
	used := map[string]bool{}
	nc, ns := f.spec.Clients, f.spec.SitesPerClient
	f.clients = make([]clientRec, 0, nc)
	f.sites = make([]siteRec, 0, nc*ns)
	for k := range nc {
		r := newRNG(f.spec.Seed, streamClients, uint64(k), 0)
		name := pick(&r, clientFirstWords) + " " + pick(&r, clientSecondWords)
		for n := 2; used[name]; n++ {
			name = fmt.Sprintf("%s %s %d", pick(&r, clientFirstWords), pick(&r, clientSecondWords), n)
		}
		used[name] = true
		created := f.t0.Add(-time.Duration(r.between(200, 900))*24*time.Hour - time.Duration(r.intn(86400e6))*time.Microsecond)
		c := clientRec{
			id: k + 1, name: name, code: clientCode(name),
			createdBy: pick(&r, auditUsers), created: created,
			modified:         created.Add(time.Duration(r.intn(150*86400e6)) * time.Microsecond),
			blockInheritance: r.chance(0.1),
			failError:        r.chance(0.3), failWarning: r.chance(0.4),
			workstationPolicy: optionalInt(&r, 0.3, 3), serverPolicy: optionalInt(&r, 0.3, 2),
			alertTemplate: optionalInt(&r, 0.5, 2),
		}
		if r.chance(0.6) {
			c.modifiedBy = c.createdBy
		}
		for j := range ns {
			s := siteRec{
				id: nc + len(f.sites) + 1, clientID: c.id, name: siteNames[(j+k)%len(siteNames)],
				createdBy: c.createdBy, created: c.created.Add(time.Duration(j) * 37 * time.Hour),
				blockInheritance: r.chance(0.05),
				failError:        r.chance(0.2), failWarning: r.chance(0.3),
				serverPolicy: optionalInt(&r, 0.2, 4), alertTemplate: optionalInt(&r, 0.3, 2),
			}
			if j >= len(siteNames) {
				s.name = fmt.Sprintf("%s %d", siteNames[(j+k)%len(siteNames)], j/len(siteNames)+1)
			}
			s.modified = s.created.Add(time.Duration(r.intn(90*86400e6)) * time.Microsecond)
			if r.chance(0.5) {
				s.modifiedBy = s.createdBy
			}
			f.sites = append(f.sites, s)
			c.siteIDs = append(c.siteIDs, s.id)
		}
		f.clients = append(f.clients, c)
	}
	f.byName = make([]int, nc)
	for i := range f.byName {
		f.byName[i] = i
	}
	slices.SortStableFunc(f.byName, func(a, b int) int { return strings.Compare(f.clients[a].name, f.clients[b].name) })
}

func optionalInt(r *rng, p float64, v int) int {
	if r.chance(p) {
		return v
	}
	return 0
}

// clientCode is the hostname prefix for a client: its first word's
// letters, upper-cased, at most five.
func clientCode(name string) string {
	var b strings.Builder
	for _, c := range strings.Fields(name)[0] {
		if unicode.IsLetter(c) && b.Len() < 5 {
			b.WriteRune(unicode.ToUpper(c))
		}
	}
	return b.String()
}

func (f *fleet) client(id int) *clientRec {
	if id < 1 || id > len(f.clients) {
		return nil
	}
	return &f.clients[id-1]
}

func (f *fleet) site(id int) *siteRec {
	k := id - f.siteBase() - 1
	if k < 0 || k >= len(f.sites) {
		return nil
	}
	return &f.sites[k]
}

// agentCore is everything about an agent that lists filter on: cheap to
// compute, no strings.
type agentCore struct {
	idx, pk     int
	plat        platform
	server      bool
	siteID      int
	baseSiteID  int
	lastSeen    time.Time // zero: null
	created     time.Time
	modified    time.Time
	offlineMin  int
	overdueMin  int
	profile     int // hardware profile index for the platform
	maintenance bool
	rev         int // bumped by Touch
}

// overlay holds the mutations tests made to one agent.
type overlay struct {
	rev         int
	modified    time.Time
	lastSeen    time.Time
	lastSeenSet bool
	siteID      int
	removed     bool
}

func (f *fleet) platOf(i int) platform {
	j := int((f.permA*uint64(i) + f.permB) % uint64(f.n))
	switch {
	case j < f.nWin:
		return platWindows
	case j < f.nWin+f.nLin:
		return platLinux
	}
	return platDarwin
}

// core computes agent i's list-relevant fields, with ov (may be nil) applied.
func (f *fleet) core(i int, ov *overlay) agentCore {
	r := newRNG(f.spec.Seed, streamCore, uint64(i), 0)
	c := agentCore{idx: i, pk: i + 1, plat: f.platOf(i), offlineMin: 4, overdueMin: 30}
	if len(f.sites) > 0 {
		c.baseSiteID = f.sites[r.intn(len(f.sites))].id
	}
	c.siteID = c.baseSiteID
	switch c.plat {
	case platWindows:
		c.server = r.chance(0.2)
		c.profile = r.intn(4)
		if c.server {
			c.profile = 4 + r.intn(3)
		}
	case platLinux:
		c.server = r.chance(0.9)
		c.profile = r.intn(2)
	case platDarwin:
		c.profile = 0
	}
	if r.chance(0.05) { // bulk_change_checkin made these laxer
		c.offlineMin, c.overdueMin = 10, 60
	}
	var age time.Duration
	switch p := r.float(); {
	case p < 0.85: // online: checked in within the last 2.5 minutes
		age = time.Duration(r.between(3, 150)) * time.Second
	case p < 0.93: // offline but not yet overdue
		age = time.Duration(r.between(c.offlineMin*60+20, c.overdueMin*60-20)) * time.Second
	default: // overdue: 31 minutes to 30 days
		age = time.Duration(r.between(c.overdueMin*60+60, 30*86400)) * time.Second
	}
	age += time.Duration(r.intn(1e6)) * time.Microsecond
	c.lastSeen = f.t0.Add(-age)
	c.created = f.t0.Add(-time.Duration(r.between(40, 700))*24*time.Hour - time.Duration(r.intn(86400e6))*time.Microsecond)
	c.modified = c.lastSeen
	c.maintenance = r.chance(0.03)
	if ov != nil {
		c.rev = ov.rev
		if ov.siteID != 0 {
			c.siteID = ov.siteID
		}
		if ov.lastSeenSet {
			c.lastSeen = ov.lastSeen
		}
		if !ov.modified.IsZero() {
			c.modified = ov.modified
		}
	}
	return c
}

func (f *fleet) clientOfSite(siteID int) int {
	if s := f.site(siteID); s != nil {
		return s.clientID
	}
	return 0
}

const idLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// agentID is 40 ASCII letters like rmmagent's GenerateAgentID. The last 8
// letters encode the index (scrambled), so lookups need no table.
func (f *fleet) agentID(i int) string {
	var b [40]byte
	r := newRNG(f.spec.Seed, streamAgentID, uint64(i), 0)
	for k := range 32 {
		b[k] = idLetters[r.intn(len(idLetters))]
	}
	v := ((uint64(i) * f.idMul) & (uint64(1)<<idBits - 1)) ^ f.idMask
	for k := 39; k >= 32; k-- {
		b[k] = idLetters[v%52]
		v /= 52
	}
	return string(b[:])
}

// indexOfAgentID inverts agentID; ok is false for ids the fleet never made.
func (f *fleet) indexOfAgentID(id string) (int, bool) {
	if len(id) != 40 {
		return 0, false
	}
	var v uint64
	for k := 32; k < 40; k++ {
		d := strings.IndexByte(idLetters, id[k])
		if d < 0 {
			return 0, false
		}
		v = v*52 + uint64(d)
	}
	mask := uint64(1)<<idBits - 1
	if v > mask {
		return 0, false
	}
	i := ((v ^ f.idMask) * f.idInv) & mask
	if i >= uint64(f.n) || f.agentID(int(i)) != id {
		return 0, false
	}
	return int(i), true
}

// hostname is unique: it carries the agent's number.
func (f *fleet) hostname(c agentCore) string {
	code := "HOST"
	if cl := f.client(f.clientOfSite(c.baseSiteID)); cl != nil {
		code = cl.code
	}
	r := newRNG(f.spec.Seed, streamStatic, uint64(c.idx), 1)
	switch {
	case c.plat == platWindows && c.server:
		return fmt.Sprintf("%s-%s%02d", code, pick(&r, winServerRoles), c.idx+1)
	case c.plat == platWindows:
		return fmt.Sprintf("%s-WS-%03d", code, c.idx+1)
	case c.plat == platLinux:
		return fmt.Sprintf("%s-%s-%02d", strings.ToLower(code), pick(&r, linuxRoles), c.idx+1)
	}
	return fmt.Sprintf("%ss-MacBook-Pro-%d", pick(&r, firstNames), c.idx+1)
}

// status is Agent.status with its strict comparisons (API.md §5.3).
func status(lastSeen, now time.Time, offlineMin, overdueMin int) string {
	if lastSeen.IsZero() {
		return "offline"
	}
	offline := now.Add(-time.Duration(offlineMin) * time.Minute)
	overdue := now.Add(-time.Duration(overdueMin) * time.Minute)
	if lastSeen.Before(offline) && lastSeen.After(overdue) {
		return "offline"
	}
	if lastSeen.Before(offline) && lastSeen.Before(overdue) {
		return "overdue"
	}
	return "online"
}
