// Package field is the field kit: the state a hand-held or laptop keeps to check people
// against a watch list where there is no network, and the watch-list package format the
// node builds for it.
//
// A kit carries little, encrypted, and only for a while. The node builds a package for one
// device — the fingers and watch levels of the persons it watches (monitor or above), each
// under an opaque reference that only the node can resolve; no names, no images — and seals
// it with AES-256-GCM under a fresh key. The fingers a check probes first come in the
// engine's prepared comparison form, so that opening a package is its decryption and a
// check of each form, not a preparation of each template (Package.Prepare, NewMatcher);
// the decrypted package lives in memory only. A resident kit (Server) opens it once and
// answers each check with one search. The key is granted separately,
// as a lease with an expiry: past it the kit erases the key and refuses to answer, and a
// remote wipe erases the kit at its next contact with the node. Encounters and enrolments
// made offline are sealed to the node's X25519 key for that device as they are queued, so
// a kit cannot read back what it queued, and a lost kit gives away no probe.
package field

import (
	"bytes"
	"compress/flate"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/biomesh/biomesh/store"
)

// Package is a decrypted watch-list package.
type Package struct {
	ID      string    // unique per build; the lease key names it
	Device  string    // the device it was built for
	Org     string    // the device's organisation
	Created time.Time // when the node built it
	FPIR    float64   // false-positive identification rate the kit decides hit/no-hit at
	Persons []Person

	plain []byte // the decoded buffer the fingers' bytes lie in (Erase)
}

// Person is one watched person of a package: an opaque reference (which the node resolves
// when an encounter is synced), the watch level and finger templates.
type Person struct {
	Ref     string
	Watch   store.WatchLevel
	Fingers []Finger
}

// Finger is one finger: its ISO position (0 unknown) and its template in the fingerprint
// package's native encoding (fingerprint.Template.MarshalBinary), or, in a package, its
// prepared comparison form instead (match.Candidate.MarshalBinary; see Package.Prepare).
// A package's finger has one of the two, or both; a probe finger has a template.
type Finger struct {
	Position int
	Template []byte
	Prepared []byte `json:",omitempty"`
}

// FormatError reports a package, envelope or lease that is malformed, tampered with or does
// not open with the key given.
type FormatError string

func (e FormatError) Error() string { return "field: " + string(e) }

func formatErrorf(format string, a ...any) error { return FormatError(fmt.Sprintf(format, a...)) }

// ErrKey is returned (wrapped in a FormatError's message) when a package does not open with
// the key: the key is wrong or the package was altered.
var ErrKey = errors.New("field: the package does not open with this key: wrong key, or the package was altered")

const (
	packageMagic  = "BMWL" // plaintext watch list
	envelopeMagic = "BMWP" // sealed package
	formatVersion = 2      // 2: a finger carries a template, a prepared form or both
	// Limits the decoder enforces, far above real packages, so that a hostile input cannot
	// make it allocate much.
	maxString    = 256
	maxPersons   = 10_000_000
	maxFingers   = 10
	maxTemplate  = 64 << 10
	maxPlaintext = 1 << 30
)

var watchLevels = []store.WatchLevel{store.WatchNone, store.WatchMonitor, store.WatchAlert, store.WatchDetain}

