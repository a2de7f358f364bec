// Package audit is the node's append-only, hash-chained log of every search, every read of
// personal data and every change: who (user, organisation, role), why (purpose), what
// (action and target), when, and with what result.
//
// Each entry's hash covers its own fields and the previous entry's hash, so editing,
// deleting, inserting or reordering any entry breaks the chain at that point; Verify finds
// the first break. The chain proves integrity, not secrecy: whoever can rewrite the whole
// log from some entry on can rebuild a consistent chain, which is why the head hash is
// printed by `biomesh audit verify` for safekeeping elsewhere (and, with federation, shared
// with partners).
package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"
)

// Entry is one audit record. Seq, Prev and Hash are set by Seal.
type Entry struct {
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"`
	User    string    `json:"user"`
	Org     string    `json:"org"`
	Role    string    `json:"role"`
	Purpose string    `json:"purpose,omitempty"`
	Action  string    `json:"action"`           // e.g. "person.enrol", "identify", "person.read"
	Target  string    `json:"target,omitempty"` // person, conflict or user ID the action touched
	Result  string    `json:"result"`           // e.g. "ok", "hit P-…", "denied", "no-hit"
	Prev    []byte    `json:"prev"`
	Hash    []byte    `json:"hash"`
}

// Genesis is the Prev of the first entry.
var Genesis = make([]byte, sha256.Size)

// digest hashes the entry's content fields and prev. Strings are length-prefixed so that
// no two different entries serialise alike.
func (e *Entry) digest(prev []byte) []byte {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(e.Seq))
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(e.Time.UTC().UnixNano()))
	h.Write(n[:])
	for _, s := range []string{e.User, e.Org, e.Role, e.Purpose, e.Action, e.Target, e.Result} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	h.Write(prev)
	return h.Sum(nil)
}

// Seal links e after the entry with sequence number seq-1 and hash prev (Genesis for the
// first entry, seq 1), and sets its Seq, Prev and Hash. Times are kept to the nanosecond in
// UTC.
func (e *Entry) Seal(seq int64, prev []byte) {
	e.Seq = seq
	e.Time = e.Time.UTC()
	e.Prev = append([]byte(nil), prev...)
	e.Hash = e.digest(prev)
}

// Verifier checks a chain entry by entry, in order.
type Verifier struct {
	n    int64
	prev []byte
}

// Next checks the next entry of the chain.
func (v *Verifier) Next(e *Entry) error {
	if v.prev == nil {
		v.prev = Genesis
	}
	want := v.n + 1
	if e.Seq != want {
		return &Error{Seq: e.Seq, Reason: fmt.Sprintf("sequence number %d where %d was expected (entry deleted, inserted or reordered)", e.Seq, want)}
	}
	if !bytes.Equal(e.Prev, v.prev) {
		return &Error{Seq: e.Seq, Reason: "previous-hash link does not match the entry before it (entry deleted, inserted or reordered)"}
	}
	if !bytes.Equal(e.digest(e.Prev), e.Hash) {
		return &Error{Seq: e.Seq, Reason: "hash does not match the entry's content (entry edited)"}
	}
	v.n, v.prev = e.Seq, e.Hash
	return nil
}

// Count is the number of entries verified so far; Head the hash of the last.
func (v *Verifier) Count() int64 { return v.n }

// Head returns the hex hash of the last verified entry ("" before the first).
func (v *Verifier) Head() string {
	if v.n == 0 {
		return ""
	}
	return hex.EncodeToString(v.prev)
}

// Verify checks a whole chain held in memory.
func Verify(entries []Entry) error {
	var v Verifier
	for i := range entries {
		if err := v.Next(&entries[i]); err != nil {
			return err
		}
	}
	return nil
}

// Error is a break in the chain.
type Error struct {
	Seq    int64
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("audit entry %d: %s", e.Seq, e.Reason) }
