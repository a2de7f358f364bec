package server

// Field kits (package field): an admin registers a device, which then pulls an encrypted
// watch-list package, renews the lease on its key, and sends the encounters and enrolments
// it queued offline. A remote wipe is delivered at the device's next contact.

import (
	"context"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/biomesh/biomesh/federation"
	"github.com/biomesh/biomesh/field"
	"github.com/biomesh/biomesh/store"
)

// Lease bounds: the default is three days in the field without contact.
const (
	defaultLease = 72 * time.Hour
	maxLease     = 30 * 24 * time.Hour
	maxSyncItems = 1000
	// Four fingers per person keep a package of 10,000 persons near 12 MB; all ten would be
	// about 31 MB.
	defaultFingers = 4
)

// fingerRank orders finger positions by how often hand-held devices capture them: right
// and left index, right and left thumb, then middle, ring and little fingers, unknown last.
var fingerRank = [11]int{0: 10, 2: 0, 7: 1, 1: 2, 6: 3, 3: 4, 8: 5, 4: 6, 9: 7, 5: 8, 10: 9}

func rankOf(pos int) int {
	if pos < 0 || pos > 10 {
		return 11
	}
	return fingerRank[pos]
}

// deviceLocks serialises the syncs of one device, so that a batch resent while the first
// copy is still being processed waits for it and then finds every item done. The zero value
// is ready.
type deviceLocks struct {
	mu sync.Mutex
	m  map[string]*sync.Mutex
}

func (l *deviceLocks) lock(id string) func() {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*sync.Mutex{}
	}
	m := l.m[id]
	if m == nil {
		m = &sync.Mutex{}
		l.m[id] = m
	}
	l.mu.Unlock()
	m.Lock()
	return m.Unlock
}

func (s *Server) deviceStore() (store.DeviceStore, error) {
	ds, ok := s.st.(store.DeviceStore)
	if !ok {
		return nil, bad(http.StatusNotImplemented, "this node's store keeps no field devices")
	}
	return ds, nil
}

type deviceRequest struct {
	Name       string `json:"name"`
	Unit       string `json:"unit"`
	Role       string `json:"role"`        // screener (default) or enroller
	LeaseHours int    `json:"lease_hours"` // default 72, at most 720
	Fingers    int    `json:"fingers"`     // fingers per person in packages, 1–10, default 4
}

type deviceResponse struct {
	Device     *store.Device `json:"device"`
	LeaseHours int           `json:"lease_hours"`
	Token      string        `json:"token,omitempty"`    // only when registered: the device's API token
	NodeKey    []byte        `json:"node_key,omitempty"` // X25519 public key queued items are sealed to
}

// addDevice is POST /v1/devices: an admin registers a field kit of their organisation.
func (s *Server) addDevice(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "device.add", ""); err != nil {
		return err
	}
	ds, err := s.deviceStore()
	if err != nil {
		return err
	}
	var req deviceRequest
	if err := decodeRequest(r, &req); err != nil {
		return err
	}
	if !namePattern(req.Name) {
		return bad(http.StatusBadRequest, "name %q: 1–64 letters, digits, '-', '_' or '.'", req.Name)
	}
	if len(req.Unit) > 200 {
		return bad(http.StatusBadRequest, "unit: longer than 200 bytes")
	}
	if req.Role == "" {
		req.Role = store.RoleScreener
	}
	if req.Role != store.RoleScreener && req.Role != store.RoleEnroller {
		return bad(http.StatusBadRequest, "role %q: a device is a screener (checks only) or an enroller (checks and enrolments)", req.Role)
	}
	lease := defaultLease
	if req.LeaseHours != 0 {
		lease = time.Duration(req.LeaseHours) * time.Hour
		if req.LeaseHours < 0 || lease > maxLease {
			return bad(http.StatusBadRequest, "lease_hours %d: from 1 to %d", req.LeaseHours, int(maxLease/time.Hour))
		}
	}
	if req.Fingers == 0 {
		req.Fingers = defaultFingers
	}
	if req.Fingers < 1 || req.Fingers > 10 {
		return bad(http.StatusBadRequest, "fingers %d: from 1 to 10 per person (0 for the default, %d)", req.Fingers, defaultFingers)
	}
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	now := s.cfg.Now().UTC()
	id := newID("D")
	tok := NewToken()
	u := &store.User{ID: c.Org + "/" + id, Name: "device " + req.Name, Org: c.Org, Role: req.Role, TokenHash: HashToken(tok), Created: now}
	d := &store.Device{ID: id, Name: req.Name, Org: c.Org, Unit: req.Unit, UserID: u.ID, Role: req.Role, Status: store.DeviceActive,
		Lease: lease, Fingers: req.Fingers, RefKey: randomKey(), PrivateKey: priv.Bytes(), Created: now}
	if err := ds.CreateDevice(r.Context(), d, u, s.entry(c, "device.add", id, fmt.Sprintf("ok: %s, role %s, unit %q, lease %s", req.Name, req.Role, req.Unit, lease))); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, deviceResponse{Device: d, LeaseHours: int(d.Lease / time.Hour), Token: tok, NodeKey: priv.PublicKey().Bytes()})
	return nil
}

