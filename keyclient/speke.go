package keyclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/drmorigin/drmorigin/drm"
	"github.com/drmorigin/drmorigin/drm/cpix"
)

// spekeVersion is the X-Speke-Version of every request (SPEKE v2.0).
const spekeVersion = "2.0"

// keyServerFailure wraps a key server failure in ErrKeyServer.
// The URL is named without credentials or query, which may hold secrets.
func keyServerFailure(ks *KeyServer, format string, a ...any) error {
	name := ks.URL
	if u, err := url.Parse(ks.URL); err == nil {
		name = u.Scheme + "://" + u.Host + u.Path
	}
	return fmt.Errorf("%w %s: %s", ErrKeyServer, name, fmt.Sprintf(format, a...))
}

// keysFromServer asks the policy's key server for the keys of a locator
// created without keys: one SPEKE v2.0 request (a CPIX document naming
// the content, a KID with its commonEncryptionScheme per encryption the
// policy enables, the DRM systems to signal and the usage rules), its
// answer verified to give a value to every key and signalling to every
// DRM system asked for, within the key server's timeout. Any failure is
// an ErrKeyServer; nothing is stored before this returns.
func (s *Service) keysFromServer(ctx context.Context, in *locatorInput, pol *StreamingPolicy) error {
	ks := pol.KeyServer
	contentID := strings.ReplaceAll(ks.ContentID, "{AlternativeMediaId}", in.loc.Name)
	if contentID == "" {
		contentID = in.loc.Name
	}
	req := &cpix.Document{ContentID: contentID}
	var types []KeyType
	for _, c := range []struct {
		t      KeyType
		scheme string
		enc    *CommonEncryption
	}{{KeyTypeCENC, "cenc", pol.CommonEncryptionCenc}, {KeyTypeCBCS, "cbcs", pol.CommonEncryptionCbcs}} {
		if c.enc == nil {
			continue
		}
		kid, err := randomKID()
		if err != nil {
			return err
		}
		types = append(types, c.t)
		req.Keys = append(req.Keys, cpix.ContentKey{KID: kid, Scheme: c.scheme})
		for _, id := range signalledSystems(&c.enc.DRM) {
			req.DRMSystems = append(req.DRMSystems, cpix.DRMSystem{SystemID: id, KID: kid})
		}
		req.UsageRules = append(req.UsageRules, UsageRules(kid, nil)...)
	}
	body, err := cpix.WriteRequest(req)
	if err != nil {
		return err
	}
	answer, err := s.postSPEKE(ctx, ks, body)
	if err != nil {
		return err
	}
	opts := cpix.ReadOptions{AllowClear: true}
	if bytes.Contains(answer, []byte("DeliveryDataList")) {
		if opts.Key, opts.Certificate, err = s.CPIXIdentity(ctx); err != nil {
			return err
		}
	}
	doc, err := cpix.Read(answer, opts)
	if err != nil {
		return keyServerFailure(ks, "%v", err)
	}
	got := &cpix.Document{ContentID: doc.ContentID, UsageRules: doc.UsageRules}
	for _, want := range req.Keys {
		i := slices.IndexFunc(doc.Keys, func(k cpix.ContentKey) bool { return k.KID == want.KID })
		if i < 0 {
			return keyServerFailure(ks, "the answer has no ContentKey %s that the request asked for", KID(want.KID))
		}
		k := doc.Keys[i]
		k.Scheme = want.Scheme // the key is for what it was asked for
		got.Keys = append(got.Keys, k)
	}
	for _, want := range req.DRMSystems {
		i := slices.IndexFunc(doc.DRMSystems, func(d cpix.DRMSystem) bool { return d.KID == want.KID && d.SystemID == want.SystemID })
		if i < 0 {
			return keyServerFailure(ks, "the answer has no DRMSystem %s for kid %s", KID(want.SystemID), KID(want.KID))
		}
		d := doc.DRMSystems[i]
		if d.SystemID == drm.FairPlaySystemID && len(d.HLSMedia) == 0 || d.SystemID != drm.FairPlaySystemID && len(d.PSSH) == 0 {
			return keyServerFailure(ks, "the answer's DRMSystem %s for kid %s has no signalling (PSSH, or HLSSignalingData for FairPlay)",
				KID(want.SystemID), KID(want.KID))
		}
		got.DRMSystems = append(got.DRMSystems, d)
	}
	if err := keysFromDocument(in, got, pol, types); err != nil {
		return keyServerFailure(ks, "%v", err)
	}
	in.fromKeyServer = true
	return nil
}

// signalledSystems are the DRM systems a key server signals for an
// encryption: those of the policy that need a license service (ClearKey is
// this origin's own delivery and gets no system).
func signalledSystems(d *DRM) []drm.SystemID {
	var out []drm.SystemID
	if d.Widevine != nil {
		out = append(out, drm.WidevineSystemID)
	}
	if d.PlayReady != nil {
		out = append(out, drm.PlayReadySystemID)
	}
	if d.FairPlay != nil {
		out = append(out, drm.FairPlaySystemID)
	}
	return out
}

// postSPEKE sends a SPEKE v2.0 request and returns the answer's body.
func (s *Service) postSPEKE(ctx context.Context, ks *KeyServer, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, ks.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ks.URL, bytes.NewReader(body))
	if err != nil {
		return nil, keyServerFailure(ks, "%v", err)
	}
	req.Header.Set("Content-Type", "application/xml")
	req.Header.Set("X-Speke-Version", spekeVersion)
	if a := ks.Authentication; a != nil && a.Type == "header" {
		req.Header.Set(a.Name, a.Value)
	}
	client := s.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return nil, keyServerFailure(ks, "no answer within %s", ks.timeout())
		}
		return nil, keyServerFailure(ks, "%v", redactURLError(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, cpix.MaxDocumentSize+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, keyServerFailure(ks, "no whole answer within %s", ks.timeout())
		}
		return nil, keyServerFailure(ks, "reading the answer: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, keyServerFailure(ks, "answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return b, nil
}

// redactURLError drops the URL that *url.Error repeats (the message
// names the key server once already).
func redactURLError(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		return ue.Unwrap()
	}
	return err
}
