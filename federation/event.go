package federation

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/biomesh/biomesh/store"
)

// Kind of a shared event.
type Kind string

// Kinds of shared events.
const (
	KindEnrol     Kind = "enrol"     // a person was enrolled
	KindUpdate    Kind = "update"    // a person's record or watch changed
	KindEncounter Kind = "encounter" // a watched person was encountered
	KindDelete    Kind = "delete"    // a person was deleted: erase the copy
	// KindWithdraw tells a partner that a record it holds is no longer shared with it
	// (its category or watch level left the agreement): erase the copy.
	KindWithdraw Kind = "withdraw"
	// KindFollowUp answers a follow-up request: released with the record, refused or
	// expired.
	KindFollowUp Kind = "follow-up"
)

// Change is a committed change to share: written to the outbox with the change (Message),
// or handed to Publish after the commit.
type Change struct {
	// ID names the change for good (the encounter ID for an encounter; Message chooses a
	// random one, kept in the outbox): the events made from it get IDs derived from it, so
	// that publishing the same change again after a crash or a failed Publish reaches
	// each partner once. Empty, Publish gives the events random IDs.
	ID   string
	Kind Kind // enrol, update, encounter or delete
	// Time is when the change was made, the time of its events (default: when they are
	// made). Agreements are checked at the time the events are made.
	Time time.Time
	// Person after the change (for a deletion: as it was before; for an encounter: the
	// person encountered).
	Person *store.Person
	// Previous is the person before an update (nil when unknown or for other kinds); it
	// lets a partner that held the record under the old category or watch level be told to
	// withdraw it.
	Previous *store.Person
	// Samples are all the person's samples after the change (enrolment, update). The
	// receiving side replaces its copy with what it is sent.
	Samples []store.Sample
	// Encounter is the encounter of a watched person (KindEncounter).
	Encounter *store.Encounter
}

// SharedPerson is the part of a person record that may travel at level Full. It is an
// explicit list so that a field added to store.Person is not shared until added here.
type SharedPerson struct {
	Name        string   `json:"name,omitempty"`
	Aliases     []string `json:"aliases,omitempty"`
	DateOfBirth string   `json:"date_of_birth,omitempty"`
	Sex         string   `json:"sex,omitempty"`
	Nationality string   `json:"nationality,omitempty"`
	Custody     string   `json:"custody,omitempty"`
	WatchReason string   `json:"watch_reason,omitempty"`
	Org         string   `json:"org,omitempty"` // owning organisation at the origin node
}

// SharedSample is a biometric sample as shared. Images travel at level Full only.
type SharedSample struct {
	Modality    store.Modality `json:"modality"`
	Position    int            `json:"position"`
	Template    []byte         `json:"template,omitempty"`
	Image       []byte         `json:"image,omitempty"`
	ImageFormat string         `json:"image_format,omitempty"`
	Quality     int            `json:"quality"`
	Captured    time.Time      `json:"captured,omitzero"`
}

// SharedEncounter is a sighting of a watched person as shared: when and where; at level
// Full also the outcome, coordinates and unit.
type SharedEncounter struct {
	Time    time.Time `json:"time"`
	Place   string    `json:"place,omitempty"`
	Lat     *float64  `json:"lat,omitempty"`
	Lon     *float64  `json:"lon,omitempty"`
	Unit    string    `json:"unit,omitempty"`
	Outcome string    `json:"outcome,omitempty"`
}

// Event is one shared event, as it travels to one partner (signed by its origin).
type Event struct {
	ID      string    `json:"id"`     // unique; receivers apply each ID once
	Origin  string    `json:"origin"` // node that owns the record and signed the event
	To      string    `json:"to"`     // the one partner it was made for
	Kind    Kind      `json:"kind"`
	Time    time.Time `json:"time"`
	Purpose string    `json:"purpose"` // of the agreement it was sent under
	Level   Level     `json:"level"`
	// Ref is the reference number of the record: "<origin>/<person ID>". Receivers key
	// their copies by it, and accept changes to a copy only from its origin.
	Ref       string           `json:"ref"`
	Category  string           `json:"category,omitempty"`
	Watch     store.WatchLevel `json:"watch,omitempty"`
	Person    *SharedPerson    `json:"person,omitempty"`
	Samples   []SharedSample   `json:"samples,omitempty"`
	Encounter *SharedEncounter `json:"encounter,omitempty"`
	FollowUp  *FollowUpAnswer  `json:"follow_up,omitempty"`
}

// Ref is the reference number under which origin shares a person.
func Ref(origin, personID string) string { return origin + "/" + personID }

