// Package store keeps the node's records — persons, biometric samples, encounters, family
// links, identity conflicts, organisations, users and the audit log — behind one interface,
// Store. The embedded implementation (store/sqlite) is one SQLite file in WAL mode; a
// PostgreSQL implementation can satisfy the same interface later.
//
// Invariants every implementation keeps:
//   - A method that returns nil has made its change durable: it survives a crash (kill -9) of
//     the process the moment the method returns.
//   - A change and the audit entry passed with it commit together or not at all, so the log
//     never misses a change and never records one that did not happen.
//   - Audit entries are sealed (audit.Entry.Seal) in commit order, so the chain follows the
//     order in which changes became visible.
//   - Outbox messages passed with a change (OutboxMessage) commit with it too: a message
//     exists exactly when its change does, so what must follow a change (an event for
//     partners) is neither lost in a crash after the commit nor sent for a change that
//     did not happen.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/biomesh/biomesh/audit"
)

// Errors callers test with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflicting state") // e.g. deleting a person under an active watch
)

// WatchLevel says how a person's sighting must be handled.
type WatchLevel string

// Watch levels, in increasing severity.
const (
	WatchNone    WatchLevel = "none"
	WatchMonitor WatchLevel = "monitor" // log and inform the owner
	WatchAlert   WatchLevel = "alert"   // alert the watching units at once
	WatchDetain  WatchLevel = "detain"  // alert and detain
)

// Severity orders watch levels: none 0 … detain 3, and -1 for an unknown level.
func (w WatchLevel) Severity() int {
	switch w {
	case WatchNone, "":
		return 0
	case WatchMonitor:
		return 1
	case WatchAlert:
		return 2
	case WatchDetain:
		return 3
	}
	return -1
}

// Categories a person may be enrolled under. Others may be configured; these are the
// defaults.
var Categories = []string{
	"detainee", "surrendered-fighter", "collaborator", "displaced-person", "family-member",
	"traveller", "suspect", "other",
}

// Watch is a person's watch status and who set it.
type Watch struct {
	Level  WatchLevel `json:"level"`
	Reason string     `json:"reason,omitempty"`
	SetBy  string     `json:"set_by,omitempty"` // user ID
	SetOrg string     `json:"set_org,omitempty"`
	SetAt  time.Time  `json:"set_at,omitzero"`
}

// Person is one individual's biographic record. ID is the system ID, assigned by the node.
type Person struct {
	ID          string    `json:"id"`
	Org         string    `json:"org"` // owning organisation
	Name        string    `json:"name,omitempty"`
	Aliases     []string  `json:"aliases,omitempty"`
	DateOfBirth string    `json:"date_of_birth,omitempty"` // YYYY, YYYY-MM or YYYY-MM-DD
	Sex         string    `json:"sex,omitempty"`           // M, F, X or U (ISO/IEC 5218-like)
	Nationality string    `json:"nationality,omitempty"`   // ISO 3166-1 alpha-3
	Category    string    `json:"category,omitempty"`
	Custody     string    `json:"custody,omitempty"` // custody notes, e.g. "released to tribal leadership"
	Watch       Watch     `json:"watch"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
}

// Modality of a biometric sample.
type Modality string

// Modalities.
const (
	Finger Modality = "finger"
	Face   Modality = "face"
	Iris   Modality = "iris"
	DNA    Modality = "dna"
)

// Sample is one biometric sample of a person (enrolled) or of an encounter (probe).
// Position is the ISO finger position 1–10 (0 unknown) for fingers, 1 right / 2 left for
// irises (0 unknown), 0 otherwise.
type Sample struct {
	ID          int64    `json:"id"`
	PersonID    string   `json:"person_id,omitempty"`
	Modality    Modality `json:"modality"`
	Position    int      `json:"position"`
	Image       []byte   `json:"-"`                      // compressed image (PNG, JPEG, WSQ, …); may be empty
	ImageFormat string   `json:"image_format,omitempty"` // "png", "jpeg", …
	Template    []byte   `json:"-"`                      // versioned template encoding of the modality
	// Prepared is the modality engine's search form of Template (its own versioned
	// encoding), kept so that galleries load without re-deriving it. It is a cache: empty
	// or unreadable, the loader derives it from Template. Only EachTemplate returns it.
	Prepared []byte    `json:"-"`
	Quality  int       `json:"quality"` // 0–100
	Device   string    `json:"device,omitempty"`
	Captured time.Time `json:"captured"`
}

// Encounter is one check of a person in the field or at a post: what was searched, where,
// by whom, and what came of it.
type Encounter struct {
	ID       string     `json:"id"`
	PersonID string     `json:"person_id,omitempty"` // the person found; "" when no hit
	Time     time.Time  `json:"time"`
	Place    string     `json:"place,omitempty"`
	Lat      *float64   `json:"lat,omitempty"`
	Lon      *float64   `json:"lon,omitempty"`
	Org      string     `json:"org"`
	User     string     `json:"user"`
	Unit     string     `json:"unit,omitempty"`
	Device   string     `json:"device,omitempty"`
	Purpose  string     `json:"purpose,omitempty"`
	Outcome  string     `json:"outcome,omitempty"` // e.g. "released", "detained", "referred"
	Hit      bool       `json:"hit"`
	Score    float64    `json:"score,omitempty"`
	Watch    WatchLevel `json:"watch,omitempty"`  // the person's watch level at the time
	Probes   []Sample   `json:"probes,omitempty"` // templates (and images when sent) of the probe
}

// FamilyLink is a claimed or confirmed relationship between two persons.
type FamilyLink struct {
	ID         int64     `json:"id"`
	PersonID   string    `json:"person_id"`
	RelativeID string    `json:"relative_id"`
	Relation   string    `json:"relation"` // "parent", "child", "sibling", "spouse", …: RelativeID is PersonID's <relation>
	Status     string    `json:"status"`   // "claimed", "confirmed-dna", "refuted-dna"
	Note       string    `json:"note,omitempty"`
	Created    time.Time `json:"created"`
	CreatedBy  string    `json:"created_by,omitempty"`
}

// Conflict statuses.
const (
	ConflictOpen      = "open"
	ConflictSame      = "same-person"
	ConflictDifferent = "different-persons"
)

// Conflict is a biometric match between two person records whose biographic data differ:
// one person enrolled under two identities, or two people wrongly matched.
type Conflict struct {
	ID         string    `json:"id"`
	PersonID   string    `json:"person_id"` // the record being enrolled or updated
	OtherID    string    `json:"other_id"`  // the existing record it matched
	Score      float64   `json:"score"`
	Modalities []string  `json:"modalities"`
	Reason     string    `json:"reason"` // which biographic fields differ
	Status     string    `json:"status"`
	Created    time.Time `json:"created"`
	ResolvedBy string    `json:"resolved_by,omitempty"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	Note       string    `json:"note,omitempty"`
}

