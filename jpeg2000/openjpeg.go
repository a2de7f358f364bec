//go:build openjpeg && cgo

package jpeg2000

/*
#cgo pkg-config: libopenjp2
#include <openjpeg.h>
#include <stdlib.h>
#include <string.h>

// A source reads from bytes owned by the caller for the duration of one call.
typedef struct { const unsigned char *data; OPJ_SIZE_T len, pos; } bm_src;

static OPJ_SIZE_T bm_read(void *buf, OPJ_SIZE_T n, void *u) {
	bm_src *s = u;
	if (s->pos >= s->len) return (OPJ_SIZE_T)-1;
	OPJ_SIZE_T k = s->len - s->pos;
	if (k > n) k = n;
	memcpy(buf, s->data + s->pos, k);
	s->pos += k;
	return k;
}

static OPJ_OFF_T bm_skip(OPJ_OFF_T n, void *u) {
	bm_src *s = u;
	if (n < 0) {
		if ((OPJ_SIZE_T)(-n) > s->pos) return -1;
	} else if ((OPJ_SIZE_T)n > s->len - s->pos) {
		n = (OPJ_OFF_T)(s->len - s->pos);
		if (n == 0) return -1;
	}
	s->pos += n;
	return n;
}

static OPJ_BOOL bm_seek(OPJ_OFF_T n, void *u) {
	bm_src *s = u;
	if (n < 0 || (OPJ_SIZE_T)n > s->len) return OPJ_FALSE;
	s->pos = (OPJ_SIZE_T)n;
	return OPJ_TRUE;
}

// A sink grows a malloc'd buffer; the JP2 writer seeks back to fill in box lengths.
typedef struct { unsigned char *data; OPJ_SIZE_T len, cap, pos; int oom; } bm_sink;

static int bm_reserve(bm_sink *s, OPJ_SIZE_T end) {
	if (end <= s->cap) return 1;
	OPJ_SIZE_T c = s->cap ? s->cap : 1 << 16;
	while (c < end) c *= 2;
	unsigned char *d = realloc(s->data, c);
	if (!d) { s->oom = 1; return 0; }
	memset(d + s->cap, 0, c - s->cap);
	s->data = d;
	s->cap = c;
	return 1;
}

static OPJ_SIZE_T bm_write(void *buf, OPJ_SIZE_T n, void *u) {
	bm_sink *s = u;
	if (!bm_reserve(s, s->pos + n)) return (OPJ_SIZE_T)-1;
	memcpy(s->data + s->pos, buf, n);
	s->pos += n;
	if (s->pos > s->len) s->len = s->pos;
	return n;
}

static OPJ_OFF_T bm_wskip(OPJ_OFF_T n, void *u) {
	bm_sink *s = u;
	if (n < 0 && (OPJ_SIZE_T)(-n) > s->pos) return -1;
	if (n > 0 && !bm_reserve(s, s->pos + n)) return -1;
	s->pos += n;
	if (s->pos > s->len) s->len = s->pos;
	return n;
}

static OPJ_BOOL bm_wseek(OPJ_OFF_T n, void *u) {
	bm_sink *s = u;
	if (n < 0 || !bm_reserve(s, (OPJ_SIZE_T)n)) return OPJ_FALSE;
	s->pos = (OPJ_SIZE_T)n;
	if (s->pos > s->len) s->len = s->pos;
	return OPJ_TRUE;
}

// The first error OpenJPEG reports is kept; warnings and information are dropped.
typedef struct { char msg[256]; } bm_err;

static void bm_on_error(const char *m, void *u) {
	bm_err *e = u;
	if (e->msg[0] == 0) {
		strncpy(e->msg, m, sizeof e->msg - 1);
		e->msg[sizeof e->msg - 1] = 0;
	}
}

static void bm_quiet(const char *m, void *u) { (void)m; (void)u; }

static void bm_handlers(opj_codec_t *c, bm_err *e) {
	opj_set_error_handler(c, bm_on_error, e);
	opj_set_warning_handler(c, bm_quiet, NULL);
	opj_set_info_handler(c, bm_quiet, NULL);
}

// bm_decode reads the header and, unless header_only, the pixels. It refuses images of
// more than max_pixels before any pixel memory is allocated. On success *out owns the
// image; the caller destroys it.
static int bm_decode(const unsigned char *data, size_t len, int j2k, int header_only,
		long long max_pixels, opj_image_t **out, bm_err *err) {
	bm_src src = { data, len, 0 };
	opj_codec_t *c = opj_create_decompress(j2k ? OPJ_CODEC_J2K : OPJ_CODEC_JP2);
	if (!c) { strcpy(err->msg, "cannot create decoder"); return 1; }
	bm_handlers(c, err);
	opj_dparameters_t p;
	opj_set_default_decoder_parameters(&p);
	opj_stream_t *st = NULL;
	opj_image_t *img = NULL;
	int rc = 1;
	if (!opj_setup_decoder(c, &p)) goto done;
	st = opj_stream_create(1 << 16, OPJ_TRUE);
	if (!st) goto done;
	opj_stream_set_user_data(st, &src, NULL);
	opj_stream_set_user_data_length(st, len);
	opj_stream_set_read_function(st, bm_read);
	opj_stream_set_skip_function(st, bm_skip);
	opj_stream_set_seek_function(st, bm_seek);
	if (!opj_read_header(st, c, &img)) goto done;
	if (img->numcomps < 1 || img->numcomps > 4) {
		snprintf(err->msg, sizeof err->msg, "%u components (1 to 4 supported)", img->numcomps);
		goto done;
	}
	long long w = (long long)img->x1 - img->x0, h = (long long)img->y1 - img->y0;
	if (w <= 0 || h <= 0 || w * h > max_pixels) {
		snprintf(err->msg, sizeof err->msg, "image of %lldx%lld pixels (at most %lld pixels accepted)", w, h, max_pixels);
		goto done;
	}
	for (OPJ_UINT32 i = 0; i < img->numcomps; i++) {
		opj_image_comp_t *k = &img->comps[i];
		if (k->prec < 1 || k->prec > 16 || k->dx < 1 || k->dy < 1 || k->dx > 4 || k->dy > 4) {
			snprintf(err->msg, sizeof err->msg, "component %u: %u bits, sub-sampling %ux%u (1 to 16 bits, at most 4x4 supported)", i, k->prec, k->dx, k->dy);
			goto done;
		}
	}
	if (!header_only) {
		if (!opj_decode(c, st, img) || !opj_end_decompress(c, st)) goto done;
		for (OPJ_UINT32 i = 0; i < img->numcomps; i++) {
			if (!img->comps[i].data || img->comps[i].w == 0 || img->comps[i].h == 0) {
				snprintf(err->msg, sizeof err->msg, "component %u was not decoded", i);
				goto done;
			}
		}
	}
	rc = 0;
done:
	if (rc != 0 && img) { opj_image_destroy(img); img = NULL; }
	if (rc != 0 && err->msg[0] == 0) strcpy(err->msg, "OpenJPEG could not read the data");
	if (st) opj_stream_destroy(st);
	opj_destroy_codec(c);
	*out = img;
	return rc;
}

static opj_image_t *bm_image(int comps, int w, int h, int prec) {
	opj_image_cmptparm_t p[3];
	memset(p, 0, sizeof p);
	for (int i = 0; i < comps; i++) {
		p[i].dx = 1; p[i].dy = 1;
		p[i].w = (OPJ_UINT32)w; p[i].h = (OPJ_UINT32)h;
		p[i].prec = (OPJ_UINT32)prec;
	}
	opj_image_t *img = opj_image_create((OPJ_UINT32)comps, p, comps == 1 ? OPJ_CLRSPC_GRAY : OPJ_CLRSPC_SRGB);
	if (!img) return NULL;
	img->x0 = 0; img->y0 = 0; img->x1 = (OPJ_UINT32)w; img->y1 = (OPJ_UINT32)h;
	return img;
}

static OPJ_INT32 *bm_comp_data(opj_image_t *img, int i) { return img->comps[i].data; }

static int bm_encode(opj_image_t *img, int j2k, double ratio, int resolutions, bm_sink *out, bm_err *err) {
	opj_codec_t *c = opj_create_compress(j2k ? OPJ_CODEC_J2K : OPJ_CODEC_JP2);
	if (!c) { strcpy(err->msg, "cannot create encoder"); return 1; }
	bm_handlers(c, err);
	opj_cparameters_t p;
	opj_set_default_encoder_parameters(&p);
	p.tcp_numlayers = 1;
	p.cp_disto_alloc = 1;
	p.tcp_rates[0] = ratio > 0 ? (float)ratio : 0;
	p.irreversible = ratio > 0;
	p.tcp_mct = img->numcomps == 3 ? 1 : 0;
	OPJ_UINT32 side = img->x1 < img->y1 ? img->x1 : img->y1;
	int res = resolutions > 0 ? resolutions : 6;
	while (res > 1 && (1u << (res - 1)) > side) res--;
	p.numresolution = res;
	opj_stream_t *st = NULL;
	int rc = 1;
	if (!opj_setup_encoder(c, &p, img)) goto done;
	st = opj_stream_create(1 << 16, OPJ_FALSE);
	if (!st) goto done;
	opj_stream_set_user_data(st, out, NULL);
	opj_stream_set_write_function(st, bm_write);
	opj_stream_set_skip_function(st, bm_wskip);
	opj_stream_set_seek_function(st, bm_wseek);
	if (!opj_start_compress(c, img, st) || !opj_encode(c, st) || !opj_end_compress(c, st)) goto done;
	rc = out->oom ? 1 : 0;
	if (out->oom) strcpy(err->msg, "out of memory");
done:
	if (rc != 0 && err->msg[0] == 0) strcpy(err->msg, "OpenJPEG could not encode the image");
	if (st) opj_stream_destroy(st);
	opj_destroy_codec(c);
	return rc;
}
*/
import "C"

