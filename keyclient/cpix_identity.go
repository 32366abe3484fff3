package keyclient

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/drmorigin/drmorigin/drm/cpix"
)

// cpixIdentityAD binds the wrapped private key to its use.
const cpixIdentityAD = "drmorigin-cpix-recipient-key"

// identityValidity is how long the origin's self-signed recipient
// certificate is valid: it names a key, it does not vouch for anything,
// so there is no reason to make operators re-register it often.
const identityValidity = 20 * 365 * 24 * time.Hour

// storedIdentity is the store's form of the origin's CPIX recipient: the
// certificate in the clear, the PKCS #8 private key wrapped under the KEK
// like a content key value.
type storedIdentity struct {
	Certificate []byte `json:"certificate"` // DER
	WrappedKey  []byte `json:"wrappedKey"`
	KEKID       string `json:"kekId"`
}

// cpixIdentity is the unwrapped identity, cached on the Service.
type cpixIdentity struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

// CPIXIdentity returns drmorigin's own CPIX recipient: the key pair that
// documents imported into locators are encrypted for. It is made once per
// store (the first replica to store one wins) and kept, its private key
// wrapped under the KEK.
func (s *Service) CPIXIdentity(ctx context.Context) (*rsa.PrivateKey, *x509.Certificate, error) {
	s.identityMu.Lock()
	defer s.identityMu.Unlock()
	if s.identity != nil {
		return s.identity.key, s.identity.cert, nil
	}
	doc, err := s.store.CPIXIdentity(ctx)
	if errors.Is(err, ErrNotFound) {
		doc, err = s.newCPIXIdentity(ctx)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cpix recipient identity: %w", err)
	}
	var st storedIdentity
	if err := json.Unmarshal(doc, &st); err != nil {
		return nil, nil, fmt.Errorf("stored cpix recipient identity: %w", err)
	}
	der, err := s.kek.UnwrapBlob(cpixIdentityAD, st.WrappedKey, st.KEKID)
	if err != nil {
		return nil, nil, fmt.Errorf("cpix recipient private key: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	clear(der)
	if err != nil {
		return nil, nil, fmt.Errorf("stored cpix recipient private key: %w", err)
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, nil, errors.New("stored cpix recipient private key is not RSA")
	}
	cert, err := x509.ParseCertificate(st.Certificate)
	if err != nil {
		return nil, nil, fmt.Errorf("stored cpix recipient certificate: %w", err)
	}
	s.identity = &cpixIdentity{key: key, cert: cert}
	return key, cert, nil
}

// newCPIXIdentity makes a key pair and stores it unless another process
// stored one first; it returns the stored document.
func (s *Service) newCPIXIdentity(ctx context.Context) ([]byte, error) {
	if err := s.CheckKEK(ctx); err != nil {
		return nil, err
	}
	key, cert, err := cpix.NewIdentity("drmorigin CPIX recipient", identityValidity)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	wrapped, kekID, err := s.kek.WrapBlob(cpixIdentityAD, der)
	clear(der)
	if err != nil {
		return nil, err
	}
	doc, err := json.Marshal(storedIdentity{Certificate: cert.Raw, WrappedKey: wrapped, KEKID: kekID})
	if err != nil {
		return nil, err
	}
	return s.store.AddCPIXIdentity(ctx, doc)
}

// CPIXRecipientPEM returns the origin's recipient certificate as PEM.
func (s *Service) CPIXRecipientPEM(ctx context.Context) ([]byte, error) {
	_, cert, err := s.CPIXIdentity(ctx)
	if err != nil {
		return nil, err
	}
	return cpix.CertificatePEM(cert), nil
}

// rewrapCPIXIdentity wraps the identity's private key again under the
// current KEK (part of Rewrap), unless it is under it already or there is
// none.
func (s *Service) rewrapCPIXIdentity(ctx context.Context) error {
	for range maxWriteAttempts {
		doc, err := s.store.CPIXIdentity(ctx)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("cpix recipient identity: %w", err)
		}
		var st storedIdentity
		if err := json.Unmarshal(doc, &st); err != nil {
			return fmt.Errorf("stored cpix recipient identity: %w", err)
		}
		if st.KEKID == s.kek.ID() {
			return nil
		}
		der, err := s.kek.UnwrapBlob(cpixIdentityAD, st.WrappedKey, st.KEKID)
		if err != nil {
			return fmt.Errorf("cpix recipient private key: %w", err)
		}
		st.WrappedKey, st.KEKID, err = s.kek.WrapBlob(cpixIdentityAD, der)
		clear(der)
		if err != nil {
			return err
		}
		next, err := json.Marshal(st)
		if err != nil {
			return err
		}
		err = s.store.ReplaceCPIXIdentity(ctx, doc, next)
		if errors.Is(err, errStale) {
			continue
		}
		return err
	}
	return fmt.Errorf("cpix recipient identity: concurrent writes, retry: %w", ErrConflict)
}
