package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/match"
	"github.com/biomesh/biomesh/fingerprint/synth"
	"github.com/biomesh/biomesh/fingerprint/synthtpl"
	"github.com/biomesh/biomesh/server"
	"github.com/biomesh/biomesh/store"
	"github.com/biomesh/biomesh/store/sqlite"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// BenchmarkEnrolTenFingers enrols persons with ten finger images each (500 ppi synthetic
// PNGs) through the HTTP handler, so the figure includes decoding, extraction on all cores,
// the de-duplication search, the store and the audit. Target: ≥ 5 persons/s on 2 cores.
//
//	go test ./server -run XXX -bench EnrolTenFingers -benchtime 20x
func BenchmarkEnrolTenFingers(b *testing.B) {
	const people = 8
	imgs := make([][][]byte, people) // imgs[p][f]
	var wg sync.WaitGroup
	for p := range people {
		imgs[p] = make([][]byte, 10)
		for f := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, err := synth.NewMaster(synth.MasterSeed(99, 10*p+f), nil)
				if err != nil {
					panic(err)
				}
				im, err := m.Impression(uint64(p*10+f), nil)
				if err != nil {
					panic(err)
				}
				var buf bytes.Buffer
				png.Encode(&buf, im.Image)
				imgs[p][f] = buf.Bytes()
			}()
		}
	}
	wg.Wait()
	st, err := sqlite.Open(b.TempDir() + "/biomesh.db")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	tok, _ := server.Bootstrap(ctx, st, "unit-a", time.Now())
	srv, err := server.New(ctx, st, server.Config{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	b.ResetTimer()
	for i := range b.N {
		p := i % people
		samples := make([]any, 10)
		for f := range 10 {
			samples[f] = fingerSample(f+1, imgs[p][f])
		}
		body, _ := json.Marshal(map[string]any{"person": map[string]any{"name": fmt.Sprint("Bench ", i)}, "samples": samples})
		req := newRequest("POST", "/v1/persons", tok, body)
		rec := newRecorder()
		h.ServeHTTP(rec, req)
		if rec.code != 201 && rec.code != 200 {
			b.Fatalf("enrol: %d %s", rec.code, rec.buf.String())
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "persons/s")
}

// BenchmarkNodeScale fills a store with N synthetic persons × 10 finger templates
// (BIOMESH_BENCH_PERSONS, default 10,000), then measures the node's start-up (gallery
// load), the gallery's memory per finger, and 2-finger identifications with mated probes:
// median and 95th-percentile latency and rank-1 accuracy. Targets: p95 ≤ 1 s with 10,000
// persons on 2 cores; ≤ 1 KB per finger; start-up with 100,000 persons ≤ 10 s.
//
//	go test ./server -run XXX -bench NodeScale -benchtime 1x -timeout 60m
//	BIOMESH_BENCH_PERSONS=100000 go test ./server -run XXX -bench NodeScale -benchtime 1x -timeout 60m
//	BIOMESH_BENCH_DIR=/tmp/node100k BIOMESH_BENCH_PERSONS=100000 BIOMESH_BENCH_SEARCHES=0 go test ./server -run XXX -bench NodeScale -count 5
//
// BIOMESH_BENCH_SEARCHES=0 measures the start-up only.
func BenchmarkNodeScale(b *testing.B) {
	persons := benchPersons(b)
	dir, tok := benchStore(b, persons)
	ctx := context.Background()

	for range b.N {
		st, err := sqlite.Open(dir + "/biomesh.db")
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		t0, cpu0 := time.Now(), cpuTime()
		srv, err := server.New(ctx, st, server.Config{Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		load, loadCPU := time.Since(t0), cpuTime()-cpu0
		runtime.GC()
		runtime.ReadMemStats(&m1)
		b.ReportMetric(load.Seconds(), "startup-s")
		// CPU time of the start-up, all threads: on a shared machine, startup-cpu-s divided
		// by the cores is about what the start-up takes with those cores idle.
		b.ReportMetric(loadCPU.Seconds(), "startup-cpu-s")
		b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/float64(persons*10), "gallery-B/finger")

		h := srv.Handler()
		searches := 40
		if v := os.Getenv("BIOMESH_BENCH_SEARCHES"); v != "" {
			searches, _ = strconv.Atoi(v)
			searches = max(searches, 0)
		}
		lat, cpu := make([]float64, 0, searches), make([]float64, 0, searches)
		rank1 := 0
		for q := range searches {
			k := (q * 7919) % persons
			probe := benchProbe(k)
			body, _ := json.Marshal(map[string]any{"samples": probe})
			rec := newRecorder()
			t0, cpu0 := time.Now(), cpuTime()
			h.ServeHTTP(rec, newRequest("POST", "/v1/identify", tok, body))
			lat = append(lat, time.Since(t0).Seconds()*1000)
			cpu = append(cpu, (cpuTime()-cpu0).Seconds()*1000)
			var r struct {
				Decision   string
				Candidates []struct {
					PersonID string `json:"person_id"`
				}
			}
			json.Unmarshal(rec.buf.Bytes(), &r)
			if rec.code == 200 && r.Decision == "hit" && len(r.Candidates) > 0 && r.Candidates[0].PersonID == personID(k) {
				rank1++
			}
		}
		runtime.KeepAlive(srv)
		st.Close()
		if searches == 0 {
			continue
		}
		slices.Sort(lat)
		b.ReportMetric(lat[len(lat)/2], "identify-p50-ms")
		b.ReportMetric(lat[len(lat)*95/100], "identify-p95-ms")
		// CPU time per identification, all threads (as startup-cpu-s).
		slices.Sort(cpu)
		b.ReportMetric(cpu[len(cpu)/2], "identify-cpu-p50-ms")
		b.ReportMetric(cpu[len(cpu)*95/100], "identify-cpu-p95-ms")
		b.ReportMetric(float64(rank1)/float64(searches), "hit-rank1")
	}
}

// benchPersons is BIOMESH_BENCH_PERSONS (default 10,000).
func benchPersons(b *testing.B) int {
	persons := 10000
	if v := os.Getenv("BIOMESH_BENCH_PERSONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10 {
			b.Fatalf("BIOMESH_BENCH_PERSONS=%q: a number ≥ 10", v)
		}
		persons = n
	}
	return persons
}

// benchProbe returns the samples of a mated 2-finger probe of synthetic person k of
// fillStore: another impression of fingers 2 and 7.
func benchProbe(k int) []any {
	var probe []any
	for _, f := range []int{2, 7} {
		m := synthtpl.Finger(5, k, f, nil)
		t, _ := synthtpl.Impression(m, 5, 1, nil).MarshalBinary()
		probe = append(probe, map[string]any{"modality": "finger", "position": f, "template": t})
	}
	return probe
}

// benchStore returns the directory of a store (biomesh.db) filled with persons synthetic
// persons by fillStore, and the token of its admin (organisation unit-a).
//
// BIOMESH_BENCH_DIR keeps the store between runs: it is filled when that directory holds
// none, and reused (with the admin token saved beside it) when it was filled with the
// same number of persons.
func benchStore(b *testing.B, persons int) (dir, tok string) {
	dir, reuse := os.Getenv("BIOMESH_BENCH_DIR"), false
	if dir == "" {
		dir = b.TempDir()
	} else if saved, err := os.ReadFile(dir + "/bench-token"); err == nil {
		var n int
		var t string
		if _, err := fmt.Sscan(string(saved), &n, &t); err != nil || n != persons {
			b.Fatalf("BIOMESH_BENCH_DIR=%s holds a store of another size (%q): want %d persons", dir, saved, persons)
		}
		reuse = true
	} else if _, err := os.Stat(dir + "/biomesh.db"); err == nil {
		b.Fatalf("BIOMESH_BENCH_DIR=%s holds a store without its bench-token", dir)
	}
	if reuse {
		saved, _ := os.ReadFile(dir + "/bench-token")
		fmt.Sscan(string(saved), new(int), &tok)
		return dir, tok
	}
	st, err := sqlite.Open(dir + "/biomesh.db")
	if err != nil {
		b.Fatal(err)
	}
	tok, _ = server.Bootstrap(context.Background(), st, "unit-a", time.Now())
	t0 := time.Now()
	fillStore(b, st, persons)
	b.Logf("filled the store with %d persons × 10 fingers in %.1f s", persons, time.Since(t0).Seconds())
	st.Close()
	if os.Getenv("BIOMESH_BENCH_DIR") != "" {
		if err := os.WriteFile(dir+"/bench-token", []byte(fmt.Sprint(persons, " ", tok)), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	return dir, tok
}

func personID(k int) string { return fmt.Sprintf("P-BENCH%07d", k) }

// fillStore writes persons with ten synthetic finger templates each, in parallel.
func fillStore(b *testing.B, st store.Store, persons int) {
	ctx := context.Background()
	var wg sync.WaitGroup
	work := make(chan int, 256)
	for range runtime.GOMAXPROCS(0) * 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				now := time.Now().UTC()
				p := &store.Person{ID: personID(k), Org: "unit-a", Name: fmt.Sprint("Scale ", k), Created: now, Updated: now, Watch: store.Watch{Level: store.WatchNone}}
				var ss []store.Sample
				for f := 1; f <= 10; f++ {
					m := synthtpl.Finger(5, k, f, nil)
					t := synthtpl.Impression(m, 5, 0, nil)
					t.Position = f
					bt, _ := t.MarshalBinary()
					var rt fingerprint.Template
					rt.UnmarshalBinary(bt) // the gallery form of the template as stored, as the node makes it
					pb, _ := match.NewCandidate(&rt).MarshalBinary()
					ss = append(ss, store.Sample{Modality: store.Finger, Position: f, Template: bt, Prepared: pb, Quality: t.Quality, Captured: now})
				}
				a := &audit.Entry{Time: now, User: "bench", Org: "unit-a", Role: "admin", Action: "person.enrol", Target: p.ID, Result: "ok"}
				if err := st.CreatePerson(ctx, p, ss, a); err != nil {
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
}
