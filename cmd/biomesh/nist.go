package main

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // JPEGB images of Types 10, 13–17
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/biomesh/biomesh/jpeg2000"
	"github.com/biomesh/biomesh/nist"
	_ "github.com/biomesh/biomesh/wsq" // WSQ fingerprint images, through image.Decode
)

func init() { commands = append(commands, newNISTCmd) }

func newNISTCmd() *cobra.Command {
	c := &cobra.Command{Use: "nist", Short: "Read, check and unpack ANSI/NIST-ITL transactions"}
	c.AddCommand(newNISTDumpCmd(), newNISTValidateCmd(), newNISTRoundtripCmd(), newNISTImagesCmd())
	return c
}

func readTransaction(path string) (*nist.Transaction, []byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	t, err := nist.Decode(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, b, nil
}

func newNISTDumpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "dump FILE",
		Short: "List every record and field of a transaction",
		Long: "Dump prints each record with its fields, one per line, tags as written. Subfields are\n" +
			"shown separated by ␞ and items by ␟; image data and binary records are summarised as\n" +
			"size and format.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, b, err := readTransaction(args[0])
			if err != nil {
				return err
			}
			dumpTransaction(cmd.OutOrStdout(), args[0], t, len(b))
			return nil
		},
	}
}

func dumpTransaction(w io.Writer, name string, t *nist.Transaction, size int) {
	dom, domVer := t.Domain()
	fmt.Fprintf(w, "%s: %d bytes, %d records, version %s, encoding %v", name, size, len(t.Records), t.Version(), t.Encoding())
	if dom != "" {
		fmt.Fprintf(w, ", domain %s %s", dom, domVer)
	}
	fmt.Fprintln(w)
	for i, r := range t.Records {
		n, _ := r.Len()
		kind := "tagged"
		if r.Binary() {
			kind = "binary"
		}
		fmt.Fprintf(w, "\nrecord %d: Type-%d, %d bytes, %s", i, r.Type, n, kind)
		if r.Type != 1 {
			fmt.Fprintf(w, ", IDC %d", r.IDC())
		}
		fmt.Fprintln(w)
		if r.Binary() {
			dumpBinary(w, t, i, r)
			continue
		}
		for _, f := range r.Fields {
			name := nist.FieldName(f.Type, f.Number)
			if name != "" {
				name = " " + name
			}
			fmt.Fprintf(w, "  %s%s: %s\n", f.Tag, name, fieldText(t, r, f, i))
		}
		if r.Type == 9 {
			dumpMinutiae(w, t, i, r)
		}
	}
}

// dumpMinutiae summarises what a Type-9 record gives as a template.
func dumpMinutiae(w io.Writer, t *nist.Transaction, i int, r *nist.Record) {
	if r.HasM1() {
		if tpl, err := r.M1Template(); err != nil {
			fmt.Fprintf(w, "  INCITS 378 block: %v\n", err)
		} else {
			fmt.Fprintf(w, "  INCITS 378 block: %d minutiae, %d×%d at %d ppi, finger %d\n",
				len(tpl.Minutiae), tpl.Width, tpl.Height, tpl.Resolution, tpl.Position)
		}
	}
	if r.Has(12) || r.Has(23) {
		ms, err := r.LegacyMinutiae()
		if err != nil {
			fmt.Fprintf(w, "  legacy minutiae: %v\n", err)
			return
		}
		fmt.Fprintf(w, "  legacy minutiae: %d", len(ms))
		if tpl, err := t.LegacyTemplate(i); err == nil {
			fmt.Fprintf(w, ", as a template %d×%d at %d ppi", tpl.Width, tpl.Height, tpl.Resolution)
		}
		fmt.Fprintln(w)
	}
}

// fieldText renders a field's value for the dump: text decoded and separators shown,
// image data summarised.
func fieldText(t *nist.Transaction, r *nist.Record, f *nist.Field, i int) string {
	if f.Number == 999 {
		s := fmt.Sprintf("%d bytes", len(f.Value))
		if nist.HasImage(r.Type) {
			if im, err := t.Image(i); err == nil {
				s += ", " + imageSummary(im)
			}
		}
		return s
	}
	v := f.Value
	if r.Type != 1 {
		v = []byte(nist.DecodeText(v, t.Encoding()))
	}
	var sb strings.Builder
	for _, c := range string(v) {
		switch {
		case c == nist.RS:
			sb.WriteString("␞")
		case c == nist.US:
			sb.WriteString("␟")
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&sb, "\\x%02x", c)
		default:
			sb.WriteRune(c)
		}
	}
	return sb.String()
}

