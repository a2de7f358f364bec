// Package federation shares records between biomesh nodes as their sharing agreements
// allow, over NATS: events pushed to partners through JetStream streams, hit/no-hit
// queries and follow-up requests by request/reply.
//
// # Transport
//
// Each node runs an embedded NATS server (Start) that is its own JetStream domain, named by
// its node ID, and keeps one account per partner. A partnership is one leaf-node link with
// mutual TLS: one side dials, presenting its certificate and the secret both sides hold;
// the other side admits it into the account it keeps for the partner its certificate
// names (link.cert_name, by default the partner's ID, as a subject alternative name or the
// subject's distinguished name), and only when the secret is that partner's: a partner
// holding another's secret, or claiming another's name, enters nowhere. The dialling
// side accepts only a server certificate that names the partner too. Refused links are
// audited (action federation.link, at most once a minute per remote host and reason, as
// a refused partner retries every second). The two accounts joined by the link are the
// whole of what the partners share: a partner never sees another partner's account.
//
// A partner's leaf connection may not administer this node's JetStream (streams, account),
// touch the consumer or acknowledgements of what this node received from it, or publish
// into this node's outgoing subjects (see denyImports). With nats.url the node uses an
// external NATS server or cluster instead, whose operator keeps the same accounts, domain
// and permissions, and maps partners' leaf certificates to their users (verify_and_map).
//
// Each partner may make query_rate requests (hit/no-hit queries and follow-up requests)
// a second on average, in bursts of query_burst (defaults 20 and twice the rate); beyond,
// a request is refused as rate-limited before any search, audited, and the requesting
// node's API answers 429.
//
// Outgoing events to a partner are signed (Ed25519) by the origin node, checked against
// the agreements by Config.Outgoing, and stored in the stream OUT_<origin> of that
// partner's account (subjects fed.ev.<origin>.<kind>) before Publish returns. The partner's
// stream IN_<origin> sources it across the link: while the link is down events wait in
// OUT, and when it returns the source resumes after the last sequence it holds, so nothing
// is lost and nothing arrives twice. A durable consumer applies IN in order; the State
// remembers at which sequence each event ID was applied, so a redelivery (same sequence)
// is acknowledged and a replay (same ID, other sequence) is rejected. Unsigned, forged,
// tampered, misaddressed and replayed events, and events outside every receive agreement,
// are rejected, audited and change nothing.
//
// # Sharing agreements
//
// Agreements live in the configuration file (YAML, or JSON, which is YAML too), per partner
// and direction: send (what may leave for the partner) and receive (what is accepted from
// it). Each names a purpose code, a level, the person categories, watch levels and
// modalities it covers (allow-lists; none may be empty) and an expiry, after which it
// allows nothing. The levels:
//
//	hit-no-hit  nothing is pushed; the partner may query (hit/no-hit, reference number,
//	            watch level) and ask follow-up requests, which an analyst approves
//	templates   pushed: reference number, category, watch level, templates of the agreed
//	            modalities; encounters with watched persons (time and place)
//	full        pushed: also the biographic record and images; encounters also with
//	            the person's record, coordinates, unit and outcome
//
// A change goes to a partner under the agreement in force that covers the person with the
// highest level; an update that takes a person out of every agreement with a partner that
// held it sends that partner a withdrawal. Received copies (Received) are keyed by
// reference number "<origin>/<person ID>" and changed only by events signed by that origin.
//
// The file, with every field (see testdata/hq.yaml for a whole one):
//
//	node: hq                          # this node's ID, also its JetStream domain
//	key_file: /etc/biomesh/hq.key     # Ed25519 seed, written by GenerateKey
//	follow_up_ttl: 336h               # how long follow-up requests wait (default 14 days)
//	nats:
//	  store_dir: /var/lib/biomesh/nats
//	  leaf_listen: 0.0.0.0:7422       # where partners that dial us connect ("" for none)
//	  retention: 720h                 # how long events wait for a link that is down
//	  tls: {cert: hq.pem, key: hq-key.pem, ca: ca.pem}
//	  # url: tls://nats.internal:4222 # an external NATS instead (then link: {user, password})
//	partners:
//	  - id: border
//	    public_key: <base64 Ed25519 public key of border>
//	    link: {dial: "tls://border.example:7422", secret_file: border.secret}
//	    # link.cert_name: the partner's name in its certificate (default: its id)
//	    query_rate: 20                # requests a second it may make of us (default 20)
//	    query_burst: 40               # at once (default twice query_rate)
//	    send:
//	      - purpose: border-control
//	        level: templates          # hit-no-hit | templates | full
//	        categories: [suspect, detainee]
//	        watch_levels: [alert, detain]
//	        modalities: [finger]
//	        expires: 2027-06-30
//	    receive: []
//
// # Queries and follow-up requests
//
// Node.Query sends probe templates (there is no field for a name) with a purpose; the
// partner's Searcher finds the person, and the answer is hit or no-hit with a reference
// number and watch level, given only when a send agreement in force covers the purpose,
// the probes' modalities and the person found. The probe is not kept. Both sides audit.
// Node.RequestFollowUp asks for the full record behind a reference; the owner queues it
// (State) until an analyst of the owning organisation decides (DecideFollowUp); the answer
// (released with the record, refused, or expired after follow_up_ttl) travels as an event
// in the owner's stream. With the outbox, the decision commits in the store with its
// audit entry and the answer's outbox message (store.Outbox.AppendOutbox; the message ID
// is the answer's event ID, so a second decision is refused), and the answer leaves from
// the outbox like a change: with the record as it is then, once, even if the node stops
// right after the decision. The request reads approved until the answer is in the
// partner's stream, then released.
//
// # The outbox: no change lost between the commit and the stream
//
// A change is shared through the store's transactional outbox (store.Outbox): the node
// makes its message (Node.Message) and the store writes it in the transaction of the
// change, so it exists exactly when the change does; a crash right after the commit, or a
// NATS server that is down, delays the events but loses none. The federation node
// publishes the outbox in commit order for each partner (at once after Notify, otherwise
// within a second): each partner has its cursor, the last message whose events its stream
// stored, so a partner whose stream refuses (full, say) is held back alone, retried
// backing off to 10 s, while the others go on; a message is removed once every partner's
// cursor has passed it. At start the cursors are found again from the last event each
// stream holds (its ID names the message it came from). An event's ID derives from the
// change's ID (the encounter ID for an encounter, a random one kept in the message
// otherwise) and is its JetStream message ID (Nats-Msg-Id), so publishing it again after a
// crash is dropped as a duplicate by the stream (within 10 minutes) or, later, because the
// node reads the IDs its streams stored last before it publishes again.
//
// The message holds what is needed to make the events, not a copy of the record: an
// enrolment or update is published with the record and samples as the store holds them
// then (a person deleted or merged away meanwhile is not sent; the deletion is), and is
// checked against the agreements in force then. A deletion keeps only the person's
// category and watch level, an update the previous ones, an encounter the encounter
// without its probes.
//
// # Wiring into a node
//
// The node implements Searcher (its galleries), passes its store as Records, Auditor and
// Outbox (store.Store has the methods), and a State; it writes Message(change) with every
// enrolment, update, watch change, deletion and encounter with a watched person, and
// calls Notify after the commit. (Publish sends a change directly, with no outbox.)
// OnEvent is told of every accepted event (e.g. to raise alerts for encounters).
package federation
