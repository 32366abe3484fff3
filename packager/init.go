package packager

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"
)

// ftypCMAF is the file type box of a CMAF header: major brand cmfc,
// compatible iso6, cmfc and dash.
var ftypCMAF = []byte{
	0, 0, 0, 28, 'f', 't', 'y', 'p', 'c', 'm', 'f', 'c', 0, 0, 0, 0,
	'i', 's', 'o', '6', 'c', 'm', 'f', 'c', 'd', 'a', 's', 'h',
}

// AppendInit appends the track's initialization segment in the form out,
// protected as p says, to buf. Clear (p nil, or SchemeAES128, whose init
// section stays clear: urls.md): for CMAF a CMAF ftyp and the source moov,
// for Smooth the source ftyp and moov. SchemeCENC, SchemeCBCS and
// SchemePIFF: the protected init of appendInitProtected, built once per
// (track, output, protection) and then copied from a cache. TS has no
// init segment.
func (t *Track) AppendInit(buf []byte, out Output, p *Protection) ([]byte, error) {
	if out.form == formTS {
		return buf, fmt.Errorf("packager: %v output has no initialization segment", out)
	}
	if err := checkProtection(out, p); err != nil {
		return buf, err
	}
	switch p.scheme() {
	case SchemeNone, SchemeAES128:
		if out.form == formCMAF {
			buf = append(buf, ftypCMAF...)
			return append(buf, t.Init[t.ftypLen:]...), nil
		}
		return append(buf, t.Init...), nil
	}
	var civ [16]byte // the bytes depend on it for cbcs only
	if p.Scheme == SchemeCBCS {
		civ = t.constantIV(p)
	}
	key := initKey(out, p, civ)
	if b, ok := t.lazy.inits.get(key); ok {
		return append(buf, b...), nil
	}
	start := len(buf)
	buf, err := t.appendInitProtected(buf, out, p)
	if err != nil {
		return buf, err
	}
	t.lazy.inits.put(key, buf[start:])
	return buf, nil
}

// initKey identifies a protected init segment: the output form and
// everything of p the bytes depend on (scheme, KID, cbcs constant IV, the
// pssh boxes), hashed.
func initKey(out Output, p *Protection, civ [16]byte) [32]byte {
	h := sha256.New()
	var b [8]byte
	b[0], b[1] = byte(out.form), byte(p.Scheme)
	h.Write(b[:2])
	h.Write(p.KID[:])
	h.Write(civ[:])
	for _, ps := range p.PSSH {
		binary.BigEndian.PutUint64(b[:], uint64(len(ps)))
		h.Write(b[:])
		h.Write(ps)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// maxInits bounds the protected init segments cached per track: a few
// per (output, scheme, key) in use; past it the cache starts over.
const maxInits = 64

// initCache holds a track's protected init segments.
type initCache struct {
	mu sync.Mutex
	m  map[[32]byte][]byte
}

func (c *initCache) get(k [32]byte) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[k]
	return b, ok
}

func (c *initCache) put(k [32]byte, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxInits {
		c.m = make(map[[32]byte][]byte)
	}
	c.m[k] = append([]byte(nil), b...)
}
