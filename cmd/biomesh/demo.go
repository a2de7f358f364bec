package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/biomesh/biomesh/fingerprint/synth"
)

// demoPrints makes synthetic prints: out[p][f][i] is impression i (of 2) of finger f (of 2:
// right and left index) of person p, as PNG.
func demoPrints(seed uint64, persons int) ([][][][]byte, error) {
	out := make([][][][]byte, persons)
	errs := make([]error, persons*2)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for p := range persons {
		out[p] = make([][][]byte, 2)
		for f := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				m, err := synth.NewMaster(synth.MasterSeed(seed, 2*p+f), nil)
				if err != nil {
					errs[2*p+f] = err
					return
				}
				for i := range 2 {
					im, err := m.Impression(synth.MasterSeed(seed+1, 4*p+2*f+i), nil)
					if err != nil {
						errs[2*p+f] = err
						return
					}
					var b bytes.Buffer
					png.Encode(&b, im.Image)
					out[p][f] = append(out[p][f], b.Bytes())
				}
			}()
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// demoClient is the little HTTP client the demo uses: the same requests a field device or
// curl sends.
type demoClient struct {
	url, token string
	http       *http.Client
}

func (c *demoClient) call(method, path string, body, out any) error {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, c.url+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Biomesh-Purpose", "demonstration")
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, bytes.TrimSpace(data))
	}
	return json.Unmarshal(data, out)
}

func demoFingers(prints [][][]byte, impression int) []map[string]any {
	return []map[string]any{
		{"modality": "finger", "position": 2, "image": prints[0][impression], "device": "demo scanner"},
		{"modality": "finger", "position": 7, "image": prints[1][impression], "device": "demo scanner"},
	}
}

var demoNames = []string{"Ahmad Karim", "Layla Hassan", "Yusuf Demir", "Mariam Saleh", "Omar Haddad",
	"Noor Aziz", "Karim Nasser", "Huda Rahman", "Samir Taha", "Rania Khalil"}

// runDemo enrols synthetic persons on a running node and shows identification, an
// encounter with a watched person, a no-hit, and an identity conflict. seed varies the
// people, so every run on the same node shows new ones.
func runDemo(ctx context.Context, w io.Writer, url, token string, seed uint64) error {
	c := &demoClient{url: url, token: token, http: &http.Client{Timeout: time.Minute}}
	const persons = 10
	fmt.Fprintf(w, "\n== Demo: %d synthetic persons, 2 fingers each (right and left index), made by biomesh synth\n", persons)
	t0 := time.Now()
	prints, err := demoPrints(seed, persons+1)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   generated %d fingerprint images in %.1f s\n", (persons+1)*4, time.Since(t0).Seconds())

	type enrolResp struct {
		PersonID  string `json:"person_id"`
		Duplicate bool   `json:"duplicate"`
		Samples   []struct {
			Position, Minutiae int
		} `json:"samples"`
		Conflicts []struct {
			ID      string `json:"id"`
			OtherID string `json:"other_id"`
			Reason  string `json:"reason"`
		} `json:"conflicts"`
	}
	ids := make([]string, persons)
	t0 = time.Now()
	for p := range persons {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var r enrolResp
		err := c.call("POST", "/v1/persons", map[string]any{
			"person":  map[string]any{"name": demoNames[p], "date_of_birth": fmt.Sprintf("19%02d", 70+p*3), "category": "detainee", "custody": "held at demo camp"},
			"samples": demoFingers(prints[p], 0),
		}, &r)
		if err != nil {
			return err
		}
		ids[p] = r.PersonID
		fmt.Fprintf(w, "   enrolled %-13s as %s (%d and %d minutiae)\n", demoNames[p], r.PersonID, r.Samples[0].Minutiae, r.Samples[1].Minutiae)
	}
	fmt.Fprintf(w, "   %d enrolments in %.1f s, each searched against the gallery first\n", persons, time.Since(t0).Seconds())

	var watch any
	if err := c.call("PUT", "/v1/persons/"+ids[3]+"/watch", map[string]any{"level": "detain", "reason": "demo: wanted for questioning"}, &watch); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== %s (%s) put on watch level detain\n", demoNames[3], ids[3])

	var id struct {
		Decision   string
		Threshold  float64
		Candidates []struct {
			PersonID string  `json:"person_id"`
			Score    float64 `json:"score"`
			Person   *struct{ Name string }
		}
	}
	t0 = time.Now()
	if err := c.call("POST", "/v1/identify", map[string]any{"samples": demoFingers(prints[3], 1)}, &id); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== Identify with new impressions of %s's fingers (%.0f ms)\n   decision %s (threshold %.1f)\n", demoNames[3], float64(time.Since(t0).Microseconds())/1000, id.Decision, id.Threshold)
	for i, cd := range id.Candidates {
		if i == 3 {
			break
		}
		name := ""
		if cd.Person != nil {
			name = cd.Person.Name
		}
		fmt.Fprintf(w, "   %d. %s %-13s score %.1f\n", i+1, cd.PersonID, name, cd.Score)
	}

	var enc struct {
		Hit      bool
		Watch    string
		Action   string
		PersonID string `json:"person_id"`
	}
	if err := c.call("POST", "/v1/encounters", map[string]any{"samples": demoFingers(prints[3], 1), "place": "demo checkpoint", "lat": 36.19, "lon": 44.01, "unit": "patrol 1"}, &enc); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== Encounter at a checkpoint: hit=%t person %s watch %s → %s (an alert went to GET /v1/alerts)\n", enc.Hit, enc.PersonID, enc.Watch, enc.Action)
	enc.PersonID = ""
	if err := c.call("POST", "/v1/encounters", map[string]any{"samples": demoFingers(prints[persons], 0), "place": "demo checkpoint", "unit": "patrol 1"}, &enc); err != nil {
		return err
	}
	fmt.Fprintf(w, "== Encounter with someone never enrolled: hit=%t → %s\n", enc.Hit, enc.Action)

	var forged enrolResp
	if err := c.call("POST", "/v1/persons", map[string]any{
		"person":  map[string]any{"name": "Walid Mansour", "date_of_birth": "1991", "category": "traveller"},
		"samples": demoFingers(prints[5], 1),
	}, &forged); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== %s re-enrols under a false name (Walid Mansour): new record %s\n", demoNames[5], forged.PersonID)
	for _, cf := range forged.Conflicts {
		fmt.Fprintf(w, "   identity conflict %s with %s: %s\n", cf.ID, cf.OtherID, cf.Reason)
	}
	fmt.Fprintf(w, "\nThe node keeps running. Try, with the token printed above:\n"+
		"   curl -H 'Authorization: Bearer TOKEN' %s/v1/persons/%s/timeline\n"+
		"   curl -H 'Authorization: Bearer TOKEN' '%s/v1/conflicts?status=open'\n"+
		"   biomesh audit verify --data DATA-DIR   (after stopping the node, or beside it)\n", url, ids[3], url)
	return nil
}