// Roles a user may hold.
const (
	RoleEnroller = "enroller" // enrol, identify, encounters
	RoleScreener = "screener" // hit/no-hit and watch level only: never names or images
	RoleAnalyst  = "analyst"  // full records of their organisation
	RoleAuditor  = "auditor"  // the audit log
	RoleAdmin    = "admin"    // users, watch levels, deletion, conflicts
)

// Roles lists every role.
var Roles = []string{RoleEnroller, RoleScreener, RoleAnalyst, RoleAuditor, RoleAdmin}

// Org is an organisation that owns records and users.
type Org struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

// User is a holder of an API token. Only the token's SHA-256 hash is stored.
type User struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Org       string    `json:"org"`
	Role      string    `json:"role"`
	TokenHash []byte    `json:"-"`
	Created   time.Time `json:"created"`
	Disabled  bool      `json:"disabled,omitempty"`
}

// PersonQuery is a biographic search. Name matches names and aliases, case-insensitively,
// as a substring; empty fields do not restrict.
type PersonQuery struct {
	Name        string
	DateOfBirth string
	Nationality string
	Category    string
	Org         string // restrict to one owning organisation
	Limit       int    // 0 for the implementation's default (100)
}

// Deletion records that a person was deleted: the tombstone kept after the personal data is
// erased.
type Deletion struct {
	PersonID string    `json:"person_id"`
	Reason   string    `json:"reason"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// Merge records that two person records were found to be one person (an identity conflict
// resolved as the same person) and joined: Gone's samples, encounters, family links and
// names moved to Keep, and Gone's record removed. It is kept so that Gone's ID still
// explains itself.
type Merge struct {
	Keep       string    `json:"keep"`
	Gone       string    `json:"gone"`
	ConflictID string    `json:"conflict_id,omitempty"` // the conflict the merge resolves, if any
	By         string    `json:"by"`
	At         time.Time `json:"at"`
	Note       string    `json:"note,omitempty"`
}

// OutboxMessage is a transactional outbox message: written in the transaction of the change
// it follows from, kept until whoever delivers its topic has delivered it and removes it
// (Outbox). The store reads nothing in it.
type OutboxMessage struct {
	Seq     int64     `json:"seq"`     // assigned by the store: the commit order (read back only)
	ID      string    `json:"id"`      // unique and stable: the deliverer's de-duplication key
	Topic   string    `json:"topic"`   // who delivers it, e.g. "federation"
	Payload []byte    `json:"payload"` // what the deliverer needs
	Created time.Time `json:"created"`
}

// Outbox gives the outbox messages back to their deliverer.
type Outbox interface {
	// OutboxMessages returns up to limit messages of a topic (100 when limit ≤ 0), in
	// commit order.
	OutboxMessages(ctx context.Context, topic string, limit int) ([]OutboxMessage, error)
	// OutboxMessagesAfter is OutboxMessages from the message after Seq after on: a
	// deliverer with several destinations reads past what one of them holds back.
	OutboxMessagesAfter(ctx context.Context, topic string, after int64, limit int) ([]OutboxMessage, error)
	// DeleteOutbox removes delivered messages (by Seq); absent ones are ignored.
	DeleteOutbox(ctx context.Context, seqs []int64) error
	// AppendOutbox writes messages that follow from a decision the store keeps no record
	// of but its audit entry (e.g. an analyst's answer to a partner's follow-up request),
	// with that entry, in one transaction: the messages exist exactly when the entry does.
	// A message ID used before fails it all with ErrConflict.
	AppendOutbox(ctx context.Context, a *audit.Entry, out ...OutboxMessage) error
}

// Store is the node's persistence. Every method is safe for concurrent use. Methods that
// change data take the audit entry that records the change (never nil); the store seals it
// and commits it with the change. Those that change a person or log an encounter also take
// the outbox messages that follow from the change (IDs unique, else ErrConflict), and
// commit them with it too.
type Store interface {
	// CreatePerson stores a new person with its samples; p.ID must be set and unused.
	// Sample IDs are assigned and written back into samples.
	CreatePerson(ctx context.Context, p *Person, samples []Sample, a *audit.Entry, out ...OutboxMessage) error
	// AddSamples adds samples to an existing person (IDs written back).
	AddSamples(ctx context.Context, personID string, samples []Sample, a *audit.Entry, out ...OutboxMessage) error
	// UpdatePerson replaces the biographic fields of an existing person (not its watch).
	UpdatePerson(ctx context.Context, p *Person, a *audit.Entry, out ...OutboxMessage) error
	// SetWatch sets a person's watch status.
	SetWatch(ctx context.Context, personID string, w Watch, a *audit.Entry, out ...OutboxMessage) error
	// DeletePerson erases a person's biographic data, samples, family links and the probe
	// samples of their encounters, and keeps a tombstone (Deleted). The encounters stay, with
	// the person ID, so the log of who was seen where remains explained by the tombstone.
	DeletePerson(ctx context.Context, d Deletion, a *audit.Entry, out ...OutboxMessage) error
	// Person returns one person (ErrNotFound when absent or deleted).
	Person(ctx context.Context, id string) (*Person, error)
	// Deleted returns the tombstone of a deleted person (ErrNotFound otherwise).
	Deleted(ctx context.Context, id string) (*Deletion, error)
	// SearchPersons runs a biographic search, newest first.
	SearchPersons(ctx context.Context, q PersonQuery) ([]Person, error)
	// Samples returns a person's samples, with images and templates.
	Samples(ctx context.Context, personID string) ([]Sample, error)
	// EachTemplate calls fn for every enrolled sample of a modality, without its image, in
	// ID order; it is how galleries load at start.
	EachTemplate(ctx context.Context, m Modality, fn func(Sample) error) error

	// AddEncounter logs an encounter with its probe samples (e.ID must be set).
	AddEncounter(ctx context.Context, e *Encounter, a *audit.Entry, out ...OutboxMessage) error
	// Encounters returns a person's encounters, oldest first, without probe samples.
	Encounters(ctx context.Context, personID string) ([]Encounter, error)

	// AddFamilyLink stores a relationship (ID written back).
	AddFamilyLink(ctx context.Context, l *FamilyLink, a *audit.Entry) error
	// FamilyLinks returns the links in which a person is either side.
	FamilyLinks(ctx context.Context, personID string) ([]FamilyLink, error)

	// AddConflict stores a new identity conflict (c.ID must be set).
	AddConflict(ctx context.Context, c *Conflict, a *audit.Entry) error
	// Conflict returns one conflict.
	Conflict(ctx context.Context, id string) (*Conflict, error)
	// Conflicts lists conflicts with the given status ("" for all), newest first; personID
	// "" for every person.
	Conflicts(ctx context.Context, status, personID string) ([]Conflict, error)
	// ResolveConflict sets a conflict's status, resolver, time and note; only an open
	// conflict can be resolved (ErrConflict otherwise).
	ResolveConflict(ctx context.Context, c *Conflict, a *audit.Entry) error
	// MergePersons joins m.Gone into m.Keep in one transaction, resolving conflict
	// m.ConflictID (when set, and open) as the same person: samples, encounters, family
	// links and other conflicts move to Keep; Gone's names become Keep's aliases; fields
	// Keep lacks are taken from Gone; the stricter watch stays. Both must belong to one
	// organisation (ErrConflict otherwise). It returns Keep as merged.
	MergePersons(ctx context.Context, m Merge, a *audit.Entry, out ...OutboxMessage) (*Person, error)
	// Merged returns the merge that removed person id (ErrNotFound otherwise).
	Merged(ctx context.Context, id string) (*Merge, error)
	// Inactive lists up to limit persons of a category with no activity since before: not
	// updated (enrolment, samples, biographic or watch change) and not encountered since,
	// under no watch and in no open identity conflict — the candidates of a retention
	// rule that erases records after a period without activity. Oldest first.
	Inactive(ctx context.Context, category string, before time.Time, limit int) ([]Person, error)

	// CreateOrg and CreateUser add an organisation or user (IDs must be set and unused;
	// ErrConflict when taken).
	CreateOrg(ctx context.Context, o *Org, a *audit.Entry) error
	CreateUser(ctx context.Context, u *User, a *audit.Entry) error
	// UserByToken returns the enabled user whose token hashes to hash.
	UserByToken(ctx context.Context, hash []byte) (*User, error)
	// Users lists users (of one organisation, or all when org is "").
	Users(ctx context.Context, org string) ([]User, error)
	// Org returns one organisation.
	Org(ctx context.Context, id string) (*Org, error)

	// Audit appends an entry on its own (searches and reads, which change nothing else).
	Audit(ctx context.Context, a *audit.Entry) error
	// EachAudit calls fn for every audit entry in sequence order, starting after seq from.
	EachAudit(ctx context.Context, from int64, fn func(*audit.Entry) error) error

	Outbox

	// Close releases the store; pending writes are already durable.
	Close() error
}

// Device statuses.
const (
	DeviceActive      = "active"
	DeviceWipePending = "wipe-pending" // a wipe was ordered; the next contact tells the kit
	DeviceWiped       = "wiped"        // the kit was told to erase; its token is disabled
)

// Device is a field kit registered with the node: a hand-held or laptop that carries an
// encrypted watch-list package and queues encounters and enrolments while offline. It acts
// through its own user (UserID, role screener or enroller), whose token only it holds.
type Device struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Org    string `json:"org"`
	Unit   string `json:"unit,omitempty"`
	UserID string `json:"user_id"`
	Role   string `json:"role"`
	Status string `json:"status"`
	// Lease is how long a granted package key stays valid on the kit.
	Lease time.Duration `json:"-"`
	// Fingers is how many fingers per person the device's packages carry, the fingers
	// hand-helds capture first (index fingers, then thumbs, …).
	Fingers int `json:"fingers"`
	// RefKey keys the opaque person references of the device's packages; PrivateKey is the
	// X25519 key queued items are sealed to (the kit holds only its public half); LeaseKey
	// is the AES-256 key of the current package (PackageID), valid until LeaseExpires.
	RefKey       []byte    `json:"-"`
	PrivateKey   []byte    `json:"-"`
	LeaseKey     []byte    `json:"-"`
	PackageID    string    `json:"package_id,omitempty"`
	LeaseExpires time.Time `json:"lease_expires,omitzero"`
	Created      time.Time `json:"created"`
	LastSeen     time.Time `json:"last_seen,omitzero"`
}

// DeviceStore keeps field-kit records. It is a separate interface from Store so that other
// implementations of Store are not obliged to carry devices; store/sqlite implements both.
type DeviceStore interface {
	// CreateDevice stores a new device with its user, in one transaction (IDs must be
	// unused; ErrConflict otherwise).
	CreateDevice(ctx context.Context, d *Device, u *User, a *audit.Entry) error
	// Device returns one device (ErrNotFound when absent).
	Device(ctx context.Context, id string) (*Device, error)
	// UpdateDevice replaces a device's status, lease and package fields and last contact,
	// and adds refs (opaque reference → person ID) to the references it can resolve. A
	// device set to DeviceWiped has its user disabled in the same transaction.
	UpdateDevice(ctx context.Context, d *Device, refs map[string]string, a *audit.Entry) error
	// DeviceRef resolves a reference of one of the device's packages (ErrNotFound).
	DeviceRef(ctx context.Context, device, ref string) (string, error)
	// Watched returns the watch level of every person at watch level monitor or above.
	Watched(ctx context.Context) (map[string]WatchLevel, error)
	// HasEncounter reports whether an encounter with this ID is stored.
	HasEncounter(ctx context.Context, id string) (bool, error)
	// SyncResult returns what a queued item of a device (by its client-generated ID)
	// became on an earlier sync (ErrNotFound when never synced).
	SyncResult(ctx context.Context, device, clientID string) (string, error)
	// AddSyncResult records what a queued item became (ErrConflict when already recorded).
	AddSyncResult(ctx context.Context, device, clientID, result string, a *audit.Entry) error
}
