package field

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
)

// Queued items are sealed to the node: an ephemeral X25519 key agreement with the device's
// node key, HKDF-SHA256 over the shared secret (salted with both public keys, labelled with
// the item's client ID), and AES-256-GCM. Layout: ephemeral public key (32 bytes), nonce
// (12), ciphertext and tag. Only the node, which holds the private half, can open them.

const itemInfo = "biomesh field queue item v1"

// SealItem encrypts plain to the node public key pub, bound to clientID.
func SealItem(pub *ecdh.PublicKey, clientID string, plain []byte) ([]byte, error) {
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	aead, err := itemAEAD(eph, pub, eph.PublicKey(), pub, clientID)
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), eph.PublicKey().Bytes()...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plain, []byte(clientID)), nil
}

// OpenItem decrypts an item sealed by SealItem with the node's private key.
func OpenItem(priv *ecdh.PrivateKey, clientID string, sealed []byte) ([]byte, error) {
	if len(sealed) < 32+12+16 {
		return nil, errors.New("sealed item truncated")
	}
	eph, err := ecdh.X25519().NewPublicKey(sealed[:32])
	if err != nil {
		return nil, err
	}
	aead, err := itemAEAD(priv, eph, eph, priv.PublicKey(), clientID)
	if err != nil {
		return nil, err
	}
	plain, err := aead.Open(nil, sealed[32:44], sealed[44:], []byte(clientID))
	if err != nil {
		return nil, errors.New("sealed item does not open: sealed for another device or altered")
	}
	return plain, nil
}

// itemAEAD derives the item key from own's agreement with peer, salted with the item's
// ephemeral public key and the node's public key.
func itemAEAD(own *ecdh.PrivateKey, peer, eph, node *ecdh.PublicKey, clientID string) (cipher.AEAD, error) {
	secret, err := own.ECDH(peer)
	if err != nil {
		return nil, err
	}
	salt := append(append([]byte(nil), eph.Bytes()...), node.Bytes()...)
	key, err := hkdf.Key(sha256.New, secret, salt, itemInfo+"\x00"+clientID, 32)
	if err != nil {
		return nil, err
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}