func imageSummary(im *nist.Image) string {
	format := im.Format
	if format == "" {
		format = "unknown format"
	}
	s := fmt.Sprintf("%s (declared %s), %d×%d", format, im.Compression, im.Width, im.Height)
	if im.Depth > 0 {
		s += fmt.Sprintf(", %d bit", im.Depth)
	}
	if im.HorizontalPPI > 0 {
		s += fmt.Sprintf(", %.0f ppi", im.HorizontalPPI)
	}
	if len(im.Positions) > 0 {
		s += fmt.Sprintf(", position %s", strings.Trim(fmt.Sprint(im.Positions), "[]"))
	}
	if im.Kind != "" {
		s += ", " + im.Kind
	}
	return s
}

func dumpBinary(w io.Writer, t *nist.Transaction, i int, r *nist.Record) {
	switch r.Type {
	case 8:
		h := r.Header
		fmt.Fprintf(w, "  SIG %d, SRT %d, ISR %d\n", h[1], h[2], h[3])
	case 7:
		if _, ok := r.ImageHeader(); !ok {
			fmt.Fprintf(w, "  user-defined content: %d bytes\n", len(r.Data))
			return
		}
		fmt.Fprintln(w, "  content starts with a Type-4-style header:")
		fallthrough
	default:
		h, _ := r.ImageHeader()
		var fgp []string
		for _, p := range h.Positions {
			if p != 255 {
				fgp = append(fgp, strconv.Itoa(p))
			}
		}
		fmt.Fprintf(w, "  IMP %d, FGP %s, ISR %d, HLL %d, VLL %d, compression code %d\n",
			h.Impression, strings.Join(fgp, " "), h.ScanRes, h.Width, h.Height, h.Compression)
	}
	if im, err := t.Image(i); err == nil {
		fmt.Fprintf(w, "  image: %d bytes, %s\n", len(im.Data), imageSummary(im))
	} else {
		fmt.Fprintf(w, "  image: %v\n", err)
	}
}

func newNISTValidateCmd() *cobra.Command {
	var profile string
	c := &cobra.Command{
		Use:   "validate [--profile base|ebts|int-i] FILE",
		Short: "Check a transaction against a profile; the exit status is non-zero on any violation",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := nist.LookupProfile(profile)
			if err != nil {
				return err
			}
			t, _, err := readTransaction(args[0])
			if err != nil {
				return err
			}
			vs := t.Validate(p)
			for _, v := range vs {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %v\n", args[0], v)
			}
			if len(vs) > 0 {
				return fmt.Errorf("%s: %d violations of profile %s", args[0], len(vs), p.Name)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: follows profile %s (%d records)\n", args[0], p.Name, len(t.Records))
			return nil
		},
	}
	c.Flags().StringVar(&profile, "profile", "base", "profile: "+strings.Join(nist.ProfileNames(), ", "))
	return c
}

func newNISTRoundtripCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "roundtrip FILE",
		Short: "Decode and re-encode a transaction; the exit status is 0 when the bytes are identical",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, b, err := readTransaction(args[0])
			if err != nil {
				return err
			}
			out, err := t.Encode()
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if !bytes.Equal(out, b) {
				at := 0
				for at < len(out) && at < len(b) && out[at] == b[at] {
					at++
				}
				return fmt.Errorf("%s: re-encoded transaction differs: %d bytes in, %d out, first difference at byte %d", args[0], len(b), len(out), at)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: identical (%d bytes, %d records)\n", args[0], len(b), len(t.Records))
			return nil
		},
	}
}

func newNISTImagesCmd() *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "images FILE --out DIR",
		Short: "Write every image of a transaction as PNG",
		Long: "Images decodes the image of every record that has one and writes DIR/NN-typeT-idcI.png\n" +
			"(NN the record's index). WSQ, JPEG, PNG and uncompressed grey, colour and binary images\n" +
			"are converted; JPEG 2000, lossless JPEG and facsimile images are written as their raw\n" +
			"bytes with a message. The exit status is non-zero when an image could not be read.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return errors.New("--out DIR is required")
			}
			t, _, err := readTransaction(args[0])
			if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			failed := 0
			for i, r := range t.Records {
				if !nist.HasImage(r.Type) {
					continue
				}
				msg, err := writeImage(t, i, out)
				if err != nil {
					failed++
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: record %d (Type-%d): %v\n", args[0], i, r.Type, err)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s\n", msg)
			}
			if failed > 0 {
				return fmt.Errorf("%s: %d images could not be read", args[0], failed)
			}
			return nil
		},
	}
	c.Flags().StringVar(&out, "out", "", "output directory")
	return c
}

