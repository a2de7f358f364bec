package iris

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
)

// ISO/IEC 19794-6:2005 iris image record ("IIR\0", version "010\0"):
//
//	record header, 45 bytes: format id (4), version (4), record length (4), capture device
//	id (2), number of eye subtypes (1), header length = 45 (2), image properties (2: bits
//	0–1 horizontal orientation, 2–3 vertical orientation, 4–6 scan type, 7 iris occlusion,
//	8 occlusion filling, 9 boundary extraction), iris diameter (2), image format (2), width
//	(2), height (2), intensity depth (1), image transformation (1), device unique id (16);
//	per eye subtype: subtype (1: 0 undefined, 1 right, 2 left), number of images (2);
//	per image: image number (2), quality (1), rotation angle (2, signed), rotation
//	uncertainty (2), image length (4), image data.
//
// All integers are big-endian. Width, height and image format are shared by every image of
// the record.

// Image formats of ISO/IEC 19794-6:2005.
const (
	ISOMonoRaw      = 0x0002
	ISORGBRaw       = 0x0004
	ISOMonoJPEG     = 0x0006
	ISORGBJPEG      = 0x0008
	ISOMonoJPEGLS   = 0x000A
	ISORGBJPEGLS    = 0x000C
	ISOMonoJPEG2000 = 0x000E
	ISORGBJPEG2000  = 0x0010
	// ISOMonoPNG is not in the 2005 table (PNG arrived in the 2011 edition); it is read
	// and written here with the 2011 code point so that lossless images travel too.
	ISOMonoPNG = 0x0012
)

const isoHeader = 45

// ErrISO is wrapped by the errors of records that cannot be read.
var ErrISO = errors.New("iris: bad ISO/IEC 19794-6 record")

// ISORecord is an ISO/IEC 19794-6:2005 iris image record with its images.
type ISORecord struct {
	CaptureDevice   uint16
	ImageProperties uint16 // the bit field as stored
	IrisDiameter    uint16 // expected iris diameter, pixels
	Format          uint16 // ISOMonoJPEG, ISOMonoRaw, …
	Width, Height   uint16
	Depth           uint8 // bits per pixel per colour
	Transformation  uint8
	DeviceID        [16]byte
	Images          []ISOImage
}

// ISOImage is one image of a record, with the eye it shows.
type ISOImage struct {
	Eye         Eye
	Number      uint16
	Quality     uint8  // 0–100, 254 undefined
	Rotation    int16  // eye rotation as stored; −1 (0xFFFF) means undefined
	Uncertainty uint16 // its uncertainty as stored; 0xFFFF means undefined
	Data        []byte // encoded as the record's Format
}

// IsISO reports whether data starts like an ISO/IEC 19794-6:2005 record.
func IsISO(data []byte) bool {
	return len(data) >= 8 && string(data[:8]) == "IIR\x00010\x00"
}

// NewISORecord builds a record from one encoded eye image and its metadata: format is
// ISOMonoJPEG, ISOMonoPNG, ISOMonoRaw (8-bit row-major pixels) or another code of the
// table; width and height are the image's.
func NewISORecord(eye Eye, format uint16, width, height int, data []byte, quality uint8) *ISORecord {
	return &ISORecord{
		Format: format, Width: uint16(width), Height: uint16(height), Depth: 8,
		Images: []ISOImage{{Eye: eye, Number: 1, Quality: quality, Rotation: -1, Uncertainty: 0xFFFF, Data: data}},
	}
}

// EncodeISO returns the record's binary form. Images are grouped by eye in the order of
// their first appearance.
func EncodeISO(r *ISORecord) ([]byte, error) {
	if len(r.Images) == 0 {
		return nil, fmt.Errorf("%w: no image", ErrISO)
	}
	var order []Eye
	byEye := map[Eye][]ISOImage{}
	for _, im := range r.Images {
		if im.Eye > EyeLeft {
			return nil, fmt.Errorf("%w: eye label %d", ErrISO, im.Eye)
		}
		if uint64(len(im.Data)) > 1<<31 {
			return nil, fmt.Errorf("%w: image of %d bytes", ErrISO, len(im.Data))
		}
		if _, ok := byEye[im.Eye]; !ok {
			order = append(order, im.Eye)
		}
		byEye[im.Eye] = append(byEye[im.Eye], im)
	}
	be := binary.BigEndian
	b := make([]byte, isoHeader, isoHeader+len(r.Images)*(13+len(r.Images[0].Data)))
	copy(b, "IIR\x00010\x00")
	be.PutUint16(b[12:], r.CaptureDevice)
	b[14] = byte(len(order))
	be.PutUint16(b[15:], isoHeader)
	be.PutUint16(b[17:], r.ImageProperties)
	be.PutUint16(b[19:], r.IrisDiameter)
	be.PutUint16(b[21:], r.Format)
	be.PutUint16(b[23:], r.Width)
	be.PutUint16(b[25:], r.Height)
	b[27], b[28] = r.Depth, r.Transformation
	copy(b[29:45], r.DeviceID[:])
	for _, e := range order {
		ims := byEye[e]
		b = append(b, byte(e))
		b = be.AppendUint16(b, uint16(len(ims)))
		for _, im := range ims {
			b = be.AppendUint16(b, im.Number)
			b = append(b, im.Quality)
			b = be.AppendUint16(b, uint16(im.Rotation))
			b = be.AppendUint16(b, im.Uncertainty)
			b = be.AppendUint32(b, uint32(len(im.Data)))
			b = append(b, im.Data...)
		}
	}
	if uint64(len(b)) > 1<<32-1 {
		return nil, fmt.Errorf("%w: record of %d bytes", ErrISO, len(b))
	}
	be.PutUint32(b[8:], uint32(len(b)))
	return b, nil
}

