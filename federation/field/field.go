// Package field is the data side of a field kit: the watch-list package a node grants a
// hand-held device, encrypted at rest under a key that comes only with a lease of limited
// life, answered offline, refused once the lease has expired, and erased by a wipe order.
//
// What a device carries is kept small on purpose (a lost device exposes what it holds):
// reference numbers, watch levels and templates of persons at monitor or above; names only
// when the lease says the device's role may see them; never images.
//
// The package file is AES-256-GCM over the gzip of its JSON; the key is in the Lease, which
// the node signs (Ed25519) and the device keeps apart from the file (in memory or its key
// store). Without the lease the file is noise; with an expired one Open refuses. A device's
// clock can be set back: Open also refuses a time earlier than the lease's issue time, but
// a device that must hold against its own user needs a trusted clock as well.
package field

import (
	"bytes"
	"compress/gzip"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/biomesh/biomesh/store"
)

// Template is one template of a watch-list entry.
type Template struct {
	Modality store.Modality `json:"modality"`
	Position int            `json:"position"`
	Data     []byte         `json:"data"`
}

// Entry is one watched person on the list.
type Entry struct {
	Ref       string           `json:"ref"` // the node's reference number
	Watch     store.WatchLevel `json:"watch"`
	Name      string           `json:"name,omitempty"` // only if the lease allows names
	Templates []Template       `json:"templates"`
}

// Lease grants a device the key of one package until Expires.
type Lease struct {
	Node    string    `json:"node"`
	Device  string    `json:"device"`
	Issued  time.Time `json:"issued"`
	Expires time.Time `json:"expires"`
	Names   bool      `json:"names"` // the device's role may see names
	Key     []byte    `json:"key"`   // AES-256 key of the package
	Sig     []byte    `json:"sig"`   // the node's signature over the fields above
}

func (l *Lease) digest() []byte {
	c := *l
	c.Sig = nil
	b, _ := json.Marshal(c)
	return append([]byte("biomesh-field-lease-v1\x00"), b...)
}

// Errors of Open and Check.
var (
	ErrExpired = errors.New("lease expired")
	ErrWiped   = errors.New("kit wiped")
	ErrLease   = errors.New("lease not signed by the node")
)