// MarshalBinary encodes the package in its plaintext form: "BMWL", a version byte, then a
// DEFLATE stream of the header (ID, device, organisation, creation time, FPIR) and persons
// (reference, watch level, fingers: position, native template and prepared form, either
// possibly empty but not both), lengths as uvarints.
func (p *Package) MarshalBinary() ([]byte, error) {
	var raw bytes.Buffer
	w := &encoder{b: &raw}
	for _, s := range []string{p.ID, p.Device, p.Org} {
		w.str(s)
	}
	w.uvarint(uint64(p.Created.UnixNano()))
	w.uvarint(math.Float64bits(p.FPIR))
	w.uvarint(uint64(len(p.Persons)))
	for _, ps := range p.Persons {
		sev := ps.Watch.Severity()
		if sev < 0 {
			return nil, fmt.Errorf("field: person %s: unknown watch level %q", ps.Ref, ps.Watch)
		}
		if len(ps.Fingers) > maxFingers {
			return nil, fmt.Errorf("field: person %s: %d fingers, at most %d", ps.Ref, len(ps.Fingers), maxFingers)
		}
		w.str(ps.Ref)
		raw.WriteByte(byte(sev))
		raw.WriteByte(byte(len(ps.Fingers)))
		for _, f := range ps.Fingers {
			if f.Position < 0 || f.Position > 15 || len(f.Template) > maxTemplate || len(f.Prepared) > maxTemplate {
				return nil, fmt.Errorf("field: person %s: finger position %d, template of %d bytes or prepared form of %d out of range", ps.Ref, f.Position, len(f.Template), len(f.Prepared))
			}
			if len(f.Template) == 0 && len(f.Prepared) == 0 {
				return nil, fmt.Errorf("field: person %s: finger %d with neither template nor prepared form", ps.Ref, f.Position)
			}
			raw.WriteByte(byte(f.Position))
			w.uvarint(uint64(len(f.Template)))
			raw.Write(f.Template)
			w.uvarint(uint64(len(f.Prepared)))
			raw.Write(f.Prepared)
		}
	}
	if w.err != nil {
		return nil, w.err
	}
	var out bytes.Buffer
	out.WriteString(packageMagic)
	out.WriteByte(formatVersion)
	zw, err := flate.NewWriter(&out, flate.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

type encoder struct {
	b   *bytes.Buffer
	err error
}

func (e *encoder) uvarint(v uint64) { e.b.Write(binary.AppendUvarint(nil, v)) }

func (e *encoder) str(s string) {
	if len(s) > maxString && e.err == nil {
		e.err = fmt.Errorf("field: string of %d bytes, at most %d", len(s), maxString)
	}
	e.uvarint(uint64(len(s)))
	e.b.WriteString(s)
}

// UnmarshalBinary decodes a plaintext package made by MarshalBinary. Errors are
// FormatErrors; on error p is unchanged. The templates and prepared forms of p share one
// buffer, which Erase overwrites. The decoder checks the structure only; NewMatcher checks
// each template and prepared form.
func (p *Package) UnmarshalBinary(b []byte) error {
	if len(b) < len(packageMagic)+1 || string(b[:len(packageMagic)]) != packageMagic {
		return FormatError("not a watch-list package (no BMWL signature)")
	}
	if b[len(packageMagic)] != formatVersion {
		return formatErrorf("package format version %d; this kit reads version %d", b[len(packageMagic)], formatVersion)
	}
	raw, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(b[len(packageMagic)+1:])), maxPlaintext+1))
	if err != nil {
		return formatErrorf("package body: %v", err)
	}
	if len(raw) > maxPlaintext {
		return FormatError("package body larger than 1 GiB")
	}
	d := &decoder{b: raw}
	var q Package
	q.ID, q.Device, q.Org = d.str("package ID"), d.str("device"), d.str("organisation")
	q.Created = time.Unix(0, int64(d.uvarint("creation time"))).UTC()
	q.FPIR = math.Float64frombits(d.uvarint("FPIR"))
	n := d.uvarint("person count")
	if d.err == nil && (math.IsNaN(q.FPIR) || q.FPIR <= 0 || q.FPIR >= 1) {
		d.err = formatErrorf("FPIR %v: not within (0, 1)", q.FPIR)
	}
	// Each person takes at least 3 bytes, so a count beyond that is a lie, caught before
	// allocating for it.
	if d.err == nil && (n > maxPersons || n > uint64(len(d.b))/3) {
		d.err = formatErrorf("person count %d: more than the %d bytes left could hold", n, len(d.b))
	}
	if d.err == nil {
		q.Persons = make([]Person, 0, n)
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		var ps Person
		ps.Ref = d.str("reference")
		sev, nf := d.byte("watch level"), d.byte("finger count")
		if d.err != nil {
			break
		}
		if int(sev) >= len(watchLevels) || nf > maxFingers {
			d.err = formatErrorf("person %d (%s): watch level %d or finger count %d out of range", i, ps.Ref, sev, nf)
			break
		}
		ps.Watch = watchLevels[sev]
		ps.Fingers = make([]Finger, nf)
		for k := range ps.Fingers {
			f := &ps.Fingers[k]
			f.Position = int(d.byte("finger position"))
			f.Template = d.blob(i, ps.Ref, "template")
			f.Prepared = d.blob(i, ps.Ref, "prepared form")
			if d.err == nil && f.Template == nil && f.Prepared == nil {
				d.err = formatErrorf("person %d (%s): finger %d with neither template nor prepared form", i, ps.Ref, k+1)
			}
			if d.err != nil {
				break
			}
		}
		q.Persons = append(q.Persons, ps)
	}
	if d.err != nil {
		return d.err
	}
	if len(d.b) != 0 {
		return formatErrorf("%d bytes after the last person", len(d.b))
	}
	q.plain = raw
	*p = q
	return nil
}

