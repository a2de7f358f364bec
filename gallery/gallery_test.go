package gallery

import (
	"fmt"
	"math"
	"testing"
)

// Templates here are plain numbers; a probe scores 100 against its own number and 0
// otherwise, so expected rankings are exact.
func exact(v int) func(int) float64 {
	return func(t int) float64 {
		if t == v {
			return 100
		}
		return float64(t % 7)
	}
}

func TestSearchRanksAndFuses(t *testing.T) {
	g := New[int]()
	for s := range 1000 {
		g.Put(fmt.Sprintf("s%04d", s), []Sample[int]{{Position: 1, Template: s * 10}, {Position: 2, Template: s*10 + 1}})
	}
	if n, m := g.Len(); n != 1000 || m != 2000 {
		t.Fatalf("Len = %d, %d; want 1000, 2000", n, m)
	}
	got, err := g.Search([]Probe[int]{{Position: 1, Score: exact(420)}, {Position: 2, Score: exact(421)}}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || got[0].Subject != "s0042" || got[0].Score != 200 {
		t.Fatalf("top candidate = %+v; want s0042 with 200", got[0])
	}
	for i := 1; i < len(got); i++ {
		if got[i].Score > got[i-1].Score {
			t.Fatalf("candidates not sorted: %+v", got)
		}
	}
	// Unknown probe position: best of the subject's two samples, minus 10·log10(2).
	got, _ = g.Search([]Probe[int]{{Position: 0, Score: exact(421)}}, 1)
	if want := 100 - 10*math.Log10(2); got[0].Subject != "s0042" || math.Abs(got[0].Score-want) > 1e-9 {
		t.Fatalf("unknown position: %+v; want s0042 with %.3f", got[0], want)
	}
}

func TestRemoveAndReplace(t *testing.T) {
	g := New[int]()
	g.Add("a", Sample[int]{Position: 1, Template: 1})
	g.Add("b", Sample[int]{Position: 1, Template: 2})
	g.Add("c", Sample[int]{Position: 1, Template: 3})
	if !g.Remove("a") || g.Remove("a") {
		t.Fatal("Remove should succeed once")
	}
	got, _ := g.Search([]Probe[int]{{Position: 1, Score: exact(3)}}, 10)
	if len(got) != 2 || got[0].Subject != "c" {
		t.Fatalf("after remove: %+v", got)
	}
	g.Put("c", []Sample[int]{{Position: 1, Template: 9}})
	got, _ = g.Search([]Probe[int]{{Position: 1, Score: exact(3)}}, 10)
	if got[0].Score == 100 {
		t.Fatalf("replaced template still matches: %+v", got)
	}
}

func TestSearchErrors(t *testing.T) {
	g := New[int]()
	if _, err := g.Search(nil, 3); err == nil {
		t.Error("no probe: want error")
	}
	if _, err := g.Search([]Probe[int]{{Score: exact(1)}}, 0); err == nil {
		t.Error("k = 0: want error")
	}
	if got, err := g.Search([]Probe[int]{{Score: exact(1)}}, 3); err != nil || len(got) != 0 {
		t.Errorf("empty gallery: %v, %v", got, err)
	}
}

func TestConcurrentSearchAndUpdate(t *testing.T) {
	g := New[int]()
	for s := range 500 {
		g.Put(fmt.Sprint(s), []Sample[int]{{Position: 1, Template: s}})
	}
	done := make(chan bool)
	go func() {
		for i := range 200 {
			g.Put(fmt.Sprint(1000+i), []Sample[int]{{Position: 1, Template: 1000 + i}})
			g.Remove(fmt.Sprint(i))
		}
		close(done)
	}()
	for {
		select {
		case <-done:
			got, err := g.Search([]Probe[int]{{Position: 1, Score: exact(1100)}}, 1)
			if err != nil || got[0].Subject != "1100" {
				t.Fatalf("after updates: %+v, %v", got, err)
			}
			if n, _ := g.Len(); n != 500 {
				t.Fatalf("%d subjects, want 500", n)
			}
			return
		default:
			if _, err := g.Search([]Probe[int]{{Position: 1, Score: exact(450)}}, 3); err != nil {
				t.Fatal(err)
			}
		}
	}
}
