package testservers

import "github.com/drmorigin/drmorigin/storage/storagetest"

// Conformance is the proxy as the storage conformance suites drive it
// (storagetest.Server): the object store adapters' tests run those suites
// on MinIO and Azurite through it.
func (p *Proxy) Conformance() storagetest.Server { return conformance{p} }

type conformance struct{ p *Proxy }

func (c conformance) ResetCounts()         { c.p.ResetCounts() }
func (c conformance) SetFail(status int)   { c.p.SetFail(status) }
func (c conformance) SetShortBody(on bool) { c.p.SetShortBody(on) }

func (c conformance) Requests() []storagetest.Request {
	var out []storagetest.Request
	for _, r := range c.p.Requests() {
		out = append(out, storagetest.Request{Method: r.Method, Path: r.Path, Range: r.Range})
	}
	return out
}
