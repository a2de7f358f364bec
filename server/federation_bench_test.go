package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/internal/fedtest"
	"github.com/biomesh/biomesh/internal/nodetest"
	"github.com/biomesh/biomesh/server"
	"github.com/biomesh/biomesh/store"
)

// BenchmarkPartnerQuery measures the hit/no-hit round trip through a partner node: two real
// nodes linked over mutual TLS on loopback ("border" queries "hq", as fedtest.Pair), hq over
// the store of BenchmarkNodeScale (BIOMESH_BENCH_PERSONS persons × 10 fingers, default
// 10,000; BIOMESH_BENCH_DIR reuses it). Each query is POST /v1/partners/hq/query on border
// with a mated 2-finger probe: border's API, the signed request over the leaf link, hq's
// 1:N search of its whole gallery, the signed answer, the audit on both sides. Reported:
// median and 95th-percentile latency, CPU time per query (both nodes run in this process:
// the CPU is theirs together), the share of queries answered with the right reference, and
// the queries that timed out (the node waits 15 s for a partner's answer).
// Target: p95 ≤ 1.5 s with 10,000 persons.
//
//	go test ./server -run XXX -bench PartnerQuery -benchtime 1x -timeout 60m
//	BIOMESH_BENCH_DIR=/tmp/node10k go test ./server -run XXX -bench PartnerQuery -benchtime 1x -timeout 60m
//
// BIOMESH_BENCH_SEARCHES sets the number of queries (default 40).
func BenchmarkPartnerQuery(b *testing.B) {
	persons := benchPersons(b)
	dir, _ := benchStore(b, persons)
	searches := 40
	if v := os.Getenv("BIOMESH_BENCH_SEARCHES"); v != "" {
		searches, _ = strconv.Atoi(v)
		searches = max(searches, 1)
	}
	for range b.N {
		t0 := time.Now()
		hq, border := nodetest.StartLinkedAt(b, dir+"/biomesh.db", func(h, _ *fedtest.Side) {
			// The synthetic persons have no category and no watch level: hq's agreement
			// with border covers them, so that a found person is answered as a hit.
			a := &h.Config.Partners[0].Send[0]
			a.Categories = append(a.Categories, "")
			a.WatchLevels = append(a.WatchLevels, store.WatchNone)
		})
		b.Logf("two nodes started and linked in %.1f s (hq loads %d persons)", time.Since(t0).Seconds(), persons)
		_, tok, err := server.AddUser(context.Background(), border.Store, "officer", "border-police", store.RoleEnroller,
			&audit.Entry{Time: time.Now(), User: "bench", Org: "border-police", Role: store.RoleAdmin, Action: "user.add", Target: "officer"})
		if err != nil {
			b.Fatal(err)
		}
		lat, cpu := make([]float64, 0, searches), make([]float64, 0, searches)
		hits, timeouts := 0, 0
		for q := range searches {
			k := (q * 7919) % persons
			probe := benchProbe(k)
			body, _ := json.Marshal(map[string]any{"purpose": fedtest.Purpose, "samples": probe})
			t0, cpu0 := time.Now(), cpuTime()
			code, resp := postJSON(b, border.URL+"/v1/partners/hq/query", tok, body)
			lat = append(lat, time.Since(t0).Seconds()*1000)
			cpu = append(cpu, (cpuTime()-cpu0).Seconds()*1000)
			var r struct {
				Hit bool
				Ref string
			}
			if code == 502 && bytes.Contains(resp, []byte("deadline exceeded")) {
				timeouts++ // the node gave up after 15 s: counted at 15 s or more
				continue
			}
			if code != 200 || json.Unmarshal(resp, &r) != nil {
				b.Fatalf("query %d: %d %s", q, code, resp)
			}
			if r.Hit && r.Ref == "hq/"+personID(k) {
				hits++
			}
		}
		if hq.Admin != "" {
			b.Fatal("hq's store was not the benchmark's") // it had no users: a new store
		}
		slices.Sort(lat)
		slices.Sort(cpu)
		b.ReportMetric(lat[len(lat)/2], "query-p50-ms")
		b.ReportMetric(lat[len(lat)*95/100], "query-p95-ms")
		b.ReportMetric(cpu[len(cpu)/2], "query-cpu-p50-ms")
		b.ReportMetric(cpu[len(cpu)*95/100], "query-cpu-p95-ms")
		b.ReportMetric(float64(hits)/float64(searches), "hit-rate")
		b.ReportMetric(float64(timeouts), "timeouts")
	}
}

func postJSON(b *testing.B, url, token string, body []byte) (int, []byte) {
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}
