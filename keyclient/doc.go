// Package keyclient owns the control-plane resource model (content key
// policies, streaming policies, streaming locators and their content keys),
// its validation, the two stores (Redis and an embedded single-file store),
// wrapping of content keys under the key-encryption key, and the cached
// resolver that the origin asks for a locator's policy and keys.
//
// Only I/O takes a context.Context. keyclient knows nothing of HTTP.
package keyclient
