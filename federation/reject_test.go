package federation

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/biomesh/biomesh/store"
)

// Unsigned, forged, tampered, replayed, misaddressed and out-of-agreement events that
// reach a partner through the link are rejected, audited, and change nothing it holds.
func TestBadEventsRejected(t *testing.T) {
	w := newWorld(t, "hq", "border")
	w.link("border", "hq", "", nil, []Agreement{agree(Templates, "border-control")})
	hq, border := w.start("hq"), w.start("border")
	border.waitLinked("hq")
	ctx := context.Background()

	evs, err := hq.Publish(ctx, hq.enrol("P-1", "Name", "suspect", store.WatchAlert, []byte("tpl-1")))
	if err != nil || len(evs) != 1 {
		t.Fatal(evs, err)
	}
	border.wait(1, 10*time.Second)
	good := *evs[0]

	// raw puts bytes into hq's outgoing stream for border, as a compromised link or a
	// misbehaving origin could; each with its own message ID so that the stream's own
	// duplicate window does not hide the replay from the receiver's check.
	js := hq.links["border"].js
	raw := func(data []byte) {
		t.Helper()
		if _, err := js.Publish(ctx, "fed.ev.hq.update", data, jetstream.WithMsgID(newID())); err != nil {
			t.Fatal(err)
		}
	}
	signed := func(ev Event, key ed25519.PrivateKey) []byte {
		data, err := seal("hq", key, ctxEvent, ev)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	downgrade := good
	downgrade.ID, downgrade.Kind, downgrade.Watch = newID(), KindUpdate, store.WatchNone

	// 1. unsigned
	var env envelope
	json.Unmarshal(signed(downgrade, w.keys["hq"]), &env)
	env.Sig = nil
	unsigned, _ := json.Marshal(env)
	raw(unsigned)
	// 2. forged: signed with another key in hq's name
	_, other, _ := ed25519.GenerateKey(nil)
	raw(signed(downgrade, other))
	// 3. tampered: a valid signature over a body changed afterwards
	ok := signed(downgrade, w.keys["hq"])
	raw(bytes.Replace(ok, []byte(`"watch":"none"`), []byte(`"watch":"detain"`), 1))
	// 4. replayed: the first event again, byte for byte
	raw(signed(good, w.keys["hq"]))
	// 5. a record that is not hq's
	foreign := downgrade
	foreign.ID, foreign.Ref = newID(), "other/P-9"
	raw(signed(foreign, w.keys["hq"]))
	// 6. made for another partner
	misaddressed := downgrade
	misaddressed.ID, misaddressed.To = newID(), "elsewhere"
	raw(signed(misaddressed, w.keys["hq"]))
	// 7. outside the receive agreement: a category it does not name, and a full record
	// where the agreement is for templates
	outside := downgrade
	outside.ID, outside.Category = newID(), "traveller"
	raw(signed(outside, w.keys["hq"]))
	full := downgrade
	full.ID, full.Level, full.Person = newID(), Full, &SharedPerson{Name: "Name"}
	raw(signed(full, w.keys["hq"]))
	// 8. not even an envelope
	raw([]byte("{not json"))
	const bad = 9

	// A good event after them all is still applied: the bad ones did not block the stream.
	later, err := hq.Publish(ctx, hq.enrol("P-2", "Other", "detainee", store.WatchMonitor, []byte("tpl-2")))
	if err != nil {
		t.Fatal(err)
	}
	got := border.wait(1, 10*time.Second)
	if got[0].ID != later[0].ID {
		t.Fatalf("applied %s %s, want the good event", got[0].Kind, got[0].Ref)
	}
	border.quiet(200 * time.Millisecond)

	r, err := border.state.Received(ctx, Ref("hq", "P-1"))
	if err != nil || r.Watch != store.WatchAlert || r.Event != good.ID {
		t.Fatalf("copy of P-1 changed: %+v, %v", r, err)
	}
	if _, err := border.state.Received(ctx, "other/P-9"); err == nil {
		t.Fatal("a record not of hq's was stored from hq")
	}
	var rejected []string
	for _, e := range border.audits("federation.event") {
		if strings.HasPrefix(e.Result, "rejected") {
			rejected = append(rejected, e.Result)
			if e.Org != "hq" || e.Role != "partner" {
				t.Errorf("audit entry names %s/%s", e.Org, e.Role)
			}
		}
	}
	if len(rejected) != bad {
		t.Fatalf("%d rejections audited, want %d:\n%s", len(rejected), bad, strings.Join(rejected, "\n"))
	}
	for i, want := range []string{"bad signature", "bad signature", "bad signature", "replay", "not one of hq's", "not this node", "outside", "outside", "malformed"} {
		if !strings.Contains(rejected[i], want) {
			t.Errorf("rejection %d: %q, want it to say %q", i+1, rejected[i], want)
		}
	}
}

// A node with a certificate from another authority, or with the wrong secret, gets no
// link.
func TestLinkNeedsCertificateAndSecret(t *testing.T) {
	w := newWorld(t, "hq", "border", "rogue")
	w.link("border", "hq", "", nil, []Agreement{agree(Templates, "border-control")})
	w.link("rogue", "hq", "", nil, []Agreement{agree(Templates, "border-control")})
	// rogue presents a certificate of its own authority.
	w.cfgs["rogue"].NATS.TLS = newPKI(t).issue(t, "rogue")
	w.cfgs["rogue"].Partners[0].Link.ServerName = "hq"
	hq := w.start("hq")
	// border knows hq's address and certificate but not the secret.
	w.cfgs["border"].Partners[0].Link.Secret = "not-the-secret-at-all"
	border, rogue := w.start("border"), w.start("rogue")
	time.Sleep(3 * time.Second)
	if hq.Linked("border") || border.Linked("hq") {
		t.Error("linked with a wrong secret")
	}
	if hq.Linked("rogue") || rogue.Linked("hq") {
		t.Error("linked with a certificate of another authority")
	}
	// Both refusals audited, each once (the partners retry every second).
	var got []string
	for _, e := range hq.audits("federation.link") {
		got = append(got, e.Result)
	}
	if len(got) != 2 || !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "authentication error") }) ||
		!slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "handshake error") }) {
		t.Errorf("hq audited %q", got)
	}
	t.Logf("audited: %q", got)
}

