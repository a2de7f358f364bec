package face

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// ISO/IEC 19794-5:2005 face image records (the form ePassports carry in data group 2):
//
//	"FAC\x00"  format identifier
//	"010\x00"  version
//	4          record length, bytes, header included
//	2          number of facial images, at least 1
//
// then each facial image:
//
//	4          facial record data length, bytes, from here to the end of its image data
//	2          number of feature points
//	1+1+1      gender, eye colour, hair colour
//	3          feature mask
//	2          expression
//	3+3        pose angles (yaw, pitch, roll) and their uncertainties
//	8 each     feature points: type, major<<4|minor code, x, y (2 each), 2 reserved
//	1+1        face image type, image data type (0 JPEG, 1 JPEG 2000)
//	2+2        width, height
//	1+1        colour space, source type
//	2+2        device type, quality
//	…          the image data
//
// All numbers are big-endian.
const (
	isoFaceMagic     = "FAC\x00"
	isoFaceVersion   = "010\x00"
	isoHeaderBytes   = 14
	isoFacialBytes   = 20
	isoPointBytes    = 8
	isoImageInfoByte = 12
)

// Image data types of a facial image.
const (
	ISOImageJPEG     = 0
	ISOImageJPEG2000 = 1
)

// ISOFaceRecord is a parsed ISO/IEC 19794-5:2005 face image record.
type ISOFaceRecord struct {
	Images []ISOFaceImage
}

// ISOFaceImage is one facial image of a record, with its descriptive fields as coded.
type ISOFaceImage struct {
	Gender, EyeColour, HairColour byte
	FeatureMask                   uint32 // 24 bits
	Expression                    uint16
	Pose, PoseUncertainty         [3]byte // yaw, pitch, roll
	FeaturePoints                 []ISOFeaturePoint
	FaceImageType                 byte // 0 basic, 1 full frontal, 2 token frontal
	ImageDataType                 byte // ISOImageJPEG or ISOImageJPEG2000
	Width, Height                 int
	ColourSpace, SourceType       byte
	DeviceType, Quality           uint16
	Data                          []byte // the JPEG or JPEG 2000 image, as stored
}

// ISOFeaturePoint is a landmark of the face, coded as in ISO/IEC 14496-2 (MPEG-4):
// major.minor, e.g. 12.1 for the left eye's centre.
type ISOFeaturePoint struct {
	Type, Major, Minor byte
	X, Y               int
}

// ErrISORecord is wrapped by every error parsing an ISO/IEC 19794-5 record.
var ErrISORecord = errors.New("ISO/IEC 19794-5 face record")

// IsISOFaceRecord reports whether b starts like an ISO/IEC 19794-5 face record.
func IsISOFaceRecord(b []byte) bool { return bytes.HasPrefix(b, []byte(isoFaceMagic)) }

func isoErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrISORecord, fmt.Sprintf(format, a...))
}

// ParseISOFaceRecord parses a record of the 2005 edition. The record length must match
// len(b) and every facial image must fit in it; the image data is not decoded (Decode
// does that).
func ParseISOFaceRecord(b []byte) (*ISOFaceRecord, error) {
	if !IsISOFaceRecord(b) {
		return nil, isoErr("no FAC format identifier")
	}
	if len(b) < isoHeaderBytes {
		return nil, isoErr("%d bytes, shorter than the header", len(b))
	}
	if v := string(b[4:8]); v != isoFaceVersion {
		return nil, isoErr("version %q is not supported (only %q, the 2005 edition)", v, isoFaceVersion)
	}
	if n := binary.BigEndian.Uint32(b[8:]); uint64(n) != uint64(len(b)) {
		return nil, isoErr("record length %d, but %d bytes", n, len(b))
	}
	count := int(binary.BigEndian.Uint16(b[12:]))
	if count == 0 {
		return nil, isoErr("no facial images")
	}
	rec := &ISOFaceRecord{}
	rest := b[isoHeaderBytes:]
	for i := range count {
		img, n, err := parseISOFacial(rest)
		if err != nil {
			return nil, fmt.Errorf("facial image %d: %w", i+1, err)
		}
		rec.Images = append(rec.Images, img)
		rest = rest[n:]
	}
	if len(rest) != 0 {
		return nil, isoErr("%d bytes after the last facial image", len(rest))
	}
	return rec, nil
}

