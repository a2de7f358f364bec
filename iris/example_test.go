package iris_test

import (
	"fmt"

	"github.com/biomesh/biomesh/gallery"
	"github.com/biomesh/biomesh/iris"
)

// A node keeps iris templates in a gallery.Gallery with the ISO eye label as the sample
// position, so that a left-eye probe meets only left-eye templates, and fuses both eyes of
// a probe by adding their calibrated scores.
func Example_gallery() {
	enrol := func(texture uint64, eye iris.Eye, capture uint64) *iris.Template {
		img := iris.Synthesize(iris.SynthEye{Texture: texture, Capture: capture, Reflections: 2})
		t, _, err := iris.Extract(img, &iris.Options{Eye: eye})
		if err != nil {
			panic(err)
		}
		return t
	}
	g := gallery.New[*iris.Template]()
	for person := uint64(1); person <= 3; person++ {
		g.Add(fmt.Sprint("person-", person),
			gallery.Sample[*iris.Template]{Position: int(iris.EyeLeft), Template: enrol(10*person, iris.EyeLeft, 1)},
			gallery.Sample[*iris.Template]{Position: int(iris.EyeRight), Template: enrol(10*person+1, iris.EyeRight, 1)})
	}

	// Probe: both eyes of person 2, captured again.
	left := iris.Prepare(enrol(20, iris.EyeLeft, 2))
	right := iris.Prepare(enrol(21, iris.EyeRight, 2))
	cands, err := g.Search([]gallery.Probe[*iris.Template]{
		{Position: int(iris.EyeLeft), Score: left.Compare},
		{Position: int(iris.EyeRight), Score: right.Compare},
	}, 2)
	if err != nil {
		panic(err)
	}
	fmt.Println(cands[0].Subject, cands[0].Score > 60, cands[1].Score < 30)
	// Output: person-2 true true
}
