package sqlite

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/biomesh/biomesh/store"
)

// bulkSamples inserts persons with perPerson finger samples of tplSize-byte templates each,
// n samples in all, in one transaction without audit entries. Tests and benchmarks only.
func bulkSamples(tb testing.TB, db *DB, n, perPerson, tplSize int) {
	tb.Helper()
	tx, err := db.w.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	insP, err := tx.Prepare(`INSERT INTO persons (id, org, name, aliases, search, dob, sex, nationality, category,
		custody, watch_level, watch_reason, watch_set_by, watch_set_org, created, updated)
		VALUES (?, 'org1', ?, '[]', ?, '', '', '', '', '', 'none', '', '', '', ?, ?)`)
	if err != nil {
		tb.Fatal(err)
	}
	insS, err := tx.Prepare(`INSERT INTO samples (person_id, modality, position, template, quality, device, captured, image_format)
		VALUES (?, 'finger', ?, ?, 60, 'dev', ?, '')`)
	if err != nil {
		tb.Fatal(err)
	}
	tpl := make([]byte, tplSize)
	now := time.Now().UnixNano()
	var pid string
	for i := range n {
		if i%perPerson == 0 {
			pid = fmt.Sprintf("P-%08d", i/perPerson)
			if _, err := insP.Exec(pid, "Name "+pid, "name "+pid, now, now); err != nil {
				tb.Fatal(err)
			}
		}
		for j := range tpl {
			tpl[j] = byte(i + j)
		}
		if _, err := insS.Exec(pid, i%perPerson+1, tpl, now); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkEachTemplate streams BIOMESH_BENCH_SAMPLES (default 200,000) finger samples of
// 300-byte templates; it reports rows/s.
func BenchmarkEachTemplate(b *testing.B) {
	n := 200_000
	if s := os.Getenv("BIOMESH_BENCH_SAMPLES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatalf("BIOMESH_BENCH_SAMPLES=%q: %v", s, err)
		}
	}
	db := openTemp(b)
	start := time.Now()
	bulkSamples(b, db, n, 10, 300)
	// A face sample per person would be interleaved in a real store; the scan must skip
	// other modalities through the index.
	b.Logf("setup: %d samples in %v", n, time.Since(start))
	b.ResetTimer()
	for b.Loop() {
		rows, bytes := 0, 0
		err := db.EachTemplate(ctx, store.Finger, func(s store.Sample) error {
			rows++
			bytes += len(s.Template)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if rows != n || bytes != 300*n {
			b.Fatalf("%d rows %d bytes, want %d rows", rows, bytes, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCreatePerson measures durable enrolments (one commit, with fsync, each) of a
// person with ten 300-byte finger templates and no images.
func BenchmarkCreatePerson(b *testing.B) {
	db := openTemp(b)
	ss := make([]store.Sample, 10)
	for i := range ss {
		ss[i] = store.Sample{Modality: store.Finger, Position: i + 1, Template: make([]byte, 300), Quality: 60, Captured: t0}
	}
	i := 0
	for b.Loop() {
		id := fmt.Sprintf("P-%d", i)
		i++
		if err := db.CreatePerson(ctx, person(id, t0), ss, entry("person.enrol", id)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "persons/s")
}
