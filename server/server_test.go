package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/biomesh/biomesh/internal/nodetest"
	"github.com/biomesh/biomesh/nist"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/fingerprint/synth"
	"github.com/biomesh/biomesh/server"
	"github.com/biomesh/biomesh/store"
	"github.com/biomesh/biomesh/store/sqlite"
)

// node is a real server on a loopback port over a real SQLite store.
type node struct {
	t     *testing.T
	url   string
	st    *sqlite.DB
	admin string
}

func startNode(t *testing.T) *node {
	n := nodetest.Start(t)
	return &node{t: t, url: n.URL, st: n.Store, admin: n.Admin}
}

// user creates a user through the API and returns its token.
func (n *node) user(name, org, role string) string {
	var out struct{ Token string }
	n.must(n.call("POST", "/v1/users", n.admin, map[string]any{"name": name, "org": org, "role": role}, &out), 201)
	return out.Token
}

func (n *node) call(method, path, token string, body any, out any) int {
	n.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			n.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, n.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("X-Biomesh-Purpose", "test")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 500 {
		n.t.Errorf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			n.t.Fatalf("%s %s: %d: response %q: %v", method, path, res.StatusCode, data, err)
		}
	}
	return res.StatusCode
}

func (n *node) must(got, want int) {
	n.t.Helper()
	if got != want {
		n.t.Fatalf("status %d, want %d", got, want)
	}
}

// prints holds PNG impressions of synthetic fingers: prints[f][i] is impression i of finger f.
var (
	printsOnce sync.Once
	prints     [][][]byte
)

func fingerPrints(t *testing.T) [][][]byte {
	t.Helper()
	printsOnce.Do(func() {
		const fingers, impressions = 8, 2
		prints = make([][][]byte, fingers)
		var wg sync.WaitGroup
		for f := range fingers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, err := synth.NewMaster(synth.MasterSeed(7, f), nil)
				if err != nil {
					panic(err)
				}
				for i := range impressions {
					im, err := m.Impression(uint64(100*f+i), nil)
					if err != nil {
						panic(err)
					}
					var b bytes.Buffer
					png.Encode(&b, im.Image)
					prints[f] = append(prints[f], b.Bytes())
				}
			}()
		}
		wg.Wait()
	})
	return prints
}

func fingerSample(pos int, img []byte) map[string]any {
	return map[string]any{"modality": "finger", "position": pos, "image": img}
}

type enrolResp struct {
	PersonID  string           `json:"person_id"`
	Created   bool             `json:"created"`
	Duplicate bool             `json:"duplicate"`
	Conflicts []store.Conflict `json:"conflicts"`
	Matches   []struct {
		PersonID string  `json:"person_id"`
		Score    float64 `json:"score"`
	} `json:"matches"`
	Error string `json:"error"`
}

