package gallery_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/match"
	"github.com/biomesh/biomesh/fingerprint/synthtpl"
	"github.com/biomesh/biomesh/gallery"
)

// The scale tests use synthetic templates (fingerprint/synthtpl, default parameters: plain
// 500 ppi impressions, about 44 minutiae each): impression 0 of every finger is enrolled,
// impression 1 of a few fingers probes.
const synthSeed = 1

// synthGallery enrols impression 0 of fingers 0…fingers−1 (ISO positions 1…fingers) of
// persons 0…persons−1. With stored, each template first goes through the native codec, as
// on a node that loads its gallery from the store (directions in 1/16384 turn).
func synthGallery(tb testing.TB, persons, fingers int, stored bool) *gallery.Gallery[*match.Candidate] {
	g := gallery.New[*match.Candidate]()
	samples := make([]gallery.Sample[*match.Candidate], 0, fingers)
	err := synthtpl.Generate(context.Background(), synthSeed, nil, persons, fingers, 1, func(person, finger, _ int, t *fingerprint.Template) error {
		if stored {
			t = roundTrip(tb, t)
		}
		samples = append(samples, gallery.Sample[*match.Candidate]{Position: t.Position, Template: match.NewCandidate(t)})
		if finger == fingers-1 {
			g.Put(personID(person), samples)
			samples = samples[:0]
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

func roundTrip(tb testing.TB, t *fingerprint.Template) *fingerprint.Template {
	b, err := t.MarshalBinary()
	if err != nil {
		tb.Fatal(err)
	}
	var s fingerprint.Template
	if err := s.UnmarshalBinary(b); err != nil {
		tb.Fatal(err)
	}
	return &s
}

func personID(n int) string { return fmt.Sprintf("p%07d", n) }

// heapPerFinger builds a gallery and returns the live heap it takes per finger, measured
// by runtime.MemStats.HeapAlloc after a garbage collection before and after (subjects,
// index, IDs, samples and prepared candidates: everything the gallery holds).
func heapPerFinger(tb testing.TB, persons, fingers int, stored bool) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	g := synthGallery(tb, persons, fingers, stored)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(g)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(persons*fingers)
}

// TestGalleryMemory guards issue 4's target of at most 1 KB of memory per enrolled finger,
// on a small synthetic gallery (BenchmarkGalleryMemory measures 100,000 fingers).
func TestGalleryMemory(t *testing.T) {
	for _, stored := range []bool{false, true} {
		b := heapPerFinger(t, 200, 10, stored)
		t.Logf("stored %v: %.0f B per finger", stored, b)
		if b > 1024 {
			t.Errorf("stored %v: %.0f B per finger, want ≤ 1024", stored, b)
		}
	}
}

// BenchmarkGalleryMemory builds a gallery of 10,000 persons × 10 fingers of synthetic
// templates and reports the heap it takes per finger ("extracted": templates as made;
// "stored": after the native codec, as loaded from the store). Run with -benchtime 1x.
func BenchmarkGalleryMemory(b *testing.B) {
	for _, stored := range []bool{false, true} {
		name := map[bool]string{false: "extracted", true: "stored"}[stored]
		b.Run(name, func(b *testing.B) {
			var per float64
			for b.Loop() {
				per = heapPerFinger(b, 10000, 10, stored)
			}
			b.ReportMetric(per, "B/finger")
		})
	}
}

// BenchmarkIdentify2Fingers searches 2-finger probes (ISO positions 1 and 2, impression 1)
// against 10,000 persons × 10 fingers (impression 0, stored form) on all cores, top 10.
// Probes alternate between mated persons (in the gallery) and non-mated ones (not
// enrolled). It reports the mean and 95th percentile search latency, the same for the CPU
// time a search takes (all threads: on a shared machine, cpu-ms/cores is the latency the
// search would have on that many idle cores), comparisons per second and the mated rank-1
// rate.
func BenchmarkIdentify2Fingers(b *testing.B) {
	const persons, fingers = 10000, 10
	g := synthGallery(b, persons, fingers, true)
	type query struct {
		person int
		probe  []gallery.Probe[*match.Candidate]
	}
	var queries []query
	for k := range 20 {
		person := k * 997 % persons // mated
		if k%2 == 1 {
			person = persons + k // non-mated
		}
		q := query{person: person}
		for f := range 2 {
			t := synthtpl.Impression(synthtpl.Finger(synthSeed, person, f, nil), synthSeed, 1, nil)
			q.probe = append(q.probe, gallery.Probe[*match.Candidate]{Position: t.Position, Score: match.Prepare(t).Compare})
		}
		queries = append(queries, q)
	}
	runtime.GC()
	var lat, cpu []time.Duration
	mated, hits := 0, 0
	for i := 0; b.Loop(); i++ {
		q := queries[i%len(queries)]
		start, cpu0 := time.Now(), cpuTime()
		cands, err := g.Search(q.probe, 10)
		lat = append(lat, time.Since(start))
		cpu = append(cpu, cpuTime()-cpu0)
		if err != nil {
			b.Fatal(err)
		}
		if q.person < persons {
			mated++
			if len(cands) > 0 && cands[0].Subject == personID(q.person) {
				hits++
			}
		}
	}
	ms := func(d time.Duration) float64 { return d.Seconds() * 1000 }
	meanP95 := func(ds []time.Duration) (float64, float64) {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		var sum time.Duration
		for _, d := range ds {
			sum += d
		}
		return ms(sum) / float64(len(ds)), ms(ds[(len(ds)*95+99)/100-1])
	}
	mean, p95 := meanP95(lat)
	b.ReportMetric(mean, "ms-mean")
	b.ReportMetric(p95, "ms-p95")
	mean, p95 = meanP95(cpu)
	b.ReportMetric(mean, "cpu-ms-mean")
	b.ReportMetric(p95, "cpu-ms-p95")
	if mated > 0 {
		b.ReportMetric(100*float64(hits)/float64(mated), "rank1-%")
	}
	b.ReportMetric(float64(2*persons*len(lat))/b.Elapsed().Seconds(), "comparisons/s")
}
