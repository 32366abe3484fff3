package keyclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/drmorigin/drmorigin/drm/cpix"
)

// CPIXRecipient is a registered recipient of CPIX exports: a name and an
// X.509 certificate holding an RSA public key, as PEM.
type CPIXRecipient struct {
	Name        string `json:"name"`
	Certificate string `json:"certificate"`
}

// decodeCPIXRecipient strictly decodes a recipient body; the certificate
// must be one PEM certificate with an RSA key.
func decodeCPIXRecipient(body []byte) (*CPIXRecipient, error) {
	var d dec
	m := d.root(body, "name", "certificate")
	r := &CPIXRecipient{}
	r.Name, _ = d.str(m, "", "name")
	r.Certificate = d.reqStr(m, "", "certificate")
	if d.err != nil {
		return nil, d.err
	}
	c, err := cpix.ParseCertificatePEM([]byte(r.Certificate))
	if err != nil {
		return nil, invalid("certificate", "%v", err)
	}
	r.Certificate = string(cpix.CertificatePEM(c)) // one normal form
	return r, nil
}

// CPIXRecipients returns the registered recipients named, in order: the
// recipients of an export. No name, an invalid name or an unknown one is a
// ValidationError on "recipient".
func (s *Service) CPIXRecipients(ctx context.Context, names []string) ([]cpix.Recipient, error) {
	if len(names) == 0 {
		return nil, invalid("recipient", "name at least one CPIX recipient (?recipient=NAME): keys are only exported encrypted for a recipient")
	}
	out := make([]cpix.Recipient, 0, len(names))
	for _, n := range names {
		if !validName(n) {
			return nil, invalid("recipient", "%q is not a valid recipient name", n)
		}
		doc, err := s.store.Get(ctx, KindCPIXRecipients, n)
		if errors.Is(err, ErrNotFound) {
			return nil, invalid("recipient", "no CPIX recipient named %q (register it with PUT /api/v1/cpixRecipients/%s)", n, n)
		}
		if err != nil {
			return nil, fmt.Errorf("cpix recipient %s: %w", n, err)
		}
		var r CPIXRecipient
		if err := json.Unmarshal(doc, &r); err != nil {
			return nil, fmt.Errorf("stored cpix recipient %s: %w", n, err)
		}
		c, err := cpix.ParseCertificatePEM([]byte(r.Certificate))
		if err != nil {
			return nil, fmt.Errorf("stored cpix recipient %s: %w", n, err)
		}
		out = append(out, cpix.Recipient{Name: n, Certificate: c})
	}
	return out, nil
}