func TestEnrolIdentifyVerifyEncounter(t *testing.T) {
	p := fingerPrints(t)
	n := startNode(t)
	enroller := n.user("enroller1", "unit-a", "enroller")
	analyst := n.user("analyst1", "unit-a", "analyst")
	screener := n.user("patrol1", "unit-a", "screener")

	// Three persons, two fingers each.
	ids := make([]string, 3)
	for k := range ids {
		var r enrolResp
		n.must(n.call("POST", "/v1/persons", enroller, map[string]any{
			"person":  map[string]any{"name": fmt.Sprintf("Person %d", k), "date_of_birth": "1990-01-0" + fmt.Sprint(k+1), "category": "detainee"},
			"samples": []any{fingerSample(2, p[2*k][0]), fingerSample(7, p[2*k+1][0])},
		}, &r), 201)
		if !r.Created || r.PersonID == "" || len(r.Conflicts) != 0 {
			t.Fatalf("enrol %d: %+v", k, r)
		}
		ids[k] = r.PersonID
	}

	// Identify person 1 from the other impressions of both fingers.
	var id struct {
		Decision   string
		Threshold  float64
		Candidates []struct {
			PersonID string `json:"person_id"`
			Score    float64
			Person   *store.Person
		}
	}
	probe := []any{fingerSample(2, p[2][1]), fingerSample(7, p[3][1])}
	n.must(n.call("POST", "/v1/identify", analyst, map[string]any{"samples": probe}, &id), 200)
	if id.Decision != "hit" || len(id.Candidates) == 0 || id.Candidates[0].PersonID != ids[1] {
		t.Fatalf("identify: %+v", id)
	}
	if id.Candidates[0].Person == nil || id.Candidates[0].Person.Name != "Person 1" {
		t.Errorf("analyst of the owning organisation should see the record: %+v", id.Candidates[0])
	}
	// A non-mated probe (finger 6 is enrolled nowhere at position 2... use finger 7, not enrolled).
	n.must(n.call("POST", "/v1/identify", analyst, map[string]any{"samples": []any{fingerSample(2, p[7][0])}}, &id), 200)
	if id.Decision != "no-hit" {
		t.Errorf("non-mated identify: %+v", id)
	}

	// Verify against the right and a wrong claim.
	var v struct {
		Match bool
		Score float64
	}
	n.must(n.call("POST", "/v1/verify", screener, map[string]any{"person_id": ids[1], "samples": probe}, &v), 200)
	if !v.Match {
		t.Errorf("genuine verify: %+v", v)
	}
	n.must(n.call("POST", "/v1/verify", screener, map[string]any{"person_id": ids[0], "samples": probe}, &v), 200)
	if v.Match {
		t.Errorf("impostor verify: %+v", v)
	}

	// Watch person 1 at detain; a screener's encounter is a red hit without name or ID.
	n.must(n.call("PUT", "/v1/persons/"+ids[1]+"/watch", analyst, map[string]any{"level": "detain", "reason": "warrant 17"}, nil), 200)
	alerts := n.followAlerts(analyst)
	var enc map[string]any
	n.must(n.call("POST", "/v1/encounters", screener, map[string]any{"samples": probe, "place": "checkpoint 4", "lat": 36.34, "lon": 43.13, "unit": "patrol 2"}, &enc), 201)
	if enc["hit"] != true || enc["watch"] != "detain" || enc["action"] != "red" {
		t.Fatalf("screener encounter: %v", enc)
	}
	for _, k := range []string{"person_id", "person", "score"} {
		if _, ok := enc[k]; ok {
			t.Errorf("screener sees %s: %v", k, enc)
		}
	}
	select {
	case a := <-alerts:
		if a["person_id"] != ids[1] || a["name"] != "Person 1" || a["place"] != "checkpoint 4" {
			t.Errorf("alert: %v", a)
		}
	case <-time.After(time.Second):
		t.Fatal("no alert within a second of the encounter")
	}

	// The screener can never read a record.
	for _, path := range []string{"/v1/persons/" + ids[1], "/v1/persons/" + ids[1] + "/timeline", "/v1/persons?name=Person"} {
		if got := n.call("GET", path, screener, nil, nil); got != 403 {
			t.Errorf("screener GET %s: %d, want 403", path, got)
		}
	}
	// The analyst reads the record and its timeline, which shows the encounter.
	var tl struct {
		Events []struct{ Kind string }
	}
	n.must(n.call("GET", "/v1/persons/"+ids[1]+"/timeline", analyst, nil, &tl), 200)
	kinds := fmt.Sprint(tl.Events)
	if !strings.Contains(kinds, "enrolled") || !strings.Contains(kinds, "encounter") || !strings.Contains(kinds, "watch") {
		t.Errorf("timeline: %s", kinds)
	}
	var search struct{ Persons []store.Person }
	n.must(n.call("GET", "/v1/persons?name=person%202", analyst, nil, &search), 200)
	if len(search.Persons) != 1 || search.Persons[0].ID != ids[2] {
		t.Errorf("search: %+v", search)
	}
	// Another organisation's analyst sees neither the record nor the name in candidates.
	_, other, err := server.AddUser(context.Background(), n.st, "analyst2", "border-b", "analyst", &audit.Entry{Time: time.Now(), User: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if got := n.call("GET", "/v1/persons/"+ids[1], other, nil, nil); got != 403 {
		t.Errorf("other organisation's analyst: %d, want 403", got)
	}
	id.Candidates = nil
	n.must(n.call("POST", "/v1/identify", other, map[string]any{"samples": probe}, &id), 200)
	if len(id.Candidates) == 0 || id.Candidates[0].Person != nil {
		t.Errorf("other organisation sees the record in candidates: %+v", id.Candidates)
	}

	// Deletion: refused under watch, allowed after lifting it; the person leaves the gallery.
	if got := n.call("DELETE", "/v1/persons/"+ids[1], n.admin, map[string]any{"reason": "court order"}, nil); got != 409 {
		t.Errorf("delete under watch: %d, want 409", got)
	}
	n.must(n.call("PUT", "/v1/persons/"+ids[1]+"/watch", analyst, map[string]any{"level": "none"}, nil), 200)
	n.must(n.call("DELETE", "/v1/persons/"+ids[1], n.admin, map[string]any{"reason": "court order"}, nil), 200)
	if got := n.call("GET", "/v1/persons/"+ids[1], analyst, nil, nil); got != 410 {
		t.Errorf("read after delete: %d, want 410", got)
	}
	n.must(n.call("POST", "/v1/identify", analyst, map[string]any{"samples": probe}, &id), 200)
	if id.Decision != "no-hit" {
		t.Errorf("deleted person still identified: %+v", id)
	}

	// The audit chain holds every step and verifies.
	var av struct {
		OK      bool
		Entries int
	}
	auditor := n.user("auditor1", "unit-a", "auditor")
	n.must(n.call("GET", "/v1/audit/verify", auditor, nil, &av), 200)
	if !av.OK || av.Entries < 15 {
		t.Errorf("audit verify: %+v", av)
	}
	var log struct{ Entries []audit.Entry }
	n.must(n.call("GET", "/v1/audit?limit=10000", auditor, nil, &log), 200)
	var denied, reads int
	for _, e := range log.Entries {
		if strings.HasPrefix(e.Result, "denied") {
			denied++
		}
		if e.Action == "person.read" || e.Action == "person.timeline" {
			reads++
		}
	}
	if denied < 3 || reads < 2 {
		t.Errorf("audit log: %d refusals, %d reads recorded", denied, reads)
	}
}

// followAlerts subscribes to the alert stream and returns a channel of decoded alerts.
func (n *node) followAlerts(token string) <-chan map[string]any {
	n.t.Helper()
	req, _ := http.NewRequest("GET", n.url+"/v1/alerts", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	ctx, cancel := context.WithCancel(context.Background())
	n.t.Cleanup(cancel)
	res, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		n.t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		n.t.Fatalf("alerts: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	ch := make(chan map[string]any, 16)
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var a map[string]any
				json.Unmarshal([]byte(data), &a)
				ch <- a
			}
		}
	}()
	return ch
}

func TestIdentityConflictAndReEnrolment(t *testing.T) {
	p := fingerPrints(t)
	n := startNode(t)
	var first, again, forged enrolResp
	n.must(n.call("POST", "/v1/persons", n.admin, map[string]any{
		"person":  map[string]any{"name": "Ahmad Karim", "date_of_birth": "1985", "nationality": "IRQ"},
		"samples": []any{fingerSample(1, p[0][0]), fingerSample(6, p[1][0])},
	}, &first), 201)

	// The same person, same name, later: a re-enrolment, no second record.
	n.must(n.call("POST", "/v1/persons", n.admin, map[string]any{
		"person":  map[string]any{"name": "ahmad  karim", "date_of_birth": "1985-03-02"},
		"samples": []any{fingerSample(1, p[0][1])},
	}, &again), 200)
	if !again.Duplicate || again.Created || again.PersonID != first.PersonID {
		t.Fatalf("re-enrolment: %+v", again)
	}

	// The same fingers under another name and nationality: a new record and a conflict.
	n.must(n.call("POST", "/v1/persons", n.admin, map[string]any{
		"person":  map[string]any{"name": "Omar Haddad", "date_of_birth": "1987", "nationality": "SYR"},
		"samples": []any{fingerSample(1, p[0][1]), fingerSample(6, p[1][1])},
	}, &forged), 201)
	if !forged.Created || len(forged.Conflicts) != 1 || forged.Conflicts[0].OtherID != first.PersonID {
		t.Fatalf("forged identity: %+v", forged)
	}
	if r := forged.Conflicts[0].Reason; !strings.Contains(r, "name") || !strings.Contains(r, "nationality") || !strings.Contains(r, "date_of_birth") {
		t.Errorf("conflict reason: %q", r)
	}
	var list struct{ Conflicts []store.Conflict }
	n.must(n.call("GET", "/v1/conflicts?status=open", n.admin, nil, &list), 200)
	if len(list.Conflicts) != 1 {
		t.Fatalf("open conflicts: %+v", list)
	}
	// A record with an open conflict cannot be deleted.
	if got := n.call("DELETE", "/v1/persons/"+forged.PersonID+"?reason=x", n.admin, nil, nil); got != 409 {
		t.Errorf("delete with open conflict: %d", got)
	}
	cid := list.Conflicts[0].ID
	if got := n.call("POST", "/v1/conflicts", n.admin, map[string]any{"conflict_id": cid, "resolution": "same-person", "keep": "P-ELSE"}, nil); got != 400 {
		t.Errorf("keep naming neither record: %d, want 400", got)
	}
	// Resolved as the same person: the newer record is merged into the older one.
	var res struct {
		Conflict store.Conflict
		Merge    store.Merge
		Person   store.Person
	}
	n.must(n.call("POST", "/v1/conflicts", n.admin, map[string]any{"conflict_id": cid, "resolution": "same-person", "note": "false documents"}, &res), 200)
	if res.Conflict.Status != store.ConflictSame || res.Merge.Keep != first.PersonID || res.Merge.Gone != forged.PersonID {
		t.Fatalf("same-person resolution: %+v", res)
	}
	if !slices.Contains(res.Person.Aliases, "Omar Haddad") || res.Person.Nationality != "IRQ" {
		t.Errorf("merged record: %+v", res.Person)
	}
	if got := n.call("POST", "/v1/conflicts", n.admin, map[string]any{"conflict_id": cid, "resolution": "different-persons"}, nil); got != 409 {
		t.Errorf("second resolution: %d, want 409", got)
	}
	var gone struct{ Error string }
	if got := n.call("GET", "/v1/persons/"+forged.PersonID, n.admin, nil, &gone); got != 410 || !strings.Contains(gone.Error, "merged into "+first.PersonID) {
		t.Errorf("read of the merged record: %d %q, want 410 naming %s", got, gone.Error, first.PersonID)
	}
	var rec struct{ Samples []store.Sample }
	n.must(n.call("GET", "/v1/persons/"+first.PersonID, n.admin, nil, &rec), 200)
	if len(rec.Samples) != 5 {
		t.Errorf("the kept record has %d samples, want 2+1+2", len(rec.Samples))
	}
	// The gallery follows: a search finds the kept record only, with more evidence.
	var id struct {
		Decision   string
		Candidates []struct {
			PersonID string `json:"person_id"`
		}
	}
	n.must(n.call("POST", "/v1/identify", n.admin, map[string]any{"samples": []any{fingerSample(1, p[0][1]), fingerSample(6, p[1][1])}}, &id), 200)
	if id.Decision != "hit" || len(id.Candidates) == 0 || id.Candidates[0].PersonID != first.PersonID {
		t.Fatalf("identify after the merge: %+v", id)
	}
	for _, c := range id.Candidates {
		if c.PersonID == forged.PersonID {
			t.Errorf("the merged record %s is still searched", forged.PersonID)
		}
	}
}

// TestConcurrentEnrolmentsOfOnePerson checks that two enrolments of the same fingers
// racing each other still raise a conflict: the second must see the first.
func TestConcurrentEnrolmentsOfOnePerson(t *testing.T) {
	p := fingerPrints(t)
	n := startNode(t)
	var wg sync.WaitGroup
	res := make([]enrolResp, 2)
	for k := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.call("POST", "/v1/persons", n.admin, map[string]any{
				"person":  map[string]any{"name": fmt.Sprintf("Name %d", k)},
				"samples": []any{fingerSample(3, p[4][k]), fingerSample(8, p[5][k])},
			}, &res[k])
		}()
	}
	wg.Wait()
	if len(res[0].Conflicts)+len(res[1].Conflicts) != 1 {
		t.Fatalf("racing enrolments of one person: %+v", res)
	}
}

