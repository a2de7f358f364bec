package field

import (
	"bufio"
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A kit's directory holds, each written atomically (temporary file, fsync, rename):
//
//	device.json   node URL, device ID, token, the node's X25519 key for queued items
//	package.bin   the sealed watch-list package (AES-256-GCM; never decrypted to disk)
//	lease.json    the package key and its expiry; erased at expiry and on wipe
//	queue.log     queued items, one JSON line each, appended and fsynced; each sealed to
//	              the node, so the kit cannot read back what it queued
//	acked.log     client IDs of items the node confirmed, until the queue is compacted
//	wiped         present after a remote wipe: when it happened, and nothing else
//	lock          empty; locked while the queue is appended to, compacted or wiped, so that
//	              a resident kit (Server) and a one-shot command can share the directory
//	serve.sock    the resident kit's socket, while it runs (DefaultSocket)
const (
	deviceFile  = "device.json"
	packageFile = "package.bin"
	leaseFile   = "lease.json"
	queueFile   = "queue.log"
	ackedFile   = "acked.log"
	wipedFile   = "wiped"
	lockName    = "lock"
)

// Errors of a kit that cannot answer.
var (
	ErrNotEnrolled  = errors.New("field: this kit is not registered with a node (biomesh field enroll-device)")
	ErrNoPackage    = errors.New("field: no watch-list package on this kit (biomesh field pull)")
	ErrLeaseExpired = errors.New("field: the package lease has expired and its key was erased: connect and run biomesh field sync")
	ErrWiped        = errors.New("field: this kit was wiped on the node's order")
)

// Device is a kit's registration with its node.
type Device struct {
	Node    string `json:"node"`
	ID      string `json:"device_id"`
	Token   string `json:"token"`
	Org     string `json:"org"`
	Unit    string `json:"unit,omitempty"`
	NodeKey []byte `json:"node_key"` // X25519 public key queued items are sealed to
}

// Lease is the node's grant of a package key until Expires.
type Lease struct {
	PackageID string    `json:"package_id"`
	Key       []byte    `json:"key"`
	Expires   time.Time `json:"expires"`
}

// Kit is a field kit's state in one directory. Several processes may use one kit — a
// resident kit answering checks and a command syncing, say — as the queue's writers take
// the kit's lock; installing a package or a lease is atomic by itself.
type Kit struct {
	dir string
	now func() time.Time
}

// Open opens the kit in dir (created when missing). now is the kit's clock (nil:
// time.Now); tests set it.
func Open(dir string, now func() time.Time) (*Kit, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Kit{dir: dir, now: now}, nil
}

// Dir returns the kit's directory.
func (k *Kit) Dir() string { return k.dir }

func (k *Kit) path(name string) string { return filepath.Join(k.dir, name) }

// writeFile replaces a file atomically and durably.
func (k *Kit) writeFile(name string, data []byte) error {
	f, err := os.CreateTemp(k.dir, "."+name+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, k.path(name)); err != nil {
		return err
	}
	return syncDir(k.dir)
}

// lock takes the kit's lock (see lockName); the function it returns releases it.
func (k *Kit) lock() (func(), error) {
	f, err := os.OpenFile(k.path(lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("field: locking the kit: %w", err)
	}
	return func() { f.Close() }, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// wiped reports an earlier wipe.
func (k *Kit) wiped() error {
	if b, err := os.ReadFile(k.path(wipedFile)); err == nil {
		return fmt.Errorf("%w at %s", ErrWiped, strings.TrimSpace(string(b)))
	}
	return nil
}

// SetDevice records the kit's registration.
func (k *Kit) SetDevice(d Device) error {
	if err := k.wiped(); err != nil {
		return err
	}
	if _, err := ecdh.X25519().NewPublicKey(d.NodeKey); err != nil {
		return fmt.Errorf("field: node key: %w", err)
	}
	b, _ := json.MarshalIndent(d, "", "  ")
	return k.writeFile(deviceFile, b)
}

// Device returns the kit's registration.
func (k *Kit) Device() (Device, error) {
	if err := k.wiped(); err != nil {
		return Device{}, err
	}
	var d Device
	b, err := os.ReadFile(k.path(deviceFile))
	if errors.Is(err, fs.ErrNotExist) {
		return d, ErrNotEnrolled
	}
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("field: %s: %w", k.path(deviceFile), err)
	}
	return d, nil
}

// Install stores a sealed package with its lease, after checking that the lease key opens
// it and that it is this device's: a package that does not open is refused and the kit
// keeps what it had.
func (k *Kit) Install(sealed []byte, l Lease) error {
	d, err := k.Device()
	if err != nil {
		return err
	}
	p, err := OpenPackage(sealed, l.Key)
	if err != nil {
		return err
	}
	defer p.Erase() // opened only to check it
	if p.ID != l.PackageID || p.Device != d.ID {
		return formatErrorf("package %s of device %s does not go with lease %s of device %s", p.ID, p.Device, l.PackageID, d.ID)
	}
	if !l.Expires.After(k.now()) {
		return ErrLeaseExpired
	}
	// The package first: a crash between the two writes leaves a lease for a package that
	// is not there (refused), never a package opened by an older lease.
	if err := k.writeFile(packageFile, sealed); err != nil {
		return err
	}
	return k.SetLease(l)
}

// SetLease stores a renewed lease of the installed package.
func (k *Kit) SetLease(l Lease) error {
	if err := k.wiped(); err != nil {
		return err
	}
	b, _ := json.Marshal(l)
	return k.writeFile(leaseFile, b)
}

// Lease returns the current lease. Past its expiry the key is erased and ErrLeaseExpired
// returned; no lease at all is ErrNoPackage.
func (k *Kit) Lease() (Lease, error) {
	var l Lease
	if err := k.wiped(); err != nil {
		return l, err
	}
	b, err := os.ReadFile(k.path(leaseFile))
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(k.path(packageFile)); err == nil {
			return l, ErrLeaseExpired
		}
		return l, ErrNoPackage
	}
	if err != nil {
		return l, err
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return l, fmt.Errorf("field: lease: %w", err)
	}
	if !l.Expires.After(k.now()) {
		if err := k.eraseLease(); err != nil {
			return Lease{}, err
		}
		return Lease{}, fmt.Errorf("%w (expired %s)", ErrLeaseExpired, l.Expires.Format(time.RFC3339))
	}
	return l, nil
}

// eraseLease overwrites the lease file before removing it, so the key does not linger in
// the file's old blocks on simple file systems.
func (k *Kit) eraseLease() error {
	p := k.path(leaseFile)
	if fi, err := os.Stat(p); err == nil {
		if f, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
			f.Write(make([]byte, fi.Size()))
			f.Sync()
			f.Close()
		}
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(k.dir)
}

// Package opens the installed package with the current lease: the plaintext lives in
// memory only.
func (k *Kit) Package() (*Package, Lease, error) {
	if _, err := k.Device(); err != nil {
		return nil, Lease{}, err
	}
	l, err := k.Lease()
	if err != nil {
		return nil, l, err
	}
	sealed, err := os.ReadFile(k.path(packageFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, l, ErrNoPackage
	}
	if err != nil {
		return nil, l, err
	}
	p, err := OpenPackage(sealed, l.Key)
	if err != nil {
		return nil, l, err
	}
	if p.ID != l.PackageID {
		p.Erase()
		return nil, l, formatErrorf("installed package %s is not the leased package %s", p.ID, l.PackageID)
	}
	return p, l, nil
}

// Matcher opens the package and prepares it for checks. A matcher that lives long must
// have the lease looked at again before each answer, as Server does; Close it when done.
func (k *Kit) Matcher() (*Matcher, error) {
	p, _, err := k.Package()
	if err != nil {
		return nil, err
	}
	m, err := NewMatcher(p)
	if err != nil {
		p.Erase()
	}
	return m, err
}

// Queued is one line of the queue.
type Queued struct {
	ClientID string    `json:"client_id"`
	Queued   time.Time `json:"queued"`
	Sealed   []byte    `json:"sealed"`
}

// NewClientID returns a fresh client-generated item ID: the node recognises a resent item
// by it.
func NewClientID() string {
	var b [16]byte
	rand.Read(b[:])
	return "Q-" + base32.StdEncoding.EncodeToString(b[:])[:26]
}

// Enqueue seals an item to the node and appends it to the queue, durably. It works with an
// expired lease (enrolments and encounters are still recorded) but not after a wipe.
func (k *Kit) Enqueue(it Item) (string, error) {
	d, err := k.Device()
	if err != nil {
		return "", err
	}
	pub, err := ecdh.X25519().NewPublicKey(d.NodeKey)
	if err != nil {
		return "", fmt.Errorf("field: node key: %w", err)
	}
	plain, err := json.Marshal(it)
	if err != nil {
		return "", err
	}
	q := Queued{ClientID: NewClientID(), Queued: k.now().UTC()}
	if q.Sealed, err = SealItem(pub, q.ClientID, plain); err != nil {
		return "", err
	}
	line, _ := json.Marshal(q)
	unlock, err := k.lock()
	if err != nil {
		return "", err
	}
	defer unlock()
	if err := k.wiped(); err != nil { // wiped while sealing
		return "", err
	}
	f, err := os.OpenFile(k.path(queueFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	return q.ClientID, f.Close()
}

// Pending returns the queued items the node has not confirmed, oldest first. A torn last
// line (a crash while appending) is skipped: its item was never reported queued.
func (k *Kit) Pending() ([]Queued, error) {
	if err := k.wiped(); err != nil {
		return nil, err
	}
	acked := map[string]bool{}
	if err := eachLine(k.path(ackedFile), func(b []byte) error {
		acked[string(b)] = true
		return nil
	}); err != nil {
		return nil, err
	}
	var out []Queued
	err := eachLine(k.path(queueFile), func(b []byte) error {
		var q Queued
		if json.Unmarshal(b, &q) != nil || q.ClientID == "" {
			return nil
		}
		if !acked[q.ClientID] {
			out = append(out, q)
		}
		return nil
	})
	return out, err
}

func eachLine(path string, fn func([]byte) error) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if b := bytes.TrimSpace(sc.Bytes()); len(b) > 0 {
			if err := fn(b); err != nil {
				return err
			}
		}
	}
	return sc.Err()
}

// Ack records durably that the node confirmed items; they no longer count as pending.
// Compact drops them from the queue file.
func (k *Kit) Ack(ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	f, err := os.OpenFile(k.path(ackedFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	for _, id := range ids {
		b.WriteString(id + "\n")
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Compact rewrites the queue without its confirmed items. A crash at any point loses no
// unconfirmed item; at worst a confirmed one is sent again, which the node recognises.
func (k *Kit) Compact() error {
	unlock, err := k.lock()
	if err != nil {
		return err
	}
	defer unlock()
	rest, err := k.Pending()
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		if err := os.Remove(k.path(queueFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	} else {
		var q bytes.Buffer
		for _, it := range rest {
			line, _ := json.Marshal(it)
			q.Write(append(line, '\n'))
		}
		if err := k.writeFile(queueFile, q.Bytes()); err != nil {
			return err
		}
	}
	if err := os.Remove(k.path(ackedFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(k.dir)
}

// Wipe erases the kit: the lease key first (so the package can no longer be opened even if
// the rest fails), then the package, the queue and the registration. What remains is the
// file "wiped" with the time, so the kit says why it answers nothing.
func (k *Kit) Wipe() error {
	unlock, err := k.lock()
	if err != nil {
		return err
	}
	err = k.wipeLocked()
	unlock()
	if err == nil {
		os.Remove(k.path(lockName))
	}
	return err
}

func (k *Kit) wipeLocked() error {
	if err := k.eraseLease(); err != nil {
		return err
	}
	for _, name := range []string{packageFile, queueFile, ackedFile, deviceFile} {
		if err := os.Remove(k.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return k.writeFile(wipedFile, []byte(k.now().UTC().Format(time.RFC3339)+"\n"))
}

// Status is a summary of a kit.
type Status struct {
	Registered   bool      `json:"registered"`
	Device       string    `json:"device,omitempty"`
	Node         string    `json:"node,omitempty"`
	Wiped        string    `json:"wiped,omitempty"`
	Package      string    `json:"package,omitempty"`
	PackageBytes int64     `json:"package_bytes,omitempty"`
	LeaseExpires time.Time `json:"lease_expires,omitzero"`
	LeaseValid   bool      `json:"lease_valid"`
	Queued       int       `json:"queued"`
}

// Status reports the kit's state without opening the package; an expired lease is erased
// on the way, like any other look at it.
func (k *Kit) Status() (Status, error) {
	var s Status
	if b, err := os.ReadFile(k.path(wipedFile)); err == nil {
		s.Wiped = strings.TrimSpace(string(b))
		return s, nil
	}
	d, err := k.Device()
	if errors.Is(err, ErrNotEnrolled) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	s.Registered, s.Device, s.Node = true, d.ID, d.Node
	if fi, err := os.Stat(k.path(packageFile)); err == nil {
		s.PackageBytes = fi.Size()
	}
	l, err := k.Lease()
	switch {
	case err == nil:
		s.Package, s.LeaseExpires, s.LeaseValid = l.PackageID, l.Expires, true
	case errors.Is(err, ErrLeaseExpired), errors.Is(err, ErrNoPackage):
	default:
		return s, err
	}
	q, err := k.Pending()
	s.Queued = len(q)
	return s, err
}
