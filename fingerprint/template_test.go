package fingerprint

import (
	"math"
	"testing"
)

func TestWithHeight(t *testing.T) {
	tp := &Template{Width: 300, Height: 400, Minutiae: []Minutia{{X: 10, Y: 200, Direction: math.Pi / 4}, {X: 5, Y: 40, Direction: 0}}}
	got := tp.WithHeight(300)
	if got.Height != 300 || got.Minutiae[0].Y != 150 || got.Minutiae[1].Y != 30 || got.Minutiae[0].X != 10 {
		t.Fatalf("WithHeight(300) = %+v", got)
	}
	// A 45° direction squeezed to 3/4 height becomes atan(0.75).
	if d := got.Minutiae[0].Direction - math.Atan(0.75); math.Abs(d) > 1e-9 {
		t.Errorf("direction %.4f, want %.4f", got.Minutiae[0].Direction, math.Atan(0.75))
	}
	if got.Minutiae[1].Direction != 0 {
		t.Errorf("horizontal direction changed to %.4f", got.Minutiae[1].Direction)
	}
	if tp.Minutiae[0].Y != 200 {
		t.Error("WithHeight changed its receiver")
	}
}

func TestRescaled(t *testing.T) {
	tp := &Template{Width: 600, Height: 500, Resolution: 1000, Minutiae: []Minutia{{X: 100, Y: 51}}}
	got := tp.Rescaled(500)
	if got.Resolution != 500 || got.Width != 300 || got.Height != 250 || got.Minutiae[0].X != 50 || got.Minutiae[0].Y != 26 {
		t.Fatalf("Rescaled(500) = %+v", got)
	}
}