import (
	"image"
	"image/color"
	"unsafe"
)

const built = true

// component is one decoded component with its values already shifted to unsigned.
type component struct {
	w, h, dx, dy int
	prec         uint
	data         []C.OPJ_INT32
	offset       int32 // added to every value: 2^(prec−1) for signed components
	max          int32
}

func (c *component) at(x, y int) int32 {
	// Sub-sampled components cover dx × dy reference pixels each.
	x, y = x/c.dx, y/c.dy
	if x >= c.w {
		x = c.w - 1
	}
	if y >= c.h {
		y = c.h - 1
	}
	v := int32(c.data[y*c.w+x]) + c.offset
	if v < 0 {
		return 0
	}
	if v > c.max {
		return c.max
	}
	return v
}

func openImage(b []byte, f Format, headerOnly bool) (*C.opj_image_t, error) {
	if len(b) == 0 {
		return nil, &FormatError{Format: f, Reason: "empty"}
	}
	var img *C.opj_image_t
	var e C.bm_err
	hdr := C.int(0)
	if headerOnly {
		hdr = 1
	}
	rc := C.bm_decode((*C.uchar)(unsafe.Pointer(&b[0])), C.size_t(len(b)), boolInt(f == J2K), hdr,
		C.longlong(MaxPixels), &img, &e)
	if rc != 0 {
		return nil, &FormatError{Format: f, Reason: trimMsg(C.GoString(&e.msg[0]))}
	}
	return img, nil
}