// Erase overwrites the decoded package's buffer, which holds every template and prepared
// form of a package from UnmarshalBinary or OpenPackage (what else the caller copied out of
// it is the caller's). The package is unusable afterwards.
func (p *Package) Erase() {
	clear(p.plain)
	p.plain, p.Persons = nil, nil
}

// blob reads a uvarint-prefixed byte string of at most maxTemplate bytes; empty is nil.
func (d *decoder) blob(person uint64, ref, what string) []byte {
	l := d.uvarint(what + " length")
	if d.err == nil && (l > maxTemplate || l > uint64(len(d.b))) {
		d.err = formatErrorf("person %d (%s): %s of %d bytes with %d left", person, ref, what, l, len(d.b))
	}
	if d.err != nil || l == 0 {
		return nil
	}
	b := d.b[:l:l]
	d.b = d.b[l:]
	return b
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = formatErrorf("%s: truncated or malformed number", what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte(what string) byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.err = formatErrorf("%s: truncated", what)
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) str(what string) string {
	l := d.uvarint(what)
	if d.err != nil {
		return ""
	}
	if l > maxString || l > uint64(len(d.b)) {
		d.err = formatErrorf("%s: %d bytes, with %d left (at most %d)", what, l, len(d.b), maxString)
		return ""
	}
	s := string(d.b[:l])
	d.b = d.b[l:]
	return s
}

// SealPackage encrypts a package for its device under key (32 bytes, AES-256-GCM). The envelope
// is "BMWP", a version byte, the package ID and device (uvarint-prefixed), a 12-byte random
// nonce and the ciphertext with its tag; everything before the ciphertext is authenticated
// as associated data, so neither the ID nor the device can be swapped.
func SealPackage(p *Package, key []byte) ([]byte, error) {
	plain, err := p.MarshalBinary()
	if err != nil {
		return nil, err
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	hdr := []byte(envelopeMagic)
	hdr = append(hdr, formatVersion)
	for _, s := range []string{p.ID, p.Device} {
		hdr = binary.AppendUvarint(hdr, uint64(len(s)))
		hdr = append(hdr, s...)
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	hdr = append(hdr, nonce...)
	return aead.Seal(hdr, nonce, plain, hdr), nil
}

// Envelope is the clear header of a sealed package.
type Envelope struct {
	PackageID, Device string
}

// ReadEnvelope returns the clear header of a sealed package without opening it.
func ReadEnvelope(sealed []byte) (Envelope, int, error) {
	if len(sealed) < len(envelopeMagic)+1 || string(sealed[:len(envelopeMagic)]) != envelopeMagic {
		return Envelope{}, 0, FormatError("not a sealed watch-list package (no BMWP signature)")
	}
	if sealed[len(envelopeMagic)] != formatVersion {
		return Envelope{}, 0, formatErrorf("sealed package version %d; this kit reads version %d", sealed[len(envelopeMagic)], formatVersion)
	}
	d := &decoder{b: sealed[len(envelopeMagic)+1:]}
	e := Envelope{PackageID: d.str("package ID"), Device: d.str("device")}
	if d.err != nil {
		return Envelope{}, 0, d.err
	}
	return e, len(sealed) - len(d.b), nil
}

// OpenPackage decrypts and decodes a sealed package with key. A wrong key or any altered byte is
// an error wrapping ErrKey; a package whose inside disagrees with its envelope is a
// FormatError.
func OpenPackage(sealed, key []byte) (*Package, error) {
	env, n, err := ReadEnvelope(sealed)
	if err != nil {
		return nil, err
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < n+aead.NonceSize()+aead.Overhead() {
		return nil, FormatError("sealed package truncated")
	}
	hdr := sealed[:n+aead.NonceSize()]
	plain, err := aead.Open(nil, hdr[n:], sealed[len(hdr):], hdr)
	if err != nil {
		return nil, fmt.Errorf("package %s: %w", env.PackageID, ErrKey)
	}
	var p Package
	err = p.UnmarshalBinary(plain)
	clear(plain) // compressed, but the package all the same
	if err != nil {
		return nil, err
	}
	if p.ID != env.PackageID || p.Device != env.Device {
		p.Erase()
		return nil, formatErrorf("package %s of device %s inside an envelope for package %s of device %s", p.ID, p.Device, env.PackageID, env.Device)
	}
	return &p, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, formatErrorf("key of %d bytes: an AES-256 key is 32", len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}