func randomKey() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic(err)
	}
	return k
}

// getDevice is GET /v1/devices/{id}: an admin of the device's organisation reads it.
func (s *Server) getDevice(w http.ResponseWriter, r *http.Request, c *caller) error {
	d, _, err := s.adminDevice(r, c, "device.read")
	if err != nil {
		return err
	}
	if err := s.audit(r.Context(), c, "device.read", d.ID, "ok"); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, deviceResponse{Device: d, LeaseHours: int(d.Lease / time.Hour)})
	return nil
}

// adminDevice loads the device of the path for an admin action on it.
func (s *Server) adminDevice(r *http.Request, c *caller, action string) (*store.Device, store.DeviceStore, error) {
	id := r.PathValue("id")
	if err := s.require(r, c, action, id); err != nil {
		return nil, nil, err
	}
	ds, err := s.deviceStore()
	if err != nil {
		return nil, nil, err
	}
	d, err := ds.Device(r.Context(), id)
	if err != nil {
		s.audit(r.Context(), c, action, id, "not found")
		return nil, nil, err
	}
	if d.Org != c.Org {
		s.audit(r.Context(), c, action, id, "denied: device of organisation "+d.Org)
		return nil, nil, bad(http.StatusForbidden, "device %s belongs to organisation %s", id, d.Org)
	}
	return d, ds, nil
}

// wipeDevice is POST /v1/devices/{id}/wipe: the device's lease key is revoked at once, and
// its next contact tells it to erase itself, after which its token is refused.
func (s *Server) wipeDevice(w http.ResponseWriter, r *http.Request, c *caller) error {
	d, ds, err := s.adminDevice(r, c, "device.wipe")
	if err != nil {
		return err
	}
	if d.Status == store.DeviceActive {
		d.Status, d.LeaseKey = store.DeviceWipePending, nil
		if err := ds.UpdateDevice(r.Context(), d, nil, s.entry(c, "device.wipe", d.ID, "ok: wipe ordered; delivered at the next contact")); err != nil {
			return err
		}
	} else if err := s.audit(r.Context(), c, "device.wipe", d.ID, "ok: already "+d.Status); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, deviceResponse{Device: d, LeaseHours: int(d.Lease / time.Hour)})
	return nil
}

// ownDevice loads the device of the path for the device's own call. A pending wipe is
// delivered here: the answer is 410 with "wipe": true, the device is marked wiped and its
// token disabled, and the caller writes nothing more (ok false).
func (s *Server) ownDevice(w http.ResponseWriter, r *http.Request, c *caller, action string) (d *store.Device, ds store.DeviceStore, ok bool, err error) {
	id := r.PathValue("id")
	if err := s.require(r, c, action, id); err != nil {
		return nil, nil, false, err
	}
	if ds, err = s.deviceStore(); err != nil {
		return nil, nil, false, err
	}
	d, err = ds.Device(r.Context(), id)
	if err == nil && d.UserID != c.ID {
		err = bad(http.StatusForbidden, "device %s: only the device itself may %s", id, strings.TrimPrefix(action, "device."))
	}
	if err != nil {
		s.audit(r.Context(), c, action, id, "denied: "+err.Error())
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, false, bad(http.StatusForbidden, "device %s: not this token's device", id)
		}
		return nil, nil, false, err
	}
	if d.Status != store.DeviceActive {
		d.Status, d.LeaseKey, d.LastSeen = store.DeviceWiped, nil, s.cfg.Now().UTC()
		if err := ds.UpdateDevice(context.WithoutCancel(r.Context()), d, nil, s.entry(c, "device.wipe", d.ID, "delivered on "+action+"; token disabled")); err != nil {
			return nil, nil, false, err
		}
		writeJSON(w, http.StatusGone, map[string]any{"error": fmt.Sprintf("device %s: wiped on the order of its organisation; erase everything", d.ID), "wipe": true})
		return nil, nil, false, nil
	}
	return d, ds, true, nil
}