// A partner cannot administer the streams of the account kept for it, acknowledge the
// node's consumer, or publish into its outgoing subjects; sourcing still works.
func TestPartnerCannotAdminister(t *testing.T) {
	w := newWorld(t, "hq", "border")
	w.link("border", "hq", "", []Agreement{agree(Templates, "border-control")}, []Agreement{agree(Templates, "border-control")})
	hq, border := w.start("hq"), w.start("border")
	border.waitLinked("hq")
	hq.waitLinked("border")
	ctx := context.Background()
	// Both directions: border dials (remote's deny list), hq accepts (leaf user's).
	for _, c := range []struct {
		from, to *testNode
	}{{border, hq}, {hq, border}} {
		nc := c.from.links[c.to.id].nc
		// First a control, which also waits until the API's interest has crossed the
		// link: the API that sourcing needs does answer (here, an invalid request).
		for deadline := time.Now().Add(10 * time.Second); ; {
			_, err := nc.Request("$JS."+c.to.id+".API.CONSUMER.CREATE."+outStream(c.to.id), nil, 2*time.Second)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s -> %s: consumer API closed: %v", c.from.id, c.to.id, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, subj := range []string{
			"$JS." + c.to.id + ".API.STREAM.DELETE." + inStream(c.from.id),
			"$JS." + c.to.id + ".API.STREAM.PURGE." + outStream(c.to.id),
			"$JS." + c.to.id + ".API.CONSUMER.DELETE." + inStream(c.from.id) + ".apply",
			"$JS." + c.to.id + ".API.ACCOUNT.PURGE",
		} {
			if m, err := nc.Request(subj, nil, 500*time.Millisecond); err == nil {
				t.Errorf("%s -> %s %s: answered %s", c.from.id, c.to.id, subj, m.Data)
			}
		}
		if err := nc.Publish("fed.ev."+c.to.id+".enrol", []byte("{}")); err != nil {
			t.Fatal(err)
		}
		nc.Flush()
	}
	for _, n := range []*testNode{hq, border} {
		for _, name := range []string{inStream(map[string]string{"hq": "border", "border": "hq"}[n.id]), outStream(n.id)} {
			st, err := n.links[map[string]string{"hq": "border", "border": "hq"}[n.id]].js.Stream(ctx, name)
			if err != nil {
				t.Fatalf("%s: stream %s: %v", n.id, name, err)
			}
			if name == outStream(n.id) && st.CachedInfo().State.Msgs != 0 {
				t.Errorf("%s: %d messages injected into %s", n.id, st.CachedInfo().State.Msgs, name)
			}
		}
	}
	// Sourcing works both ways.
	if _, err := hq.Publish(ctx, hq.enrol("P-1", "N", "suspect", store.WatchAlert, []byte("T1"))); err != nil {
		t.Fatal(err)
	}
	border.wait(1, 10*time.Second)
	if _, err := border.Publish(ctx, border.enrol("B-1", "N", "suspect", store.WatchAlert, []byte("T1"))); err != nil {
		t.Fatal(err)
	}
	hq.wait(1, 10*time.Second)
}
