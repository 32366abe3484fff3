package main

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/origin/token"
)

// tokenCmd mints a test token for a content key policy, as a test STS
// would: issuer, audience and required claims come from the policy; a
// symmetric key comes from the store (through the management API), an
// asymmetric one from a private key file.
func tokenCmd() *cobra.Command {
	var (
		policy, option, kid, keyFile, alg string
		claims                            []string
		lifetime                          time.Duration
		maxUses                           int64
		swt                               bool
	)
	cmd := &cobra.Command{
		Use:   "token --policy NAME",
		Short: "Mint a test JWT or SWT for a content key policy",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, tok, err := cliConfig(cmd)
			if err != nil {
				return err
			}
			if kid != "" {
				if _, err := keyclient.ParseKID(kid); err != nil {
					return fmt.Errorf("--kid %q: not a key ID (a GUID such as 5c6ee9a1-4c7d-4d3e-9d85-2a8a7f7d0b11)", kid)
				}
			}
			var p keyclient.ContentKeyPolicy
			if err := adminCall(cmd.Context(), c.AdminURL, tok, http.MethodGet, "/api/v1/contentKeyPolicies/"+url.PathEscape(policy), nil, &p); err != nil {
				var ae *apiError
				if errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Target == "name") {
					return fmt.Errorf("--policy %q: no content key policy of that name (%d %s)", policy, ae.Status, ae.Code)
				}
				return err
			}
			r, err := tokenRestriction(&p, option)
			if err != nil {
				return err
			}
			// The policy says which kind of token its restriction takes;
			// a flag that asks for the other kind is refused, not obeyed
			// (key delivery would refuse the token).
			kind := "JWT"
			if r.TokenType == keyclient.TokenSWT {
				kind = "SWT"
			}
			switch {
			case swt && r.TokenType != keyclient.TokenSWT:
				return fmt.Errorf("--swt: content key policy %s (option %s) takes JWTs (tokenType %q), not SWTs; leave out --swt",
					p.Name, optionName(r, &p), orDash(string(r.TokenType)))
			case r.TokenType == keyclient.TokenSWT && keyFile != "":
				return fmt.Errorf("--key %s: content key policy %s takes SWTs, which are signed with its symmetric key; leave out --key", keyFile, p.Name)
			case r.TokenType == keyclient.TokenSWT && alg != "":
				return fmt.Errorf("--alg %s: content key policy %s takes SWTs, which are signed with HMAC-SHA256 only; leave out --alg", alg, p.Name)
			}
			swt = kind == "SWT"
			o := token.MintOptions{Issuer: r.Issuer, Audience: r.Audience, Lifetime: lifetime, MaxUses: maxUses,
				ContentKeyID: kid, Claims: map[string]any{}}
			for _, rc := range r.RequiredClaims {
				if rc.Value != nil {
					o.Claims[rc.Type] = *rc.Value
				} else if rc.Type != token.ClaimContentKeyID {
					o.Claims[rc.Type] = "1"
				}
			}
			for _, kv := range claims {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return fmt.Errorf("--claim %q: want name=value", kv)
				}
				o.Claims[k] = v
			}
			var out string
			switch {
			case swt:
				key, err := symmetricKey(r)
				if err != nil {
					return err
				}
				out, err = token.MintSWT(key, o)
				if err != nil {
					return err
				}
			case keyFile != "":
				signer, err := readPrivateKey(keyFile)
				if err != nil {
					return err
				}
				if out, err = token.MintJWT(signer, alg, o); err != nil {
					return err
				}
			default:
				key, err := symmetricKey(r)
				if err != nil {
					return err
				}
				if out, err = token.MintJWT(key, alg, o); err != nil {
					return err
				}
			}
			fmt.Fprintln(cmd.OutOrStdout(), out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&policy, "policy", "", "content key policy name (required)")
	f.StringVar(&option, "option", "", "policy option name (default: the first token-restricted option)")
	f.StringVar(&kid, "kid", "", "content key identifier claim (a KID GUID)")
	f.StringVar(&keyFile, "key", "", "private key PEM (RSA or EC) for asymmetric policies")
	f.StringVar(&alg, "alg", "", "JWS algorithm (default: HS256, RS256 or ES256/384/512 by key)")
	f.StringArrayVar(&claims, "claim", nil, "extra claim name=value (repeatable)")
	f.DurationVar(&lifetime, "lifetime", time.Hour, "token lifetime")
	f.Int64Var(&maxUses, "max-uses", 0, "urn:microsoft:azure:mediaservices:maxuses (0: none)")
	f.BoolVar(&swt, "swt", false, "mint an SWT (the policy's tokenType decides; refused for a JWT policy)")
	_ = cmd.MarkFlagRequired("policy")
	return cmd
}

func tokenRestriction(p *keyclient.ContentKeyPolicy, option string) (*keyclient.Restriction, error) {
	var names []string
	for i := range p.Options {
		o := &p.Options[i]
		if o.Restriction.Type == keyclient.RestrictionToken {
			names = append(names, fmt.Sprintf("%q", o.Name))
		}
		if option != "" && o.Name != option {
			continue
		}
		if o.Restriction.Type == keyclient.RestrictionToken {
			return &o.Restriction, nil
		}
	}
	if option != "" {
		if len(names) == 0 {
			return nil, fmt.Errorf("--option %q: content key policy %s has no token-restricted option (its restrictions are open: no token is needed)", option, p.Name)
		}
		return nil, fmt.Errorf("--option %q: content key policy %s has no token-restricted option of that name (it has %s)", option, p.Name, strings.Join(names, ", "))
	}
	return nil, fmt.Errorf("--policy %q: content key policy %s has no token-restricted option (its restrictions are open: no token is needed)", p.Name, p.Name)
}

// optionName names the option of p whose restriction is r, for messages.
func optionName(r *keyclient.Restriction, p *keyclient.ContentKeyPolicy) string {
	for i := range p.Options {
		if &p.Options[i].Restriction == r {
			return orDash(p.Options[i].Name)
		}
	}
	return "-"
}

func symmetricKey(r *keyclient.Restriction) ([]byte, error) {
	if r.PrimaryVerificationKey != nil && r.PrimaryVerificationKey.Type == keyclient.VerificationSymmetric {
		return r.PrimaryVerificationKey.Value, nil
	}
	for _, k := range r.AlternateVerificationKeys {
		if k.Type == keyclient.VerificationSymmetric {
			return k.Value, nil
		}
	}
	return nil, errors.New("the policy has no symmetric key: give --key with the private key of an asymmetric one")
}

func readPrivateKey(file string) (crypto.Signer, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%s: not PEM", file)
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	return nil, fmt.Errorf("%s: not an RSA or EC private key (PKCS#8, PKCS#1 or SEC 1)", file)
}
