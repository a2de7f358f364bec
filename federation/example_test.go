package federation_test

import (
	"fmt"
	"time"

	"github.com/biomesh/biomesh/federation"
	"github.com/biomesh/biomesh/store"
)

// What an enrolment becomes for each partner: the border guard gets templates only, of
// the agreed modality; the hit/no-hit partner gets nothing pushed.
func ExampleConfig_Outgoing() {
	expires := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := &federation.Config{Node: "hq", Partners: []federation.Partner{
		{ID: "border", Send: []federation.Agreement{{
			Purpose: "border-control", Level: federation.Templates, Categories: []string{"suspect"},
			WatchLevels: []store.WatchLevel{store.WatchAlert}, Modalities: []store.Modality{store.Finger}, Expires: expires,
		}}},
		{ID: "neighbour", Send: []federation.Agreement{{
			Purpose: "crime", Level: federation.HitNoHit, Categories: []string{"suspect"},
			WatchLevels: []store.WatchLevel{store.WatchAlert}, Modalities: []store.Modality{store.Finger}, Expires: expires,
		}}},
	}}
	ch := federation.Change{
		Kind:   federation.KindEnrol,
		Person: &store.Person{ID: "P-17", Name: "A. Person", Category: "suspect", Watch: store.Watch{Level: store.WatchAlert}},
		Samples: []store.Sample{
			{Modality: store.Finger, Position: 2, Template: []byte{1, 2, 3}, Image: []byte("png")},
			{Modality: store.Face, Template: []byte{4, 5}},
		},
	}
	for _, ev := range cfg.Outgoing(ch, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		fmt.Printf("to %s: %s %s level=%s watch=%s samples=%d name=%v image=%v\n",
			ev.To, ev.Kind, ev.Ref, ev.Level, ev.Watch, len(ev.Samples), ev.Person != nil, ev.Samples[0].Image != nil)
	}
	// Output:
	// to border: enrol hq/P-17 level=templates watch=alert samples=1 name=false image=false
}