func parseISOFacial(b []byte) (ISOFaceImage, int, error) {
	var img ISOFaceImage
	if len(b) < isoFacialBytes {
		return img, 0, isoErr("%d bytes left, shorter than a facial information block", len(b))
	}
	n := binary.BigEndian.Uint32(b)
	points := int(binary.BigEndian.Uint16(b[4:]))
	fixed := isoFacialBytes + points*isoPointBytes + isoImageInfoByte
	if uint64(n) > uint64(len(b)) || int(n) < fixed {
		return img, 0, isoErr("facial record length %d with %d feature points; %d bytes left", n, points, len(b))
	}
	b = b[:n]
	img.Gender, img.EyeColour, img.HairColour = b[6], b[7], b[8]
	img.FeatureMask = uint32(b[9])<<16 | uint32(b[10])<<8 | uint32(b[11])
	img.Expression = binary.BigEndian.Uint16(b[12:])
	copy(img.Pose[:], b[14:17])
	copy(img.PoseUncertainty[:], b[17:20])
	p := b[isoFacialBytes:]
	for range points {
		img.FeaturePoints = append(img.FeaturePoints, ISOFeaturePoint{
			Type: p[0], Major: p[1] >> 4, Minor: p[1] & 0x0f,
			X: int(binary.BigEndian.Uint16(p[2:])), Y: int(binary.BigEndian.Uint16(p[4:])),
		})
		p = p[isoPointBytes:]
	}
	img.FaceImageType, img.ImageDataType = p[0], p[1]
	img.Width, img.Height = int(binary.BigEndian.Uint16(p[2:])), int(binary.BigEndian.Uint16(p[4:]))
	img.ColourSpace, img.SourceType = p[6], p[7]
	img.DeviceType, img.Quality = binary.BigEndian.Uint16(p[8:]), binary.BigEndian.Uint16(p[10:])
	img.Data = p[isoImageInfoByte:]
	if img.ImageDataType != ISOImageJPEG && img.ImageDataType != ISOImageJPEG2000 {
		return img, 0, isoErr("image data type %d (want 0, JPEG, or 1, JPEG 2000)", img.ImageDataType)
	}
	if len(img.Data) == 0 {
		return img, 0, isoErr("no image data")
	}
	return img, int(n), nil
}

// MarshalBinary writes the record in the 2005 edition's form.
func (r *ISOFaceRecord) MarshalBinary() ([]byte, error) {
	if len(r.Images) == 0 || len(r.Images) > 0xffff {
		return nil, isoErr("%d facial images", len(r.Images))
	}
	out := []byte(isoFaceMagic + isoFaceVersion + "\x00\x00\x00\x00")
	out = binary.BigEndian.AppendUint16(out, uint16(len(r.Images)))
	for i, img := range r.Images {
		if len(img.FeaturePoints) > 0xffff || img.Width > 0xffff || img.Height > 0xffff || img.Width < 0 || img.Height < 0 || img.FeatureMask > 0xffffff {
			return nil, isoErr("facial image %d: a field is out of range", i+1)
		}
		n := isoFacialBytes + len(img.FeaturePoints)*isoPointBytes + isoImageInfoByte + len(img.Data)
		out = binary.BigEndian.AppendUint32(out, uint32(n))
		out = binary.BigEndian.AppendUint16(out, uint16(len(img.FeaturePoints)))
		out = append(out, img.Gender, img.EyeColour, img.HairColour,
			byte(img.FeatureMask>>16), byte(img.FeatureMask>>8), byte(img.FeatureMask))
		out = binary.BigEndian.AppendUint16(out, img.Expression)
		out = append(out, img.Pose[:]...)
		out = append(out, img.PoseUncertainty[:]...)
		for _, p := range img.FeaturePoints {
			if p.Major > 15 || p.Minor > 15 || p.X < 0 || p.X > 0xffff || p.Y < 0 || p.Y > 0xffff {
				return nil, isoErr("facial image %d: a feature point is out of range", i+1)
			}
			out = append(out, p.Type, p.Major<<4|p.Minor)
			out = binary.BigEndian.AppendUint16(out, uint16(p.X))
			out = binary.BigEndian.AppendUint16(out, uint16(p.Y))
			out = append(out, 0, 0)
		}
		out = append(out, img.FaceImageType, img.ImageDataType)
		out = binary.BigEndian.AppendUint16(out, uint16(img.Width))
		out = binary.BigEndian.AppendUint16(out, uint16(img.Height))
		out = append(out, img.ColourSpace, img.SourceType)
		out = binary.BigEndian.AppendUint16(out, img.DeviceType)
		out = binary.BigEndian.AppendUint16(out, img.Quality)
		out = append(out, img.Data...)
	}
	if uint64(len(out)) > 0xffffffff {
		return nil, isoErr("record of %d bytes is too long", len(out))
	}
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)))
	return out, nil
}
