package federation

import (
	"fmt"
	"testing"
	"time"

	"github.com/biomesh/biomesh/store"
)

// The outgoing filter: what leaves for whom, at which level, stripped of what.
func TestOutgoing(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	full := agree(Full, "ct")
	full.WatchLevels = []store.WatchLevel{store.WatchAlert, store.WatchDetain}
	tpl := agree(Templates, "bc")
	tpl.Modalities = []store.Modality{store.Finger, store.Face}
	hnh := agree(HitNoHit, "q")
	expired := agree(Full, "old")
	expired.Expires = now
	cfg := &Config{Node: "hq", Partners: []Partner{
		{ID: "full", Send: []Agreement{tpl, full}}, // full wins where both cover
		{ID: "tpl", Send: []Agreement{tpl}},
		{ID: "hnh", Send: []Agreement{hnh}},
		{ID: "expired", Send: []Agreement{expired}},
		{ID: "none"},
	}}
	person := func(cat string, w store.WatchLevel) *store.Person {
		return &store.Person{ID: "P-1", Org: "unit-a", Name: "Name", Aliases: []string{"A"}, Category: cat, Watch: store.Watch{Level: w, Reason: "r", SetBy: "u-secret"}, Custody: "c"}
	}
	samples := []store.Sample{
		{Modality: store.Finger, Position: 1, Template: []byte("f"), Image: []byte("img"), ImageFormat: "png"},
		{Modality: store.Face, Template: []byte("fa"), Image: []byte("img2")},
		{Modality: store.Iris, Template: []byte("i")},
	}
	enc := &store.Encounter{Time: now, Place: "gate", Unit: "u9", Outcome: "detained"}
	// summary writes an event as partner:kind:level:samples(modality[+image]...):person
	summary := func(evs []*Event) []string {
		var out []string
		for _, e := range evs {
			s := fmt.Sprintf("%s:%s:%s:", e.To, e.Kind, e.Level)
			for _, sm := range e.Samples {
				s += string(sm.Modality)
				if sm.Image != nil {
					s += "+img"
				}
				s += ","
			}
			if e.Person != nil {
				s += ":" + e.Person.Name
			}
			if e.Encounter != nil && e.Encounter.Unit != "" {
				s += ":unit"
			}
			out = append(out, s)
		}
		return out
	}
	for _, c := range []struct {
		name string
		ch   Change
		want []string
	}{
		{"enrol alert suspect", Change{Kind: KindEnrol, Person: person("suspect", store.WatchAlert), Samples: samples},
			[]string{"full:enrol:full:finger+img,:Name", "tpl:enrol:templates:finger,face,"}},
		{"enrol unwatched suspect", Change{Kind: KindEnrol, Person: person("suspect", store.WatchNone), Samples: samples},
			[]string{"full:enrol:templates:finger,face,", "tpl:enrol:templates:finger,face,"}},
		{"category outside every agreement", Change{Kind: KindEnrol, Person: person("traveller", store.WatchDetain), Samples: samples}, nil},
		{"update out of the full agreement", Change{Kind: KindUpdate, Person: person("suspect", store.WatchNone), Previous: person("suspect", store.WatchAlert)},
			[]string{"full:update:templates:", "tpl:update:templates:"}},
		{"update out of every agreement", Change{Kind: KindUpdate, Person: person("traveller", store.WatchNone), Previous: person("suspect", store.WatchAlert)},
			[]string{"full:withdraw:full:", "tpl:withdraw:templates:"}},
		{"update of a never-shared person", Change{Kind: KindUpdate, Person: person("traveller", store.WatchNone), Previous: person("traveller", store.WatchAlert)}, nil},
		{"encounter with a watched person", Change{Kind: KindEncounter, Person: person("detainee", store.WatchDetain), Encounter: enc},
			[]string{"full:encounter:full::Name:unit", "tpl:encounter:templates:"}},
		{"encounter with an unwatched person", Change{Kind: KindEncounter, Person: person("detainee", store.WatchNone), Encounter: enc}, nil},
		{"deletion", Change{Kind: KindDelete, Person: person("detainee", store.WatchNone)},
			[]string{"full:delete:templates:", "tpl:delete:templates:"}},
		{"unknown kind", Change{Kind: "gossip", Person: person("suspect", store.WatchAlert)}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs := cfg.Outgoing(c.ch, now)
			got := summary(evs)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("got %q\nwant %q", got, c.want)
			}
			for _, e := range evs {
				if e.Origin != "hq" || e.Ref != "hq/P-1" || e.ID == "" {
					t.Fatalf("%+v", e)
				}
				if e.Person != nil && (e.Person.Name != "Name" || e.Person.Org != "unit-a") {
					t.Fatalf("%+v", e.Person)
				}
			}
		})
	}
	// An agreement expires at its expiry instant, not a moment later.
	if evs := cfg.Outgoing(Change{Kind: KindEnrol, Person: person("suspect", store.WatchAlert)}, now.Add(-time.Nanosecond)); len(evs) != 3 || evs[2].To != "expired" {
		t.Fatalf("before expiry: %q", summary(evs))
	}
}
