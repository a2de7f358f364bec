package field_test

// Benchmarks of the field-kit targets (issue 6): a watch-list package of 10,000 persons
// ≤ 20 MB, 10,000 queued encounters synced in ≤ 60 s, an offline check in under a second.
//
//	go test ./field -run XXX -bench . -benchtime 1x

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/field"
	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/match"
	"github.com/biomesh/biomesh/fingerprint/synthtpl"
	"github.com/biomesh/biomesh/store"
)

var levels = []store.WatchLevel{store.WatchMonitor, store.WatchAlert, store.WatchDetain}

// fillWatched writes persons with ten synthetic fingers each, all watched, into the node's
// store (through the store, as a bulk load would; the node is restarted after to load its
// gallery).
func fillWatched(b *testing.B, n *testNode, persons int) {
	fillWatchedFingers(b, n, persons, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
}

// fillWatchedFingers is fillWatched with the given finger positions, each sample stored
// with its prepared comparison form, as an enrolment through the API stores it.
func fillWatchedFingers(b *testing.B, n *testNode, persons int, positions []int) {
	ctx := context.Background()
	var wg sync.WaitGroup
	work := make(chan int, 256)
	for range runtime.GOMAXPROCS(0) * 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				now := time.Now().UTC()
				p := &store.Person{ID: fmt.Sprintf("P-FIELD%07d", k), Org: "unit-a", Name: fmt.Sprint("Watched ", k), Created: now, Updated: now,
					Watch: store.Watch{Level: levels[k%3], Reason: "bench", SetAt: now}}
				var ss []store.Sample
				for _, pos := range positions {
					t := synthtpl.Impression(synthtpl.Finger(9, k, pos-1, nil), 9, 0, nil)
					bt, _ := t.MarshalBinary()
					var stored fingerprint.Template // the prepared form of the template as stored
					stored.UnmarshalBinary(bt)
					prep, _ := match.NewCandidate(&stored).MarshalBinary()
					ss = append(ss, store.Sample{Modality: store.Finger, Position: pos, Template: bt, Prepared: prep, Quality: t.Quality, Captured: now})
				}
				a := &audit.Entry{Time: now, User: "bench", Org: "unit-a", Role: "admin", Action: "person.enrol", Target: p.ID, Result: "ok"}
				if err := n.St.CreatePerson(ctx, p, ss, a); err != nil {
					panic(err)
				}
			}
		}()
	}
	for k := range persons {
		work <- k
	}
	close(work)
	wg.Wait()
	n.stop()
	n.start()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func newKit(b *testing.B, n *testNode, fingers int) (*field.Kit, *field.Client, field.Device) {
	kit, err := field.Open(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	c := &field.Client{Kit: kit}
	d, err := c.Register(context.Background(), n.URL, n.Admin, fmt.Sprint("bench-", fingers), "", "screener", 0, fingers)
	if err != nil {
		b.Fatal(err)
	}
	return kit, c, d
}

// BenchmarkPackage10k pulls the package of a node watching 10,000 persons with ten fingers
// each, with four fingers per person (the default) and with all ten, and checks offline
// against it.
func BenchmarkPackage10k(b *testing.B) {
	const persons = 10_000
	n := startNode(b)
	t0 := time.Now()
	fillWatched(b, n, persons)
	b.Logf("node filled with %d watched persons (10 fingers each) in %v", persons, time.Since(t0).Round(time.Second))
	for _, fingers := range []int{4, 10} {
		b.Run(fmt.Sprintf("fingers=%d", fingers), func(b *testing.B) {
			kit, c, _ := newKit(b, n, fingers)
			var size int
			for b.Loop() {
				_, s, err := c.Pull(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				size = s
			}
			b.ReportMetric(float64(size)/1e6, "MB")
			b.StopTimer()
			// Opening the package and preparing its templates: what "biomesh field check"
			// does before searching.
			t0, c0 := time.Now(), cpuTime()
			m, err := kit.Matcher()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(time.Since(t0).Milliseconds()), "open-ms")
			b.ReportMetric(float64((cpuTime() - c0).Milliseconds()), "open-cpu-ms")
			if m.Persons() != persons {
				b.Fatalf("matcher has %d persons, want %d", m.Persons(), persons)
			}
			// Offline checks with two probe fingers (right and left index, another impression).
			var wall, cpu time.Duration
			hits := 0
			const checks = 20
			for k := range checks {
				person := k * 487 % persons
				var probe []field.Finger
				for _, f := range []int{1, 6} {
					bt, _ := synthtpl.Impression(synthtpl.Finger(9, person, f, nil), 9, 1, nil).MarshalBinary()
					probe = append(probe, field.Finger{Position: f + 1, Template: bt})
				}
				t0, c0 := time.Now(), cpuTime()
				res, err := m.Check(probe)
				wall += time.Since(t0)
				cpu += cpuTime() - c0
				if err != nil {
					b.Fatal(err)
				}
				if res.Hit && res.Watch == levels[person%3] {
					hits++
				}
			}
			b.ReportMetric(float64(wall.Microseconds())/checks/1000, "check-ms")
			b.ReportMetric(float64(cpu.Microseconds())/checks/1000, "check-cpu-ms")
			b.ReportMetric(float64(hits)/checks, "hit-rate")
		})
	}
}

// checkProbe is a 2-finger probe (right and left index, another impression than the
// enrolled one) of a person filled by fillWatched.
func checkProbe(person int) []field.Finger {
	var probe []field.Finger
	for _, f := range []int{1, 6} {
		bt, _ := synthtpl.Impression(synthtpl.Finger(9, person, f, nil), 9, 1, nil).MarshalBinary()
		probe = append(probe, field.Finger{Position: f + 1, Template: bt})
	}
	return probe
}

// BenchmarkCheck10k is the offline check of issue 6: a 2-finger probe against the package of
// a node watching 10,000 persons (four fingers each, the package's default), one check per
// iteration; ns/op is the wall time of a check. It also reports the package's size and the
// time to open it (decrypt, decode, make the matcher), paid once by a resident kit and by
// every one-shot "biomesh field check".
//
//	go test ./field -run XXX -bench Check10k -benchtime 20x
func BenchmarkCheck10k(b *testing.B) {
	const persons = 10_000
	n := startNode(b)
	t0 := time.Now()
	fillWatchedFingers(b, n, persons, []int{1, 2, 6, 7})
	b.Logf("node filled with %d watched persons (4 fingers each) in %v", persons, time.Since(t0).Round(time.Second))
	kit, c, _ := newKit(b, n, 4)
	t0 = time.Now()
	_, size, err := c.Pull(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("package of %d bytes built and pulled in %v", size, time.Since(t0).Round(time.Millisecond))
	probes := make([][]field.Finger, 20)
	for k := range probes {
		probes[k] = checkProbe(k * 487 % persons)
	}
	b.Run("matcher", func(b *testing.B) {
		runtime.GC()
		t0, c0 := time.Now(), cpuTime()
		m, err := kit.Matcher()
		if err != nil {
			b.Fatal(err)
		}
		open, openCPU := time.Since(t0), cpuTime()-c0
		if m.Persons() != persons {
			b.Fatalf("matcher has %d persons, want %d", m.Persons(), persons)
		}
		hits, checks := 0, 0
		b.ResetTimer()
		c0 = cpuTime()
		var lat latencies
		for b.Loop() {
			k := checks % len(probes)
			t := time.Now()
			res, err := m.Check(probes[k])
			lat = append(lat, time.Since(t))
			if err != nil {
				b.Fatal(err)
			}
			if res.Hit && res.Watch == levels[k*487%persons%3] {
				hits++
			}
			checks++
		}
		cpu := cpuTime() - c0
		b.ReportMetric(float64(size)/1e6, "MB")
		b.ReportMetric(float64(open.Milliseconds()), "open-ms")
		b.ReportMetric(float64(openCPU.Milliseconds()), "open-cpu-ms")
		b.ReportMetric(float64(cpu.Microseconds())/float64(checks)/1000, "cpu-ms/op")
		b.ReportMetric(float64(hits)/float64(checks), "hit-rate")
		lat.report(b)
		m.Close()
	})
	// The resident kit, asked on its unix socket as a hand-held app would: a check is the
	// search, the lease looked at twice and the encounter queued (fsynced).
	b.Run("resident", func(b *testing.B) {
		runtime.GC()
		srv := &field.Server{Kit: kit, Warm: true}
		t0, c0 := time.Now(), cpuTime()
		if err := srv.Open(); err != nil {
			b.Fatal(err)
		}
		open, openCPU := time.Since(t0), cpuTime()-c0
		l, err := field.Listen(field.DefaultSocket(kit))
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ctx, l) }()
		defer func() { cancel(); <-done }()
		// Fingers carried as templates are prepared in the background after opening; wait
		// for that so that the checks measured are the steady state.
		t0 = time.Now()
		for {
			r, err := field.Ask(ctx, field.DefaultSocket(kit), field.Request{Op: "status"})
			if err != nil {
				b.Fatal(err)
			}
			if r.Resident.Pending == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		warm := time.Since(t0)
		hits, checks := 0, 0
		b.ResetTimer()
		c0 = cpuTime()
		var lat latencies
		for b.Loop() {
			k := checks % len(probes)
			t := time.Now()
			r, err := field.Ask(ctx, field.DefaultSocket(kit), field.Request{Fingers: probes[k], Place: "bench"})
			lat = append(lat, time.Since(t))
			if err != nil {
				b.Fatal(err)
			}
			if err := r.Err(); err != nil {
				b.Fatal(err)
			}
			if r.Result.Hit && r.Result.Watch == levels[k*487%persons%3] {
				hits++
			}
			checks++
		}
		cpu := cpuTime() - c0
		b.ReportMetric(float64(open.Milliseconds()), "open-ms")
		b.ReportMetric(float64(openCPU.Milliseconds()), "open-cpu-ms")
		b.ReportMetric(warm.Seconds(), "warm-s")
		b.ReportMetric(float64(cpu.Microseconds())/float64(checks)/1000, "cpu-ms/op")
		b.ReportMetric(float64(hits)/float64(checks), "hit-rate")
		lat.report(b)
	})
}

// latencies are the wall times of a benchmark's operations.
type latencies []time.Duration

// report adds their median and 95th percentile, in ms, to the benchmark's metrics.
func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	slices.Sort(l)
	b.ReportMetric(float64(l[len(l)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(l[len(l)*95/100].Microseconds())/1000, "p95-ms")
}

// BenchmarkSync10k syncs 10,000 encounters queued offline (two probe fingers each; one in
// ten a hit on a watched person) to a node.
func BenchmarkSync10k(b *testing.B) {
	const queued = 10_000
	n := startNode(b)
	fillWatched(b, n, 1000)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		kit, c, _ := newKit(b, n, 4)
		if _, _, err := c.Pull(ctx); err != nil {
			b.Fatal(err)
		}
		m, err := kit.Matcher()
		if err != nil {
			b.Fatal(err)
		}
		// The kit's answers for the hits, once (the search is not what is measured).
		hit := map[int]*field.Result{}
		for k := 0; k < queued; k += 10 {
			person := k / 10 % 1000
			bt, _ := synthtpl.Impression(synthtpl.Finger(9, person, 1, nil), 9, 1, nil).MarshalBinary()
			r, err := m.Check([]field.Finger{{Position: 2, Template: bt}})
			if err != nil {
				b.Fatal(err)
			}
			hit[k] = &r
		}
		for k := range queued {
			var probe []field.Finger
			for _, f := range []int{1, 6} {
				bt, _ := synthtpl.Impression(synthtpl.Finger(9, 100_000+k, f, nil), 9, 1, nil).MarshalBinary()
				probe = append(probe, field.Finger{Position: f + 1, Template: bt})
			}
			e := &field.Encounter{Time: time.Now().UTC(), Place: "bench", Fingers: probe, Offline: &field.Result{Watch: store.WatchNone, Action: "green"}}
			if r := hit[k]; r != nil {
				e.Offline = r
			}
			if _, err := kit.Enqueue(field.Item{Kind: field.KindEncounter, Encounter: e}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		t0, c0 := time.Now(), cpuTime()
		rep, err := c.Sync(ctx)
		if err != nil {
			b.Fatal(err)
		}
		took, cpu := time.Since(t0), cpuTime()-c0
		if rep.Created != queued {
			b.Fatalf("sync: %+v", rep)
		}
		b.ReportMetric(took.Seconds(), "sync-s")
		b.ReportMetric(cpu.Seconds(), "sync-cpu-s")
		b.ReportMetric(float64(queued)/took.Seconds(), "encounters/s")
	}
}
