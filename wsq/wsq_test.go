package wsq

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biomesh/biomesh/internal/imageio"
)

// TestRegistered checks that image.Decode and image.DecodeConfig find the
// codec by its magic, and that DecodeInfo reads NIST_COM and comments.
func TestRegistered(t *testing.T) {
	data := sample(t, 64, 48)
	img, format, err := image.Decode(bytes.NewReader(data))
	if err != nil || format != "wsq" {
		t.Fatalf("image.Decode: format %q, err %v", format, err)
	}
	if _, ok := img.(*image.Gray); !ok || img.Bounds().Dx() != 64 || img.Bounds().Dy() != 48 {
		t.Fatalf("image.Decode gave %T %v", img, img.Bounds())
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || format != "wsq" || cfg.Width != 64 || cfg.Height != 48 {
		t.Fatalf("image.DecodeConfig: %+v %q %v", cfg, format, err)
	}
	info, err := DecodeInfo(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if info.PPI != 500 || info.NISTCOM["PIX_WIDTH"] != "64" || info.NISTCOM["PIX_HEIGHT"] != "48" ||
		info.NISTCOM["COMPRESSION"] != "WSQ" || info.NISTCOM["WSQ_BITRATE"] != "0.750000" {
		t.Errorf("NIST_COM read back as %+v", info)
	}
	if len(info.Comments) != 2 || info.Comments[1] != "test" || !strings.HasPrefix(info.Comments[0], "NIST_COM 9\n") {
		t.Errorf("comments %q", info.Comments)
	}
}

// TestUnknownPPI: without a resolution the NIST_COM says -1 and Info 0.
func TestUnknownPPI(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, image.NewGray(image.Rect(0, 0, 20, 20)), nil); err != nil {
		t.Fatal(err)
	}
	info, err := DecodeInfo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if info.PPI != 0 || info.NISTCOM["PPI"] != "-1" {
		t.Errorf("PPI %d, NIST_COM PPI %q; want 0 and -1", info.PPI, info.NISTCOM["PPI"])
	}
}

// TestImageioResolution: imageio.Load reads WSQ files and their PPI once
// this package is linked in.
func TestImageioResolution(t *testing.T) {
	path := filepath.Join(t.TempDir(), "print.wsq")
	if err := os.WriteFile(path, sample(t, 300, 300), 0o644); err != nil {
		t.Fatal(err)
	}
	img, ppi, err := imageio.Load(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ppi != 500 || img.Bounds().Dx() != 300 {
		t.Errorf("imageio.Load: %v at %d ppi, want 300 wide at 500 ppi", img.Bounds(), ppi)
	}
}

func TestEncodeOptions(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for _, o := range []*Options{{BitRate: -1}, {BitRate: 9}, {Comment: strings.Repeat("x", 70000)}} {
		if err := Encode(&bytes.Buffer{}, img, o); err == nil {
			t.Errorf("Encode accepted %+v", o)
		}
	}
	if err := Encode(&bytes.Buffer{}, image.NewGray(image.Rect(0, 0, 0, 5)), nil); err == nil {
		t.Error("Encode accepted an empty image")
	}
	// A colour image is converted to grey.
	rgba := image.NewRGBA(image.Rect(0, 0, 30, 20))
	for i := range rgba.Pix {
		rgba.Pix[i] = uint8(i)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, rgba, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := Decode(&buf); err != nil || got.Bounds().Dx() != 30 {
		t.Fatalf("colour image round trip: %v %v", got, err)
	}
}

func ExampleEncode() {
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	var buf bytes.Buffer
	if err := Encode(&buf, img, &Options{PPI: 500}); err != nil {
		panic(err)
	}
	back, err := Decode(&buf)
	if err != nil {
		panic(err)
	}
	fmt.Println(back.Bounds(), back.ColorModel() == color.GrayModel)
	// Output: (0,0)-(64,64) true
}