func TestBadInput(t *testing.T) {
	p := fingerPrints(t)
	n := startNode(t)
	enroller := n.user("e1", "unit-a", "enroller")
	screener := n.user("s1", "unit-a", "screener")
	huge := append([]byte(`{"samples":[{"image":"`), bytes.Repeat([]byte("A"), 70<<20)...)
	cases := []struct {
		name, method, path, token string
		body                      any
		want                      int
		msg                       string
	}{
		{"no token", "POST", "/v1/identify", "", map[string]any{}, 401, "missing API token"},
		{"wrong token", "POST", "/v1/identify", "bm_nope", map[string]any{}, 401, "unknown"},
		{"wrong role", "POST", "/v1/persons", screener, map[string]any{}, 403, "not allowed for role screener"},
		{"malformed JSON", "POST", "/v1/identify", enroller, []byte(`{"samples": [`), 400, "JSON"},
		{"wrong type", "POST", "/v1/identify", enroller, []byte(`{"samples": "x"}`), 400, "samples"},
		{"unknown field", "POST", "/v1/identify", enroller, []byte(`{"sample": []}`), 400, "unknown field"},
		{"no samples", "POST", "/v1/identify", enroller, map[string]any{"samples": []any{}}, 400, "samples"},
		{"finger position 11", "POST", "/v1/identify", enroller, map[string]any{"samples": []any{fingerSample(11, p[0][0])}}, 400, "finger position 11"},
		{"corrupt image", "POST", "/v1/identify", enroller, map[string]any{"samples": []any{fingerSample(1, p[0][0][:200])}}, 422, "samples[0]"},
		{"not an image", "POST", "/v1/identify", enroller, map[string]any{"samples": []any{fingerSample(1, []byte("hello world, not a print"))}}, 422, "samples[0]"},
		{"bad base64", "POST", "/v1/identify", enroller, []byte(`{"samples":[{"image":"%%%"}]}`), 400, "image"},
		{"huge body", "POST", "/v1/identify", enroller, huge, 413, "limit"},
		{"unknown modality", "POST", "/v1/identify", enroller, map[string]any{"samples": []any{map[string]any{"modality": "ear", "image": p[0][0]}}}, 400, "modality"},
		{"dna without profile", "POST", "/v1/identify", enroller, map[string]any{"samples": []any{map[string]any{"modality": "dna"}}}, 400, "STR profile"},
		{"dna bad locus", "POST", "/v1/identify", enroller, map[string]any{"samples": []any{map[string]any{"modality": "dna", "profile": map[string]any{"loci": map[string]any{"D99S999": []string{"1", "2"}}}}}}, 422, "D99S999"},
		{"dna too few loci", "POST", "/v1/identify", enroller, map[string]any{"samples": []any{map[string]any{"modality": "dna", "profile": map[string]any{"loci": map[string]any{"TH01": []string{"6", "9.3"}}}}}}, 422, "at least 6"},
		{"bad date", "POST", "/v1/persons", enroller, map[string]any{"person": map[string]any{"date_of_birth": "1990-02-31"}, "samples": []any{fingerSample(1, p[0][0])}}, 400, "date_of_birth"},
		{"two thumbs", "POST", "/v1/persons", enroller, map[string]any{"person": map[string]any{"name": "x"}, "samples": []any{fingerSample(1, p[0][0]), fingerSample(1, p[1][0])}}, 400, "position 1"},
		{"unknown person", "GET", "/v1/persons/P-NOPE", n.admin, nil, 404, "P-NOPE"},
		{"bad watch level", "PUT", "/v1/persons/P-NOPE/watch", n.admin, map[string]any{"level": "shoot"}, 400, "level"},
		{"bad latitude", "POST", "/v1/encounters", screener, map[string]any{"samples": []any{fingerSample(1, p[0][0])}, "lat": 91, "lon": 0}, 400, "lat"},
		{"no such endpoint", "GET", "/v1/nothing", n.admin, nil, 404, "no such endpoint"},
		{"wrong content type", "POST", "/v1/identify", enroller, nil, 415, "content type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out struct{ Error string }
			var got int
			if c.name == "wrong content type" {
				req, _ := http.NewRequest("POST", n.url+c.path, strings.NewReader("a=b"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Authorization", "Bearer "+c.token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				json.NewDecoder(res.Body).Decode(&out)
				res.Body.Close()
				got = res.StatusCode
			} else {
				got = n.call(c.method, c.path, c.token, c.body, &out)
			}
			if got != c.want || !strings.Contains(out.Error, c.msg) {
				t.Errorf("%d %q, want %d with %q", got, out.Error, c.want, c.msg)
			}
		})
	}
	// Nothing was stored by any of them.
	ps, err := n.st.SearchPersons(context.Background(), store.PersonQuery{Name: "x"})
	if err != nil || len(ps) != 0 {
		t.Errorf("bad requests stored persons: %v %v", ps, err)
	}
}

func TestMultipartEnrolment(t *testing.T) {
	p := fingerPrints(t)
	n := startNode(t)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormField("request")
	fw.Write([]byte(`{"person":{"name":"Multi Part"},"samples":[{"position":2,"part":"right-index"}]}`))
	ff, _ := mw.CreateFormFile("right-index", "ri.png")
	ff.Write(p[6][0])
	mw.Close()
	req, _ := http.NewRequest("POST", n.url+"/v1/persons", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+n.admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var r enrolResp
	json.NewDecoder(res.Body).Decode(&r)
	res.Body.Close()
	if res.StatusCode != 201 || !r.Created {
		t.Fatalf("multipart enrol: %d %+v", res.StatusCode, r)
	}
	// The stored image is the PNG as sent, readable by the owner.
	req, _ = http.NewRequest("GET", fmt.Sprintf("%s/v1/persons/%s", n.url, r.PersonID), nil)
	req.Header.Set("Authorization", "Bearer "+n.admin)
	res, _ = http.DefaultClient.Do(req)
	var pr struct{ Samples []store.Sample }
	json.NewDecoder(res.Body).Decode(&pr)
	res.Body.Close()
	if len(pr.Samples) != 1 || pr.Samples[0].ImageFormat != "png" {
		t.Fatalf("samples: %+v", pr.Samples)
	}
	req, _ = http.NewRequest("GET", fmt.Sprintf("%s/v1/persons/%s/samples/%d/image", n.url, r.PersonID, pr.Samples[0].ID), nil)
	req.Header.Set("Authorization", "Bearer "+n.admin)
	res, _ = http.DefaultClient.Do(req)
	img, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(img, p[6][0]) {
		t.Errorf("stored image differs from the one sent (%d vs %d bytes)", len(img), len(p[6][0]))
	}
}

// TestRestartKeepsGallery: persons enrolled before a restart are identified after it.
func TestRestartKeepsGallery(t *testing.T) {
	p := fingerPrints(t)
	dir := t.TempDir()
	st, err := sqlite.Open(dir + "/biomesh.db")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tok, _ := server.Bootstrap(ctx, st, "unit-a", time.Now())
	quiet := server.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv, err := server.New(ctx, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"person": map[string]any{"name": "Before Restart"}, "samples": []any{fingerSample(4, p[3][0])}})
	req, _ := http.NewRequest("POST", "/v1/persons", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := newRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.code != 201 {
		t.Fatalf("enrol: %d %s", rec.code, rec.buf.String())
	}
	st.Close()

	st, err = sqlite.Open(dir + "/biomesh.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err = server.New(ctx, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = json.Marshal(map[string]any{"samples": []any{fingerSample(4, p[3][1])}})
	req, _ = http.NewRequest("POST", "/v1/identify", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	rec = newRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.code != 200 || !strings.Contains(rec.buf.String(), `"decision":"hit"`) {
		t.Fatalf("identify after restart: %d %s", rec.code, rec.buf.String())
	}
}

type recorder struct {
	h    http.Header
	code int
	buf  bytes.Buffer
}

func newRecorder() *recorder                    { return &recorder{h: http.Header{}} }
func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) Write(b []byte) (int, error) { return r.buf.Write(b) }
func (r *recorder) WriteHeader(c int)           { r.code = c }

func newRequest(method, path, token string, body []byte) *http.Request {
	req, _ := http.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	return req
}

// TestTenPrintTransaction enrols NIST's reference ten-print card through POST
// /v1/transactions, finds the person again with the card's plain thumb (another impression
// of finger 1) and exports the record as EBTS.
func TestTenPrintTransaction(t *testing.T) {
	dir := os.Getenv("BIOMESH_TESTDATA")
	if dir == "" {
		t.Skip("BIOMESH_TESTDATA not set")
	}
	card, err := os.ReadFile(filepath.Join(dir, "nist", "ansi-nist-references", "type-4-tpcard.an2"))
	if err != nil {
		t.Fatal(err)
	}
	n := startNode(t)
	post := func(body []byte, ct string, out any) int {
		req, _ := http.NewRequest("POST", n.url+"/v1/transactions?category=detainee", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+n.admin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		if out != nil {
			json.Unmarshal(data, out)
		}
		if res.StatusCode >= 300 {
			t.Logf("POST /v1/transactions: %d %s", res.StatusCode, data)
		}
		return res.StatusCode
	}
	var enr struct {
		PersonID string `json:"person_id"`
		Samples  []struct {
			Position int
			Minutiae int
		}
		Warnings []string
	}
	n.must(post(card, "application/x-ansi-nist", &enr), 201)
	if len(enr.Samples) != 10 {
		t.Fatalf("%d samples enrolled from the ten-print card, want 10", len(enr.Samples))
	}
	for _, s := range enr.Samples {
		if s.Minutiae < 20 {
			t.Errorf("finger %d: %d minutiae from a rolled 500 ppi print", s.Position, s.Minutiae)
		}
	}
	if w := strings.Join(enr.Warnings, "\n"); !strings.Contains(w, "slap") || !strings.Contains(w, "second image of finger 1") {
		t.Errorf("warnings do not name the slaps and the plain thumbs:\n%s", w)
	}

	// The plain right thumb (FGP 11) is another impression of finger 1.
	tx, err := nist.Decode(card)
	if err != nil {
		t.Fatal(err)
	}
	var plain []byte
	for _, im := range tx.Images() {
		if len(im.Positions) > 0 && im.Positions[0] == 11 {
			plain = im.Data
		}
	}
	if plain == nil {
		t.Fatal("no plain right thumb in the card")
	}
	var id struct {
		Decision   string
		Candidates []struct {
			PersonID string `json:"person_id"`
			Score    float64
		}
	}
	n.must(n.call("POST", "/v1/identify", n.admin, map[string]any{"samples": []any{
		map[string]any{"modality": "finger", "position": 1, "image": plain, "resolution": 500}}}, &id), 200)
	if id.Decision != "hit" || id.Candidates[0].PersonID != enr.PersonID {
		t.Fatalf("identify with the plain thumb: %+v", id)
	}
	t.Logf("plain thumb against the rolled thumb: score %.1f", id.Candidates[0].Score)

	// Export as EBTS: ten WSQ finger records come back.
	req, _ := http.NewRequest("GET", n.url+"/v1/persons/"+enr.PersonID+"/transaction?dai=PARTNER01", nil)
	req.Header.Set("Authorization", "Bearer "+n.admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/x-ansi-nist" {
		t.Fatalf("export: %d %.300s", res.StatusCode, data)
	}
	out, err := nist.Decode(data)
	if err != nil {
		t.Fatalf("exported transaction: %v", err)
	}
	if got := out.Count(14); got != 10 {
		t.Errorf("exported %d Type-14 records, want 10", got)
	}
	if out.DAI() != "PARTNER01" {
		t.Errorf("DAI %q", out.DAI())
	}
	// Garbage and a card with nothing of a person are refused with the reason.
	if got := post([]byte("not a transaction at all"), "application/x-ansi-nist", nil); got != 422 {
		t.Errorf("garbage: %d, want 422", got)
	}
	palms, err := os.ReadFile(filepath.Join(dir, "nist", "ansi-nist-references", "type-15-palms.an2"))
	if err != nil {
		t.Fatal(err)
	}
	if got := post(palms, "application/x-ansi-nist", nil); got != 422 {
		t.Errorf("palms only: %d, want 422", got)
	}
	// What cannot be read (lossless JPEG fingers) or fails the iris gates is left out with
	// a note; the face is enrolled.
	piv, err := os.ReadFile(filepath.Join(dir, "nist", "ansi-nist-references", "type-10-14-17-piv-index-iris.an2"))
	if err != nil {
		t.Fatal(err)
	}
	var pr struct {
		Samples  []struct{ Modality string }
		Warnings []string
	}
	n.must(post(piv, "application/x-ansi-nist", &pr), 201)
	if w := strings.Join(pr.Warnings, "\n"); len(pr.Samples) == 0 || !strings.Contains(w, "not readable here") {
		t.Errorf("face, iris and finger card: %+v", pr)
	}
}
