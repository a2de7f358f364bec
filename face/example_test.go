package face_test

import (
	"fmt"

	"github.com/biomesh/biomesh/face"
)

// A gallery holds templates of one model; a search returns the closest rows with their
// cosine similarity and calibrated score.
func ExampleGallery() {
	cmp, err := face.NewComparator(face.DlibModel, face.Cosine)
	if err != nil {
		panic(err)
	}
	g, _ := face.NewGallery(cmp)
	for _, e := range []struct {
		id string
		v  []float32
	}{{"ann", []float32{1, 0, 0}}, {"bob", []float32{0, 1, 0}}, {"cy", []float32{0.6, 0.8, 0}}} {
		if err := g.Add(e.id, face.Template{Model: face.DlibModel, Vector: e.v}); err != nil {
			panic(err)
		}
	}
	hits, _ := g.Search(face.Template{Model: face.DlibModel, Vector: []float32{0.9, 0.1, 0}}, 2)
	for _, h := range hits {
		fmt.Printf("%s %.3f\n", h.ID, h.Similarity)
	}
	// Output:
	// ann 0.994
	// cy 0.685
}

// Templates travel in a versioned binary form.
func ExampleTemplate_MarshalBinary() {
	b, _ := face.Template{Model: face.DlibModel, Vector: []float32{0.25, -0.5}}.MarshalBinary()
	var t face.Template
	if err := t.UnmarshalBinary(b); err != nil {
		panic(err)
	}
	fmt.Println(len(b), t.Model, t.Vector)
	// Output: 30 dlib-resnet-v1 [0.25 -0.5]
}