// DecodeISO reads an ISO/IEC 19794-6:2005 record. Image data are copied out of data.
func DecodeISO(data []byte) (*ISORecord, error) {
	if !IsISO(data) {
		return nil, fmt.Errorf("%w: no IIR 010 header", ErrISO)
	}
	if len(data) < isoHeader {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the header", ErrISO, len(data))
	}
	be := binary.BigEndian
	if n := be.Uint32(data[8:]); uint64(n) != uint64(len(data)) {
		return nil, fmt.Errorf("%w: record length %d, have %d bytes", ErrISO, n, len(data))
	}
	if h := be.Uint16(data[15:]); h != isoHeader {
		return nil, fmt.Errorf("%w: header length %d, want %d", ErrISO, h, isoHeader)
	}
	r := &ISORecord{
		CaptureDevice:   be.Uint16(data[12:]),
		ImageProperties: be.Uint16(data[17:]),
		IrisDiameter:    be.Uint16(data[19:]),
		Format:          be.Uint16(data[21:]),
		Width:           be.Uint16(data[23:]),
		Height:          be.Uint16(data[25:]),
		Depth:           data[27],
		Transformation:  data[28],
	}
	copy(r.DeviceID[:], data[29:45])
	subtypes := int(data[14])
	o := isoHeader
	for s := range subtypes {
		if len(data)-o < 3 {
			return nil, fmt.Errorf("%w: eye subtype %d truncated", ErrISO, s+1)
		}
		eye := Eye(data[o])
		if eye > EyeLeft {
			return nil, fmt.Errorf("%w: eye subtype %d", ErrISO, data[o])
		}
		n := int(be.Uint16(data[o+1:]))
		o += 3
		for i := range n {
			if len(data)-o < 11 {
				return nil, fmt.Errorf("%w: image %d of eye subtype %d truncated", ErrISO, i+1, s+1)
			}
			im := ISOImage{
				Eye:         eye,
				Number:      be.Uint16(data[o:]),
				Quality:     data[o+2],
				Rotation:    int16(be.Uint16(data[o+3:])),
				Uncertainty: be.Uint16(data[o+5:]),
			}
			l := uint64(be.Uint32(data[o+7:]))
			o += 11
			if uint64(len(data)-o) < l {
				return nil, fmt.Errorf("%w: image %d of eye subtype %d: %d bytes announced, %d left", ErrISO, i+1, s+1, l, len(data)-o)
			}
			im.Data = append([]byte(nil), data[o:o+int(l)]...)
			o += int(l)
			r.Images = append(r.Images, im)
		}
	}
	if o != len(data) {
		return nil, fmt.Errorf("%w: %d bytes after the last image", ErrISO, len(data)-o)
	}
	return r, nil
}

// Gray decodes image i of the record: raw 8-bit grey, JPEG or PNG. JPEG 2000 and JPEG-LS
// are not decoded here.
func (r *ISORecord) Gray(i int) (*image.Gray, error) {
	if i < 0 || i >= len(r.Images) {
		return nil, fmt.Errorf("%w: no image %d in a record of %d", ErrImage, i, len(r.Images))
	}
	im := &r.Images[i]
	switch r.Format {
	case ISOMonoRaw:
		w, h := int(r.Width), int(r.Height)
		if len(im.Data) != w*h {
			return nil, fmt.Errorf("%w: raw image of %d bytes for %d×%d", ErrImage, len(im.Data), w, h)
		}
		g := image.NewGray(image.Rect(0, 0, w, h))
		copy(g.Pix, im.Data)
		return g, nil
	case ISOMonoJPEG, ISORGBJPEG:
		img, err := jpeg.Decode(bytes.NewReader(im.Data))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrImage, err)
		}
		return toGray(img), nil
	case ISOMonoPNG:
		img, err := png.Decode(bytes.NewReader(im.Data))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrImage, err)
		}
		return toGray(img), nil
	}
	return nil, fmt.Errorf("%w: ISO 19794-6 image format %#04x is not decoded by this package", ErrImage, r.Format)
}
