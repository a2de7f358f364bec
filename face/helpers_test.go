package face

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"testing"
)

func encodePNG(t testing.TB, w io.Writer, img image.Image) {
	t.Helper()
	if err := png.Encode(w, img); err != nil {
		t.Fatal(err)
	}
}

func encodeJPEG(t testing.TB, w io.Writer, img image.Image) {
	t.Helper()
	if err := jpeg.Encode(w, img, nil); err != nil {
		t.Fatal(err)
	}
}

func pngOf(t testing.TB, w, h int) []byte {
	var b bytes.Buffer
	encodePNG(t, &b, image.NewGray(image.Rect(0, 0, w, h)))
	return b.Bytes()
}

// toYCbCr round-trips img through JPEG to get the decoder's own *image.YCbCr.
func toYCbCr(t testing.TB, img image.Image) image.Image {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	out, err := jpeg.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out.(*image.YCbCr); !ok {
		t.Fatalf("JPEG decoded to %T", out)
	}
	return out
}