func decodeConfig(b []byte, f Format) (image.Config, error) {
	img, err := openImage(b, f, true)
	if err != nil {
		return image.Config{}, err
	}
	defer C.opj_image_destroy(img)
	comps := unsafe.Slice(img.comps, img.numcomps)
	wide := comps[0].prec > 8
	var m color.Model
	switch {
	case img.numcomps < 3 && wide:
		m = color.Gray16Model
	case img.numcomps < 3:
		m = color.GrayModel
	case wide:
		m = color.NRGBA64Model
	default:
		m = color.NRGBAModel
	}
	return image.Config{ColorModel: m, Width: int(img.x1 - img.x0), Height: int(img.y1 - img.y0)}, nil
}

func decode(b []byte, f Format) (image.Image, error) {
	img, err := openImage(b, f, false)
	if err != nil {
		return nil, err
	}
	defer C.opj_image_destroy(img)
	raw := unsafe.Slice(img.comps, img.numcomps)
	comps := make([]component, len(raw))
	for i, r := range raw {
		c := component{w: int(r.w), h: int(r.h), dx: int(r.dx), dy: int(r.dy), prec: uint(r.prec)}
		c.data = unsafe.Slice(r.data, c.w*c.h)
		c.max = int32(1)<<c.prec - 1
		if r.sgnd != 0 {
			c.offset = int32(1) << (c.prec - 1)
		}
		comps[i] = c
	}
	// The output has the size of the first (full-resolution) component.
	w, h := comps[0].w*comps[0].dx, comps[0].h*comps[0].dy
	if rw, rh := int(img.x1-img.x0), int(img.y1-img.y0); rw < w || rh < h {
		w, h = rw, rh
	}
	if len(comps) < 3 {
		return greyImage(&comps[0], w, h), nil
	}
	ycc := img.color_space == C.OPJ_CLRSPC_SYCC ||
		(img.color_space == C.OPJ_CLRSPC_UNSPECIFIED && (comps[1].dx > 1 || comps[1].dy > 1))
	return colourImage(comps, w, h, ycc), nil
}

// scale maps a value of prec bits onto bits bits, full range onto full range.
func scale(v int32, max int32, bits uint) uint32 {
	top := uint32(1)<<bits - 1
	if max == int32(top) {
		return uint32(v)
	}
	return (uint32(v)*top + uint32(max)/2) / uint32(max)
}

