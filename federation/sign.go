package federation

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
)

// envelope is what travels: a JSON message body and its origin's Ed25519 signature over
// exactly those bytes. Signing the bytes rather than a re-encoding means a receiver never
// has to reproduce the sender's JSON to verify it.
type envelope struct {
	Signer string          `json:"signer"` // node ID of the signer
	Body   json.RawMessage `json:"body"`
	Sig    []byte          `json:"sig"`
}

// domain separation: a signature over an event cannot be passed off as one over a query.
const (
	ctxEvent    = "biomesh-federation-event-v1\x00"
	ctxQuery    = "biomesh-federation-query-v1\x00"
	ctxAnswer   = "biomesh-federation-answer-v1\x00"
	ctxFollowUp = "biomesh-federation-follow-up-v1\x00"
)

func seal(signer string, key ed25519.PrivateKey, sigctx string, v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(envelope{Signer: signer, Body: body, Sig: ed25519.Sign(key, append([]byte(sigctx), body...))})
}

// ErrSignature is returned (wrapped) for unsigned, forged or tampered messages.
var ErrSignature = errors.New("bad signature")

// open checks an envelope's signature with the signer's configured key and decodes its
// body into v. keyOf returns nil for an unknown signer.
func open(data []byte, sigctx string, keyOf func(string) ed25519.PublicKey, v any) (signer string, err error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return "", fmt.Errorf("malformed envelope: %w", err)
	}
	k := keyOf(env.Signer)
	if k == nil {
		return env.Signer, fmt.Errorf("signer %q: not a partner: %w", env.Signer, ErrSignature)
	}
	if len(env.Sig) != ed25519.SignatureSize || !ed25519.Verify(k, append([]byte(sigctx), env.Body...), env.Sig) {
		return env.Signer, fmt.Errorf("signer %q: %w", env.Signer, ErrSignature)
	}
	dec := json.NewDecoder(bytes.NewReader(env.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return env.Signer, fmt.Errorf("signer %q: malformed body: %w", env.Signer, err)
	}
	return env.Signer, nil
}