// writeImage converts the image of record i, or writes its raw bytes when no decoder is
// built in, and returns a line saying what it wrote.
func writeImage(t *nist.Transaction, i int, dir string) (string, error) {
	im, err := t.Image(i)
	if err != nil {
		return "", err
	}
	base := filepath.Join(dir, fmt.Sprintf("%02d-type%d-idc%d", i, im.Type, im.IDC))
	raw := func(ext, why string) (string, error) {
		p := base + ext
		if err := os.WriteFile(p, im.Data, 0o644); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s: %s; raw %d bytes written", p, why, len(im.Data)), nil
	}
	var img image.Image
	switch im.Format {
	case "jp2", "j2k":
		if !jpeg2000.Built() {
			return raw("."+im.Format, "JPEG 2000 support not built in (build with -tags openjpeg)")
		}
		if img, err = jpeg2000.DecodeBytes(im.Data); err != nil {
			return "", fmt.Errorf("%s image (declared %s): %w", im.Format, im.Compression, err)
		}
	case "fax":
		return raw(".fax", "facsimile (ANSI/EIA-538) images are not decoded")
	case "raw":
		if img, err = rawImage(im); err != nil {
			return "", err
		}
	case "jpeg":
		if strings.EqualFold(im.Compression, "JPEGL") || isLosslessJPEG(im.Data) {
			return raw(".jpg", "lossless JPEG is not supported by the built-in JPEG decoder")
		}
		fallthrough
	default:
		if img, _, err = image.Decode(bytes.NewReader(im.Data)); err != nil {
			return "", fmt.Errorf("%s image (declared %s): %w", im.Format, im.Compression, err)
		}
	}
	p := base + ".png"
	f, err := os.Create(p)
	if err != nil {
		return "", err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	b := img.Bounds()
	return fmt.Sprintf("%s: %s %d×%d", p, im.Format, b.Dx(), b.Dy()), nil
}

// isLosslessJPEG reports whether a JPEG stream's frame is lossless (SOF3, SOF7, SOF11,
// SOF15), which image/jpeg does not decode.
func isLosslessJPEG(b []byte) bool {
	for i := 2; i+3 < len(b); {
		if b[i] != 0xff {
			return false
		}
		m := b[i+1]
		switch m {
		case 0xc3, 0xc7, 0xcb, 0xcf:
			return true
		case 0xc0, 0xc1, 0xc2, 0xc5, 0xc6, 0xc9, 0xca, 0xcd, 0xce, 0xda:
			return false
		}
		i += 2 + int(b[i+2])<<8 | int(b[i+3])
	}
	return false
}

// rawImage builds an image from uncompressed pixels: 8-bit grey, 24-bit RGB, or 1 bit
// per pixel (rows padded to whole bytes, 1 black).
func rawImage(im *nist.Image) (image.Image, error) {
	w, h := im.Width, im.Height
	if w <= 0 || h <= 0 || w > 1<<15 || h > 1<<15 {
		return nil, fmt.Errorf("uncompressed image of %d×%d pixels", w, h)
	}
	need := func(n int) error {
		if len(im.Data) < n {
			return fmt.Errorf("uncompressed %d×%d image at %d bit needs %d bytes, the record has %d", w, h, im.Depth, n, len(im.Data))
		}
		return nil
	}
	switch im.Depth {
	case 8, 0:
		if err := need(w * h); err != nil {
			return nil, err
		}
		return &image.Gray{Pix: im.Data[:w*h], Stride: w, Rect: image.Rect(0, 0, w, h)}, nil
	case 24:
		if err := need(3 * w * h); err != nil {
			return nil, err
		}
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for p := range w * h {
			img.Pix[4*p], img.Pix[4*p+1], img.Pix[4*p+2], img.Pix[4*p+3] = im.Data[3*p], im.Data[3*p+1], im.Data[3*p+2], 255
		}
		return img, nil
	case 1:
		stride := (w + 7) / 8
		if err := need(stride * h); err != nil {
			return nil, err
		}
		img := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				if im.Data[y*stride+x/8]&(0x80>>(x%8)) == 0 {
					img.SetGray(x, y, color.Gray{Y: 255})
				}
			}
		}
		return img, nil
	}
	return nil, fmt.Errorf("uncompressed image at %d bits per pixel is not supported", im.Depth)
}
