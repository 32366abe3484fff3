// Package token verifies the tokens that key delivery asks for: JWTs (RFC
// 7519, compact JWS only) and SWTs, against a content key policy option's
// [keyclient.Restriction]. It owns the signature and claim rules of
// keys.md ("Key delivery"), the OpenID Connect discovery and JWKS cache
// with its rate-limited refetch, and the minting helpers behind the
// `drmorigin token` command.
//
// It imports keyclient (for the policy types) and jwx (for JWS and JWK);
// it must never import fasthttp or origin, so that every rule can be tested
// without a server. It neither logs nor counts replays: the caller compares
// [Claims.ContentKeyID] with the requested KID and counts [Claims.ID]
// against [Claims.MaxUses] in the store.
//
// No error built here carries a token, a key or a claim value taken from
// the token: reasons are fixed strings, safe to log.
package token