// personRef is a person's opaque reference in a device's packages: a keyed hash, so that
// references mean nothing off the node and differ between devices.
func personRef(key []byte, person string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(person))
	return "R-" + base32.StdEncoding.EncodeToString(m.Sum(nil))[:16]
}

// devicePackage is GET /v1/devices/{id}/package: a fresh watch-list package sealed under a
// fresh key. The key itself is granted by POST /v1/devices/{id}/lease.
func (s *Server) devicePackage(w http.ResponseWriter, r *http.Request, c *caller) error {
	d, ds, ok, err := s.ownDevice(w, r, c, "device.pull")
	if err != nil || !ok {
		return err
	}
	watched, err := ds.Watched(r.Context())
	if err != nil {
		return err
	}
	now := s.cfg.Now().UTC()
	p := &field.Package{ID: newID("WL"), Device: d.ID, Org: d.Org, Created: now, FPIR: s.cfg.FPIR}
	index := map[string]int{}
	refs := map[string]string{}
	fingers := 0
	err = s.st.EachTemplate(r.Context(), store.Finger, func(sm store.Sample) error {
		level, ok := watched[sm.PersonID]
		if !ok {
			return nil
		}
		i, ok := index[sm.PersonID]
		if !ok {
			ref := personRef(d.RefKey, sm.PersonID)
			refs[ref] = sm.PersonID
			i = len(p.Persons)
			index[sm.PersonID] = i
			p.Persons = append(p.Persons, field.Person{Ref: ref, Watch: level})
		}
		ps := &p.Persons[i]
		f := field.Finger{Position: sm.Position, Template: sm.Template, Prepared: sm.Prepared}
		// Keep the d.Fingers best-ranked positions, one sample per position (the first
		// enrolled).
		for _, g := range ps.Fingers {
			if g.Position == f.Position && f.Position != 0 {
				return nil
			}
		}
		if len(ps.Fingers) < d.Fingers {
			ps.Fingers = append(ps.Fingers, f)
			return nil
		}
		worst := 0
		for k, g := range ps.Fingers {
			if rankOf(g.Position) > rankOf(ps.Fingers[worst].Position) {
				worst = k
			}
		}
		if rankOf(f.Position) < rankOf(ps.Fingers[worst].Position) {
			ps.Fingers[worst] = f
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, ps := range p.Persons {
		fingers += len(ps.Fingers)
	}
	// The kit searches prepared forms as they come; templates it must prepare first.
	if err := p.Prepare(field.PreparedFingers); err != nil {
		return err
	}
	key := randomKey()
	sealed, err := field.SealPackage(p, key)
	if err != nil {
		return err
	}
	d.LeaseKey, d.PackageID, d.LeaseExpires, d.LastSeen = key, p.ID, now.Add(d.Lease), now
	if err := ds.UpdateDevice(r.Context(), d, refs, s.entry(c, "device.pull", d.ID,
		fmt.Sprintf("ok: package %s, %d persons, %d fingers, %d bytes; lease until %s", p.ID, len(p.Persons), fingers, len(sealed), d.LeaseExpires.Format(time.RFC3339)))); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Biomesh-Package", p.ID)
	w.WriteHeader(http.StatusOK)
	w.Write(sealed)
	return nil
}

type leaseResponse struct {
	PackageID string    `json:"package_id"`
	Key       []byte    `json:"key"` // AES-256 key of the package, base64
	Expires   time.Time `json:"expires"`
}

// deviceLease is POST /v1/devices/{id}/lease: the key of the device's current package,
// valid for the device's lease period from now (a renewal when called again).
func (s *Server) deviceLease(w http.ResponseWriter, r *http.Request, c *caller) error {
	d, ds, ok, err := s.ownDevice(w, r, c, "device.lease")
	if err != nil || !ok {
		return err
	}
	if d.PackageID == "" || len(d.LeaseKey) == 0 {
		s.audit(r.Context(), c, "device.lease", d.ID, "refused: no package pulled")
		return bad(http.StatusConflict, "device %s has no package: pull one first (GET /v1/devices/%s/package)", d.ID, d.ID)
	}
	now := s.cfg.Now().UTC()
	d.LeaseExpires, d.LastSeen = now.Add(d.Lease), now
	if err := ds.UpdateDevice(r.Context(), d, nil, s.entry(c, "device.lease", d.ID, fmt.Sprintf("ok: package %s until %s", d.PackageID, d.LeaseExpires.Format(time.RFC3339)))); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, leaseResponse{PackageID: d.PackageID, Key: d.LeaseKey, Expires: d.LeaseExpires})
	return nil
}

type syncRequest struct {
	Items []syncItem `json:"items"`
}

type syncItem struct {
	ClientID string `json:"client_id"`
	Sealed   []byte `json:"sealed"` // field.SealItem to the node key, base64
}

type syncResponse struct {
	Results []syncResult `json:"results"`
}

// Sync item statuses.
const (
	syncCreated   = "created"   // stored now
	syncDuplicate = "duplicate" // stored by an earlier sync; nothing stored again
	syncRejected  = "rejected"  // refused for good (malformed, not allowed): do not resend
	syncFailed    = "failed"    // not stored for a reason on the node's side: resend later
)

type syncResult struct {
	ClientID string `json:"client_id"`
	Status   string `json:"status"`
	Kind     string `json:"kind,omitempty"`
	ID       string `json:"id,omitempty"` // the encounter or person the item became
	Error    string `json:"error,omitempty"`
}

// deviceSync is POST /v1/devices/{id}/sync: items queued on the kit, each sealed to the
// node and named by a client-generated ID. An item already synced is answered "duplicate"
// and not stored again, so a batch resent after a dropped link changes nothing.
func (s *Server) deviceSync(w http.ResponseWriter, r *http.Request, c *caller) error {
	d, ds, ok, err := s.ownDevice(w, r, c, "device.sync")
	if err != nil || !ok {
		return err
	}
	var req syncRequest
	if err := decodeRequest(r, &req); err != nil {
		return err
	}
	if len(req.Items) > maxSyncItems {
		return bad(http.StatusBadRequest, "items: %d, at most %d per request", len(req.Items), maxSyncItems)
	}
	priv, err := ecdh.X25519().NewPrivateKey(d.PrivateKey)
	if err != nil {
		return err
	}
	defer s.syncLocks.lock(d.ID)()
	// The link may drop while the batch is processed: finish it anyway, so that the resend
	// finds every item done.
	ctx := context.WithoutCancel(r.Context())
	resp := syncResponse{Results: make([]syncResult, 0, len(req.Items))}
	counts := map[string]int{}
	for _, it := range req.Items {
		res := s.syncOne(ctx, r, c, d, ds, priv, it)
		counts[res.Status]++
		resp.Results = append(resp.Results, res)
	}
	d.LastSeen = s.cfg.Now().UTC()
	if err := ds.UpdateDevice(ctx, d, nil, s.entry(c, "device.sync", d.ID, fmt.Sprintf("ok: %d items: %d created, %d duplicate, %d rejected, %d failed",
		len(req.Items), counts[syncCreated], counts[syncDuplicate], counts[syncRejected], counts[syncFailed]))); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) syncOne(ctx context.Context, r *http.Request, c *caller, d *store.Device, ds store.DeviceStore, priv *ecdh.PrivateKey, it syncItem) syncResult {
	res := syncResult{ClientID: it.ClientID}
	reject := func(format string, a ...any) syncResult {
		res.Status, res.Error = syncRejected, fmt.Sprintf(format, a...)
		return res
	}
	if it.ClientID == "" || len(it.ClientID) > 100 {
		return reject("client_id: missing or longer than 100 bytes")
	}
	if prev, err := ds.SyncResult(ctx, d.ID, it.ClientID); err == nil {
		res.Status = syncDuplicate
		res.Kind, res.ID, _ = strings.Cut(prev, " ")
		if strings.HasPrefix(res.ID, "rejected:") {
			res.Status, res.ID, res.Error = syncRejected, "", strings.TrimPrefix(res.ID, "rejected: ")
		}
		return res
	} else if !errors.Is(err, store.ErrNotFound) {
		res.Status, res.Error = syncFailed, "node: "+err.Error()
		return res
	}
	plain, err := field.OpenItem(priv, it.ClientID, it.Sealed)
	if err != nil {
		s.audit(ctx, c, "device.sync", d.ID, "rejected item "+it.ClientID+": "+err.Error())
		return reject("%v", err)
	}
	var item field.Item
	if err := json.Unmarshal(plain, &item); err != nil {
		return s.recordRejected(ctx, c, d, ds, it.ClientID, "", fmt.Sprintf("item: %v", err))
	}
	res.Kind = item.Kind
	var id string
	switch {
	case item.Kind == field.KindEncounter && item.Encounter != nil:
		id, err = s.syncEncounter(ctx, c, d, ds, it.ClientID, item.Encounter)
	case item.Kind == field.KindEnrolment && item.Enrolment != nil:
		id, err = s.syncEnrolment(ctx, r, c, item.Enrolment)
	default:
		err = bad(http.StatusBadRequest, "kind %q: an encounter or an enrolment, with its body", item.Kind)
	}
	var dup *duplicateItem
	switch {
	case errors.As(err, &dup):
		res.Status, id = syncDuplicate, dup.id
	case err != nil && statusOf(err) < 500:
		return s.recordRejected(ctx, c, d, ds, it.ClientID, item.Kind, err.Error())
	case err != nil:
		res.Status, res.Error = syncFailed, "node: "+err.Error()
		return res
	default:
		res.Status = syncCreated
	}
	res.ID = id
	if err := ds.AddSyncResult(ctx, d.ID, it.ClientID, item.Kind+" "+id, s.entry(c, "device.sync.item", it.ClientID, res.Status+" "+item.Kind+" "+id)); err != nil && !errors.Is(err, store.ErrConflict) {
		// The item is stored; only the note of it is not. A resend finds an encounter by
		// its derived ID; an enrolment would be searched as a duplicate of itself.
		s.cfg.Logger.Error("device sync: recording an item failed", "device", d.ID, "item", it.ClientID, "err", err)
	}
	return res
}

// recordRejected notes a refused item, so that its resend is answered the same without
// being processed again.
func (s *Server) recordRejected(ctx context.Context, c *caller, d *store.Device, ds store.DeviceStore, clientID, kind, msg string) syncResult {
	if kind == "" {
		kind = "item"
	}
	if err := ds.AddSyncResult(ctx, d.ID, clientID, kind+" rejected: "+msg, s.entry(c, "device.sync.item", clientID, "rejected "+kind+": "+msg)); err != nil && !errors.Is(err, store.ErrConflict) {
		return syncResult{ClientID: clientID, Kind: kind, Status: syncFailed, Error: "node: " + err.Error()}
	}
	return syncResult{ClientID: clientID, Kind: kind, Status: syncRejected, Error: msg}
}

// duplicateItem is an item found already stored, though its sync was not noted.
type duplicateItem struct{ id string }

func (e *duplicateItem) Error() string { return "already stored as " + e.id }

// syncEncounter stores an encounter made offline, with the kit's answer: the person its
// reference names, the watch level the package carried. Its ID derives from the device and
// the client ID, so that it is stored once even if the note of the sync is lost.
func (s *Server) syncEncounter(ctx context.Context, c *caller, d *store.Device, ds store.DeviceStore, clientID string, e *field.Encounter) (string, error) {
	sum := sha256.Sum256([]byte(d.ID + "\x00" + clientID))
	id := "E-" + base32.StdEncoding.EncodeToString(sum[:10])
	if ok, err := ds.HasEncounter(ctx, id); err != nil {
		return "", err
	} else if ok {
		return "", &duplicateItem{id}
	}
	if err := checkPlace(e.Lat, e.Lon); err != nil {
		return "", err
	}
	if len(e.Place) > 500 || len(e.Unit) > 200 || len(e.Purpose) > 200 || len(e.Outcome) > 200 {
		return "", bad(http.StatusBadRequest, "place, unit, purpose or outcome: too long")
	}
	samples, err := s.decodeSamples(ctx, fieldSamples(e.Fingers, d.ID), false)
	if err != nil {
		return "", err
	}
	now := s.cfg.Now().UTC()
	fillCaptured(samples, e.Time.UTC())
	rec := &store.Encounter{ID: id, Time: e.Time.UTC(), Place: e.Place, Lat: e.Lat, Lon: e.Lon, Org: d.Org, User: c.ID,
		Unit: e.Unit, Device: d.ID, Purpose: e.Purpose, Outcome: e.Outcome, Probes: records(samples)}
	if rec.Unit == "" {
		rec.Unit = d.Unit
	}
	if rec.Time.IsZero() || rec.Time.After(now.Add(time.Hour)) {
		rec.Time = now
	}
	var person *store.Person
	result := "offline no-hit"
	if o := e.Offline; o != nil && o.Hit {
		pid, err := ds.DeviceRef(ctx, d.ID, o.Ref)
		if err != nil {
			return "", bad(http.StatusBadRequest, "offline answer: reference %s is not one of this device's packages", o.Ref)
		}
		rec.PersonID, rec.Hit, rec.Score, rec.Watch = pid, true, o.Score, o.Watch
		if p, err := s.st.Person(ctx, pid); err == nil {
			person = p
		} else {
			// The person was deleted or merged since the package was built: the encounter
			// keeps the ID, which the tombstone explains.
			rec.PersonID = ""
			result = "offline hit on " + pid + " (no longer stored)"
		}
		if person != nil {
			result = fmt.Sprintf("offline hit %s watch %s", pid, o.Watch)
		}
	}
	var share []store.OutboxMessage
	if person != nil {
		share = s.shared(federation.Change{ID: rec.ID, Kind: federation.KindEncounter, Person: person, Encounter: rec})
	}
	if err := s.st.AddEncounter(ctx, rec, s.entry(c, "encounter", id, result+"; synced from device "+d.ID), share...); err != nil {
		return "", err
	}
	if person != nil {
		s.notifyPartners()
		if rec.Watch.Severity() >= store.WatchAlert.Severity() {
			s.alerts.publish(alert{Time: now, EncounterID: id, PersonID: person.ID, Owner: person.Org, Watch: rec.Watch,
				Reason: person.Watch.Reason, Name: person.Name, Place: rec.Place, Lat: rec.Lat, Lon: rec.Lon, Unit: rec.Unit, Org: rec.Org, Score: rec.Score})
		}
	}
	return id, nil
}

func fieldSamples(fs []field.Finger, device string) []sampleIn {
	out := make([]sampleIn, len(fs))
	for i, f := range fs {
		pos := f.Position
		out[i] = sampleIn{Modality: store.Finger, Position: &pos, Template: f.Template, Device: device}
	}
	return out
}

// syncEnrolment enrols a person enrolled offline through the node's enrolment (with its
// de-duplication search and identity conflicts), as the device's user.
func (s *Server) syncEnrolment(ctx context.Context, r *http.Request, c *caller, e *field.Enrolment) (string, error) {
	if !c.can("enrol") {
		s.audit(ctx, c, "enrol", "", "denied: role "+c.Role)
		return "", bad(http.StatusForbidden, "enrol: not allowed for a %s device", c.Role)
	}
	p := personIn(e.Person)
	req := &enrolRequest{Person: &p, Samples: fieldSamples(e.Fingers, c.ID)}
	rec := httptest.NewRecorder()
	if err := s.enrolDecoded(rec, r.WithContext(ctx), c, req, nil); err != nil {
		return "", err
	}
	var out enrolResponse
	if rec.Code >= 300 || json.Unmarshal(rec.Body.Bytes(), &out) != nil || out.PersonID == "" {
		return "", fmt.Errorf("enrolment answered %d: %s", rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	return out.PersonID, nil
}
