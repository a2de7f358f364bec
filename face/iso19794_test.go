package face

import (
	"bytes"
	"errors"
	"image"
	"reflect"
	"strings"
	"testing"
)

// isoRecord is a record of one 64×48 JPEG facial image with two feature points.
func isoRecord(t testing.TB) (*ISOFaceRecord, []byte) {
	var jpg bytes.Buffer
	encodeJPEG(t, &jpg, image.NewGray(image.Rect(0, 0, 64, 48)))
	rec := &ISOFaceRecord{Images: []ISOFaceImage{{
		Gender: 1, EyeColour: 2, HairColour: 3, FeatureMask: 0x000003, Expression: 1,
		Pose: [3]byte{1, 2, 3}, PoseUncertainty: [3]byte{4, 5, 6},
		FeaturePoints: []ISOFeaturePoint{{Type: 1, Major: 12, Minor: 1, X: 20, Y: 18}, {Type: 1, Major: 12, Minor: 2, X: 44, Y: 18}},
		FaceImageType: 1, ImageDataType: ISOImageJPEG, Width: 64, Height: 48,
		ColourSpace: 1, SourceType: 2, DeviceType: 7, Quality: 100, Data: jpg.Bytes(),
	}}}
	b, err := rec.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return rec, b
}

func TestISOFaceRecord(t *testing.T) {
	rec, b := isoRecord(t)
	got, err := ParseISOFaceRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rec) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, rec)
	}
	img, err := Decode("rec.fac", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 64, 48) {
		t.Errorf("decoded %v", img.Bounds())
	}

	// Two images: the first is decoded.
	rec2 := &ISOFaceRecord{Images: []ISOFaceImage{rec.Images[0], rec.Images[0]}}
	rec2.Images[1].FeaturePoints = nil
	b2, _ := rec2.MarshalBinary()
	if got, err := ParseISOFaceRecord(b2); err != nil || len(got.Images) != 2 || got.Images[1].FeaturePoints != nil {
		t.Errorf("two images: %+v, %v", got, err)
	}
}

func TestISOFaceRecordErrors(t *testing.T) {
	_, good := isoRecord(t)
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"version", edit(func(b []byte) []byte { copy(b[4:], "030\x00"); return b }), "version"},
		{"short header", good[:10], "shorter than the header"},
		{"record length", edit(func(b []byte) []byte { b[11]++; return b }), "record length"},
		{"truncated", edit(func(b []byte) []byte {
			b = b[:len(b)-5]
			b[8], b[9], b[10], b[11] = byte(len(b)>>24), byte(len(b)>>16), byte(len(b)>>8), byte(len(b))
			return b
		}), "facial record length"},
		{"no images", edit(func(b []byte) []byte { b[12], b[13] = 0, 0; return b }), "no facial images"},
		{"two images declared", edit(func(b []byte) []byte { b[13] = 2; return b }), "facial image 2"},
		{"feature points overflow", edit(func(b []byte) []byte { b[18], b[19] = 0xff, 0xff; return b }), "feature points"},
		{"data type", edit(func(b []byte) []byte { b[14+20+16+1] = 7; return b }), "image data type 7"},
		{"declared JPEG 2000", edit(func(b []byte) []byte { b[14+20+16+1] = ISOImageJPEG2000; return b }), "declares its image JPEG 2000 but holds jpeg"},
	} {
		_, err := Decode(c.name, bytes.NewReader(c.b))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("%s: %T is not an InputError", c.name, err)
		}
	}
	if IsISOFaceRecord([]byte("\xff\xd8\xff")) || !IsISOFaceRecord(good) {
		t.Error("IsISOFaceRecord")
	}
}

// FuzzISOFaceRecord: parsing never panics, a parsed record writes back to one that parses
// to the same fields, and Decode of the bytes never panics.
func FuzzISOFaceRecord(f *testing.F) {
	_, good := isoRecord(f)
	f.Add(good)
	f.Add(good[:30])
	f.Add([]byte(isoFaceMagic + isoFaceVersion + "\x00\x00\x00\x0e\x00\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		Decode("fuzz", bytes.NewReader(b))
		rec, err := ParseISOFaceRecord(b)
		if err != nil {
			if !errors.Is(err, ErrISORecord) {
				t.Fatalf("error %v does not wrap ErrISORecord", err)
			}
			return
		}
		out, err := rec.MarshalBinary()
		if err != nil {
			t.Fatalf("parsed record does not write back: %v", err)
		}
		again, err := ParseISOFaceRecord(out)
		if err != nil || !reflect.DeepEqual(again, rec) {
			t.Fatalf("written record parses to %+v, %v; want %+v", again, err, rec)
		}
	})
}