func greyImage(c *component, w, h int) image.Image {
	if c.prec > 8 {
		g := image.NewGray16(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				v := scale(c.at(x, y), c.max, 16)
				i := g.PixOffset(x, y)
				g.Pix[i], g.Pix[i+1] = uint8(v>>8), uint8(v)
			}
		}
		return g
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		for x := range row {
			row[x] = uint8(scale(c.at(x, y), c.max, 8))
		}
	}
	return g
}

func colourImage(comps []component, w, h int, ycc bool) image.Image {
	wide := comps[0].prec > 8
	var out interface {
		image.Image
		Set(x, y int, c color.Color)
	}
	if wide {
		out = image.NewNRGBA64(image.Rect(0, 0, w, h))
	} else {
		out = image.NewNRGBA(image.Rect(0, 0, w, h))
	}
	bits := uint(8)
	if wide {
		bits = 16
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, b := comps[0].at(x, y), comps[1].at(x, y), comps[2].at(x, y)
			if ycc {
				r, g, b = yccToRGB(r, g, b, &comps[0])
			}
			a := comps[0].max
			if len(comps) > 3 {
				a = scaleTo(comps[3].at(x, y), comps[3].max, comps[0].max)
			}
			R, G, B, A := scale(r, comps[0].max, bits), scale(g, comps[0].max, bits), scale(b, comps[0].max, bits), scale(a, comps[0].max, bits)
			if wide {
				out.Set(x, y, color.NRGBA64{uint16(R), uint16(G), uint16(B), uint16(A)})
			} else {
				out.Set(x, y, color.NRGBA{uint8(R), uint8(G), uint8(B), uint8(A)})
			}
		}
	}
	return out
}

func scaleTo(v, from, to int32) int32 {
	if from == to {
		return v
	}
	return int32((int64(v)*int64(to) + int64(from)/2) / int64(from))
}

// yccToRGB converts sYCC (ITU-R BT.601 full range, as ISO/IEC 15444-1 Annex G uses) at
// the luma component's precision.
func yccToRGB(y, cb, cr int32, luma *component) (int32, int32, int32) {
	off := float64(int32(1) << (luma.prec - 1))
	fy, fb, fr := float64(y), float64(cb)-off, float64(cr)-off
	clamp := func(v float64) int32 {
		if v < 0 {
			return 0
		}
		if v > float64(luma.max) {
			return luma.max
		}
		return int32(v + 0.5)
	}
	return clamp(fy + 1.402*fr), clamp(fy - 0.344136*fb - 0.714136*fr), clamp(fy + 1.772*fb)
}

func encode(img image.Image, o Options) ([]byte, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	comps, prec := 3, 8
	switch img.(type) {
	case *image.Gray:
		comps = 1
	case *image.Gray16:
		comps, prec = 1, 16
	case *image.NRGBA64, *image.RGBA64:
		prec = 16
	}
	ci := C.bm_image(C.int(comps), C.int(w), C.int(h), C.int(prec))
	if ci == nil {
		return nil, &FormatError{Format: o.Format, Reason: "cannot allocate the image"}
	}
	defer C.opj_image_destroy(ci)
	planes := make([][]C.OPJ_INT32, comps)
	for i := range planes {
		planes[i] = unsafe.Slice(C.bm_comp_data(ci, C.int(i)), w*h)
	}
	shift := uint(8)
	if prec == 16 {
		shift = 0
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			c := img.At(b.Min.X+x, b.Min.Y+y)
			if comps == 1 {
				g := color.Gray16Model.Convert(c).(color.Gray16)
				planes[0][i] = C.OPJ_INT32(uint32(g.Y) >> shift)
				continue
			}
			n := color.NRGBA64Model.Convert(c).(color.NRGBA64)
			planes[0][i] = C.OPJ_INT32(uint32(n.R) >> shift)
			planes[1][i] = C.OPJ_INT32(uint32(n.G) >> shift)
			planes[2][i] = C.OPJ_INT32(uint32(n.B) >> shift)
		}
	}
	var sink C.bm_sink
	defer C.free(unsafe.Pointer(sink.data))
	var e C.bm_err
	if C.bm_encode(ci, boolInt(o.Format == J2K), C.double(o.Ratio), C.int(o.Resolutions), &sink, &e) != 0 {
		return nil, &FormatError{Format: o.Format, Reason: trimMsg(C.GoString(&e.msg[0]))}
	}
	return C.GoBytes(unsafe.Pointer(sink.data), C.int(sink.len)), nil
}

func boolInt(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// trimMsg drops the newline OpenJPEG ends its messages with.
func trimMsg(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	return s
}