// eventID is the ID of the event a change (by its ID) of origin makes for partner.
func eventID(origin, change, partner string) string {
	h := sha256.Sum256([]byte("biomesh-federation-event-id\x00" + origin + "\x00" + change + "\x00" + partner))
	return hex.EncodeToString(h[:16])
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// best returns the agreement in force that covers the person with the highest level
// (the first listed among equals), or nil.
func best(as []Agreement, p *store.Person, now time.Time) *Agreement {
	var b *Agreement
	for i := range as {
		a := &as[i]
		if a.covers(p.Category, p.Watch.Level, now) && (b == nil || a.Level.rank() > b.Level.rank()) {
			b = a
		}
	}
	return b
}

// pushes reports whether an agreement lets records be pushed (not hit/no-hit only).
func pushes(a *Agreement) bool { return a != nil && a.Level.rank() >= Templates.rank() }

// Outgoing decides what of a change may leave for each partner, and strips the rest: one
// unsigned event per partner that may see it, none for a partner whose agreements in
// force at now do not allow it. This is the only way events are made, so nothing leaves
// that no agreement allows.
func (c *Config) Outgoing(ch Change, now time.Time) []*Event {
	if ch.Person == nil {
		return nil
	}
	p := ch.Person
	var out []*Event
	for i := range c.Partners {
		pt := &c.Partners[i]
		a := best(pt.Send, p, now)
		kind := ch.Kind
		switch ch.Kind {
		case KindEnrol, KindDelete:
		case KindUpdate:
			if !pushes(a) {
				if ch.Previous != nil && pushes(best(pt.Send, ch.Previous, now)) {
					// It was shared and no longer may be: the partner must erase its copy.
					a, kind = best(pt.Send, ch.Previous, now), KindWithdraw
				}
			}
		case KindEncounter:
			if ch.Encounter == nil || p.Watch.Level.Severity() < store.WatchMonitor.Severity() {
				continue
			}
		default:
			continue
		}
		if !pushes(a) {
			continue
		}
		id := newID()
		if ch.ID != "" {
			id = eventID(c.Node, ch.ID, pt.ID)
		}
		at := now
		if !ch.Time.IsZero() {
			at = ch.Time
		}
		ev := &Event{
			ID: id, Origin: c.Node, To: pt.ID, Kind: kind, Time: at.UTC(),
			Purpose: a.Purpose, Level: a.Level, Ref: Ref(c.Node, p.ID),
		}
		switch kind {
		case KindEnrol, KindUpdate:
			ev.Category, ev.Watch = p.Category, watchOf(p)
			ev.Samples = shareSamples(ch.Samples, a)
			if a.Level == Full {
				ev.Person = sharePerson(p)
			}
		case KindEncounter:
			e := ch.Encounter
			ev.Category, ev.Watch = p.Category, watchOf(p)
			ev.Encounter = &SharedEncounter{Time: e.Time.UTC(), Place: e.Place}
			if a.Level == Full {
				ev.Encounter.Lat, ev.Encounter.Lon = e.Lat, e.Lon
				ev.Encounter.Unit, ev.Encounter.Outcome = e.Unit, e.Outcome
				ev.Person = sharePerson(p) // who was seen, for the partner's alert
			}
		}
		out = append(out, ev)
	}
	return out
}

func watchOf(p *store.Person) store.WatchLevel {
	if p.Watch.Level == "" {
		return store.WatchNone
	}
	return p.Watch.Level
}

func sharePerson(p *store.Person) *SharedPerson {
	return &SharedPerson{
		Name: p.Name, Aliases: slices.Clone(p.Aliases), DateOfBirth: p.DateOfBirth, Sex: p.Sex,
		Nationality: p.Nationality, Custody: p.Custody, WatchReason: p.Watch.Reason, Org: p.Org,
	}
}

func shareSamples(ss []store.Sample, a *Agreement) []SharedSample {
	var out []SharedSample
	for _, s := range ss {
		if !slices.Contains(a.Modalities, s.Modality) || len(s.Template) == 0 {
			continue
		}
		sh := SharedSample{Modality: s.Modality, Position: s.Position, Template: s.Template, Quality: s.Quality, Captured: s.Captured.UTC()}
		if a.Level == Full {
			sh.Image, sh.ImageFormat = s.Image, s.ImageFormat
		}
		out = append(out, sh)
	}
	return out
}

// checkIncoming says why an event verified as coming from its origin is outside what
// this node accepts from that partner, or nil when it is within a receive agreement in
// force at now.
func (c *Config) checkIncoming(ev *Event, now time.Time) error {
	pt := c.Partner(ev.Origin)
	if pt == nil {
		return fmt.Errorf("origin %q is not a partner", ev.Origin)
	}
	if ev.To != c.Node {
		return fmt.Errorf("event made for %q, not this node", ev.To)
	}
	if !strings.HasPrefix(ev.Ref, ev.Origin+"/") || len(ev.Ref) == len(ev.Origin)+1 {
		return fmt.Errorf("reference %q is not one of %s's records", ev.Ref, ev.Origin)
	}
	switch ev.Kind {
	case KindDelete, KindWithdraw:
		// Erasure is always accepted from the record's owner while any agreement holds.
		for i := range pt.Receive {
			if pt.Receive[i].Active(now) {
				return nil
			}
		}
		return fmt.Errorf("no receive agreement in force with %s", ev.Origin)
	case KindFollowUp:
		return nil // checked against this node's own pending request by the receiver
	case KindEnrol, KindUpdate, KindEncounter:
	default:
		return fmt.Errorf("unknown kind %q", ev.Kind)
	}
	for i := range pt.Receive {
		a := &pt.Receive[i]
		if a.Purpose != ev.Purpose || !a.covers(ev.Category, ev.Watch, now) || ev.Level.rank() > a.Level.rank() || !pushes(a) {
			continue
		}
		if ev.Person != nil && a.Level != Full {
			continue
		}
		ok := true
		for _, s := range ev.Samples {
			if !slices.Contains(a.Modalities, s.Modality) || (len(s.Image) > 0 && a.Level != Full) {
				ok = false
			}
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("%s %s (purpose %q, level %s, category %q, watch %s) is outside every receive agreement with %s in force",
		ev.Kind, ev.Ref, ev.Purpose, ev.Level, ev.Category, ev.Watch, ev.Origin)
}
