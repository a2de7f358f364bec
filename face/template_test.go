package face

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func TestTemplateRoundTrip(t *testing.T) {
	tpl := Template{Model: DlibModel, Vector: []float32{0.5, -0.25, 1e-30, 3}}
	b, err := tpl.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 4+1+1+len(DlibModel)+2+16 {
		t.Errorf("encoding is %d bytes", len(b))
	}
	var got Template
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if got.Model != tpl.Model || len(got.Vector) != 4 || got.Vector[2] != 1e-30 || got.Vector[3] != 3 {
		t.Errorf("round trip gave %+v", got)
	}
}

func TestTemplateInvalid(t *testing.T) {
	good, _ := Template{Model: "m", Vector: []float32{1}}.MarshalBinary()
	for name, tc := range map[string]struct {
		tpl Template
		b   []byte
	}{
		"no model":     {tpl: Template{Vector: []float32{1}}},
		"space":        {tpl: Template{Model: "a b", Vector: []float32{1}}},
		"empty vector": {tpl: Template{Model: "m"}},
		"zero vector":  {tpl: Template{Model: "m", Vector: []float32{0, 0}}},
		"NaN":          {tpl: Template{Model: "m", Vector: []float32{float32(math.NaN())}}},
		"Inf":          {tpl: Template{Model: "m", Vector: []float32{float32(math.Inf(1))}}},
		"too long":     {tpl: Template{Model: "m", Vector: make([]float32, MaxDim+1)}},
		"bad magic":    {b: append([]byte("XXXX"), good[4:]...)},
		"version 2":    {b: append(append([]byte("BMFC"), 2), good[5:]...)},
		"truncated":    {b: good[:len(good)-1]},
		"trailing":     {b: append(bytes.Clone(good), 0)},
		"short":        {b: []byte("BMF")},
	} {
		var err error
		if tc.b == nil {
			_, err = tc.tpl.MarshalBinary()
		} else {
			var got Template
			err = got.UnmarshalBinary(tc.b)
		}
		if !errors.Is(err, ErrTemplate) {
			t.Errorf("%s: error %v, want an ErrTemplate", name, err)
		}
	}
}

// FuzzTemplate: decoding never panics, and whatever decodes re-encodes to the same bytes.
func FuzzTemplate(f *testing.F) {
	seed, _ := Template{Model: DlibModel, Vector: []float32{1, 2, 3}}.MarshalBinary()
	f.Add(seed)
	f.Add([]byte("BMFC\x01\x00\x00\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var tpl Template
		if tpl.UnmarshalBinary(b) != nil {
			return
		}
		again, err := tpl.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded template does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", b, again)
		}
	})
}