// Grant makes the package of entries for a device and the lease that opens it, valid
// for ttl from now. Entries below monitor are dropped; names are dropped unless names is
// true. It returns the encrypted package and the signed lease.
func Grant(node string, key ed25519.PrivateKey, device string, entries []Entry, names bool, now time.Time, ttl time.Duration) ([]byte, *Lease, error) {
	var kept []Entry
	for _, e := range entries {
		if e.Watch.Severity() < store.WatchMonitor.Severity() {
			continue
		}
		if !names {
			e.Name = ""
		}
		kept = append(kept, e)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	if err := json.NewEncoder(zw).Encode(kept); err != nil {
		return nil, nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, nil, err
	}
	l := &Lease{Node: node, Device: device, Issued: now.UTC(), Expires: now.Add(ttl).UTC(), Names: names, Key: make([]byte, 32)}
	rand.Read(l.Key)
	aead, err := newAEAD(l.Key)
	if err != nil {
		return nil, nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	// The device ID is bound in as associated data: a package opens only on its device.
	pkg := aead.Seal(nonce, nonce, z.Bytes(), []byte(device))
	l.Sig = ed25519.Sign(key, l.digest())
	return pkg, l, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// Kit is an opened package on a device.
type Kit struct {
	lease   Lease
	entries []Entry
	path    string // the package file, erased by Wipe ("" when opened from memory)
	wiped   bool
}

// OpenFile opens the package at path with its lease (see Open).
func OpenFile(path string, l *Lease, nodeKey ed25519.PublicKey, now time.Time) (*Kit, error) {
	pkg, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := Open(pkg, l, nodeKey, now)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	k.path = path
	return k, nil
}

// Open decrypts a package with its lease, after checking the node's signature on the
// lease and that now lies within it.
func Open(pkg []byte, l *Lease, nodeKey ed25519.PublicKey, now time.Time) (*Kit, error) {
	if !ed25519.Verify(nodeKey, l.digest(), l.Sig) {
		return nil, ErrLease
	}
	if !now.Before(l.Expires) || now.Before(l.Issued) {
		return nil, fmt.Errorf("%w (valid %s to %s)", ErrExpired, l.Issued.Format(time.RFC3339), l.Expires.Format(time.RFC3339))
	}
	aead, err := newAEAD(l.Key)
	if err != nil {
		return nil, err
	}
	if len(pkg) < aead.NonceSize() {
		return nil, errors.New("package: too short")
	}
	plain, err := aead.Open(nil, pkg[:aead.NonceSize()], pkg[aead.NonceSize():], []byte(l.Device))
	if err != nil {
		return nil, fmt.Errorf("package: not this lease's or altered: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(plain))
	if err != nil {
		return nil, fmt.Errorf("package: %w", err)
	}
	var es []Entry
	if err := json.NewDecoder(io.LimitReader(zr, 1<<30)).Decode(&es); err != nil {
		return nil, fmt.Errorf("package: %w", err)
	}
	return &Kit{lease: *l, entries: es}, nil
}

// Matcher compares a probe template with a listed one of the same modality (the device's
// comparator and threshold).
type Matcher func(m store.Modality, probe, listed []byte) bool

// Result of an offline check.
type Result struct {
	Hit   bool
	Ref   string
	Watch store.WatchLevel
	Name  string // when the lease allows names
}

// Check answers hit/no-hit offline: the most wanted listed person any probe matches. It
// refuses once the lease has expired or the kit was wiped.
func (k *Kit) Check(probes []Template, match Matcher, now time.Time) (Result, error) {
	if k.wiped {
		return Result{}, ErrWiped
	}
	if !now.Before(k.lease.Expires) || now.Before(k.lease.Issued) {
		k.Wipe()
		return Result{}, ErrExpired
	}
	var best Result
	for _, e := range k.entries {
		if best.Hit && e.Watch.Severity() <= best.Watch.Severity() {
			continue
		}
		for _, t := range e.Templates {
			if hit := func() bool {
				for _, p := range probes {
					if p.Modality == t.Modality && match(t.Modality, p.Data, t.Data) {
						return true
					}
				}
				return false
			}(); hit {
				best = Result{Hit: true, Ref: e.Ref, Watch: e.Watch, Name: e.Name}
				break
			}
		}
	}
	return best, nil
}

// Len is the number of listed persons.
func (k *Kit) Len() int { return len(k.entries) }

// Wipe zeroes the lease's key (the bytes of the Lease the kit was opened with), forgets
// the list and erases the package file. A wiped kit answers nothing. Check wipes a kit
// whose lease has expired.
func (k *Kit) Wipe() error {
	clear(k.lease.Key)
	k.entries, k.wiped = nil, true
	if k.path != "" {
		if err := os.Remove(k.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// WipeOrder is a node's signed order that a device erase its kit.
type WipeOrder struct {
	Node   string    `json:"node"`
	Device string    `json:"device"`
	Time   time.Time `json:"time"`
	Sig    []byte    `json:"sig"`
}

func (o *WipeOrder) digest() []byte {
	c := *o
	c.Sig = nil
	b, _ := json.Marshal(c)
	return append([]byte("biomesh-field-wipe-v1\x00"), b...)
}

// NewWipeOrder signs an order to wipe device.
func NewWipeOrder(node string, key ed25519.PrivateKey, device string, now time.Time) *WipeOrder {
	o := &WipeOrder{Node: node, Device: device, Time: now.UTC()}
	o.Sig = ed25519.Sign(key, o.digest())
	return o
}

// Obey wipes the kit if the order is the lease's node's, for this device; a forged or
// misaddressed order is refused and changes nothing.
func (k *Kit) Obey(o *WipeOrder, nodeKey ed25519.PublicKey) error {
	if o.Node != k.lease.Node || o.Device != k.lease.Device || !ed25519.Verify(nodeKey, o.digest(), o.Sig) {
		return errors.New("wipe order: not the node's for this device")
	}
	return k.Wipe()
}
