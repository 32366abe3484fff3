package origin

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"

	"github.com/drmorigin/drmorigin/crypto"
	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/manifest"
	"github.com/drmorigin/drmorigin/packager"
)

// handleStream is the streaming listener's router.
func (s *Server) handleStream(ctx *fasthttp.RequestCtx) {
	if !checkLimits(ctx) {
		return
	}
	path := ctx.Path()
	switch string(path) { // no allocation: the compiler compares in place
	case "/healthz":
		ctx.SetContentTypeBytes(ctText)
		ctx.SetBodyString("ok\n")
		return
	case "/readyz":
		s.handleReady(ctx)
		return
	}
	if ctx.IsGet() && s.servePlayer(ctx, b2s(path)) {
		return
	}
	if s.handleKeys(ctx, b2s(path)) {
		return
	}
	if ctx.IsOptions() {
		preflight(ctx)
		return
	}
	setCORS(ctx)
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Response.Header.Set("Allow", "GET, HEAD, OPTIONS")
		plainError(ctx, fasthttp.StatusMethodNotAllowed, "method not allowed")
		return
	}
	req, err := ParseStreamURL(b2s(path))
	if err != nil {
		s.fail(ctx, err)
		return
	}
	st, err := s.prepare(&req)
	if err != nil {
		s.fail(ctx, err)
		return
	}
	switch req.Kind {
	case KindManifest, KindMediaPlaylist:
		err = s.serveManifest(ctx, &req, st)
	case KindInit:
		err = s.serveInit(ctx, &req, st)
	default:
		err = s.serveSegment(ctx, &req, st)
	}
	if err != nil {
		s.fail(ctx, err)
	}
}

func (s *Server) handleReady(ctx *fasthttp.RequestCtx) {
	ctx.SetContentTypeBytes(ctText)
	if s.Ready != nil {
		c, cancel := context.WithTimeout(context.Background(), s.Config.StoreTimeout)
		err := s.Ready(c)
		cancel()
		if err != nil {
			ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
			ctx.SetBodyString("not ready\n")
			return
		}
	}
	ctx.SetBodyString("ready\n")
}

// streamState is what one streaming request resolved to.
type streamState struct {
	resolved *keyclient.Resolved
	asset    *packager.Asset
	enc      Encryption // the encryption to apply (EncryptionUnset: clear)
	format   Format
}

// prepare resolves the locator, checks its time window, finds its asset and
// decides the encryption against its streaming policy (urls.md, "Which tag
// applies"). Every failure is an error for fail: nothing is served before
// the encryption is decided.
func (s *Server) prepare(r *StreamRequest) (streamState, error) {
	var st streamState
	// The resolver bounds its own store lookups on a cache miss and does no
	// round trip on a hit, so the request needs no deadline of its own.
	res, err := s.Resolver.Resolve(context.Background(), r.Locator)
	if err != nil {
		return st, err
	}
	if !res.Active(s.now()) {
		return st, errNotFound
	}
	asset, err := s.Assets.Asset(res.Locator.AssetName)
	if err != nil {
		return st, err
	}
	if !strings.EqualFold(asset.ManifestName, r.Name) {
		return st, errNotFound
	}
	enc, err := selectEncryption(r, res.Policy)
	if err != nil {
		return st, err
	}
	st.resolved, st.asset, st.enc, st.format = res, asset, enc, r.Format
	return st, nil
}

// selectEncryption applies urls.md's rules: a tag must be enabled by the
// policy for the format's protocol (403); without a tag, the one scheme the
// policy enables for the protocol, else clear if enabled, else 400 naming the
// tags to choose from.
func selectEncryption(r *StreamRequest, p *keyclient.StreamingPolicy) (Encryption, error) {
	schemes := p.Schemes(keyclient.Protocol(r.Format.Protocol()))
	if r.Encryption != EncryptionUnset {
		want := keyclient.Scheme(r.Encryption.Scheme())
		for _, sc := range schemes {
			if sc == want {
				return r.Encryption, nil
			}
		}
		return 0, httpErrorf(fasthttp.StatusForbidden, "encryption=%s is not enabled by this locator's streaming policy for %s",
			r.Encryption, r.Format.Protocol())
	}
	var usable []Encryption
	clear := false
	for _, sc := range schemes {
		if sc == keyclient.SchemeClear {
			clear = true
			continue
		}
		if e, ok := r.Format.TagFor(string(sc)); ok {
			usable = append(usable, e)
		}
	}
	switch {
	case len(usable) == 1 && !clear:
		return usable[0], nil
	case clear:
		return EncryptionUnset, nil
	case len(usable) == 0:
		return 0, httpErrorf(fasthttp.StatusForbidden, "this locator's streaming policy enables nothing for %s that %s can carry",
			r.Format.Protocol(), r.Format)
	}
	names := make([]string, len(usable))
	for i, e := range usable {
		names[i] = "encryption=" + e.String()
	}
	return 0, httpErrorf(fasthttp.StatusBadRequest, "this locator streams %s with several schemes: choose one of %s",
		r.Format.Protocol(), strings.Join(names, ", "))
}

// available is the fail-closed gate in front of every manifest and segment:
// a (format, encryption) pair this build does not implement is refused, so
// an encrypted request never gets clear media.
func available(f Format, enc Encryption) error {
	if implemented(f, enc) {
		return nil
	}
	return httpErrorf(fasthttp.StatusForbidden, "encryption=%s is not available on this origin with format=%s", enc, f)
}

func outputOf(f Format) packager.Output {
	if f == FormatSmooth {
		return packager.Smooth
	}
	return packager.CMAF
}

func (s *Server) track(r *StreamRequest, st streamState) (*packager.Track, error) {
	t := st.asset.Track(r.Track, r.Bitrate)
	if t == nil {
		return nil, errNotFound
	}
	return t, nil
}

func contentTypeOf(t *packager.Track) []byte {
	if t.Kind == packager.Audio {
		return ctAudioMP4
	}
	return ctVideoMP4
}

func (s *Server) serveInit(ctx *fasthttp.RequestCtx, r *StreamRequest, st streamState) error {
	if err := available(r.Format, st.enc); err != nil {
		return err
	}
	out := outputOf(r.Format)
	t, err := s.track(r, st)
	if err != nil {
		return err
	}
	b := ctx.Response.SwapBody(nil)
	if st.enc == EncryptionUnset || st.enc == EncryptionCBC {
		// HLS AES-128 leaves the EXT-X-MAP section clear (urls.md).
		b, err = t.AppendInit(b[:0], out)
	} else {
		var e *packager.Encryption
		if e, err = s.encryption(ctx, st, t, true); err == nil {
			b, err = t.AppendInitEncrypted(b[:0], out, e)
		}
	}
	if err != nil {
		ctx.Response.SwapBody(b[:0])
		return err
	}
	ctx.Response.SwapBody(b)
	s.segmentHeaders(ctx, r, t, -1)
	return nil
}

func (s *Server) serveSegment(ctx *fasthttp.RequestCtx, r *StreamRequest, st streamState) error {
	if err := available(r.Format, st.enc); err != nil {
		return err
	}
	out := outputOf(r.Format)
	t, err := s.track(r, st)
	if err != nil {
		return err
	}
	i, ok := t.FragmentAt(r.Time)
	if !ok {
		return errNotFound
	}
	if st.enc == EncryptionUnset && !r.Format.IsTS() && len(ctx.Request.Header.PeekBytes(hdrRange)) == 0 {
		// Clear fMP4: the sample data goes out from the page cache. Range
		// requests (rare) take the buffered path below.
		if ok, err := s.serveMappedSegment(ctx, r, t, i, out); ok || err != nil {
			return err
		}
	}
	b := ctx.Response.SwapBody(nil)
	switch {
	case r.Format.IsTS():
		b, err = s.appendTSSegment(b[:0], r, st, t, i)
	case st.enc == EncryptionUnset:
		b, err = t.AppendSegment(b[:0], i, out)
	case st.enc == EncryptionCBC:
		b, err = s.appendCBCSegment(b[:0], st, t, i, out)
	default:
		e := encryptionPool.Get().(*packager.Encryption)
		if err = s.fillEncryption(e, ctx, st, t, false); err == nil {
			sc := packager.AcquireScratch()
			b, err = t.AppendSegmentEncrypted(b[:0], i, out, e, sc)
			packager.ReleaseScratch(sc)
		}
		*e = packager.Encryption{}
		encryptionPool.Put(e)
	}
	if err != nil {
		// Fail closed: whatever was written (clear bytes included) is
		// dropped before the error answer.
		ctx.Response.SwapBody(b[:0])
		return err
	}
	ctx.Response.SwapBody(b)
	s.segmentHeaders(ctx, r, t, i)
	return nil
}

// defaultAudio is the audio that m3u8-aapl-v3 muxes into video segments:
// the first audio track in server-manifest order (urls.md, "TS formats").
func defaultAudio(a *packager.Asset) *packager.Track {
	for _, t := range a.Tracks {
		if t.Kind == packager.Audio {
			return t
		}
	}
	return nil
}

// appendTSSegment cuts fragment i of t into an MPEG-2 TS segment: alone
// (m3u8-aapl), or with the default audio muxed in (m3u8-aapl-v3 video);
// SAMPLE-AES (cbcs-aapl) inside the muxer, AES-128 (cbc) over the whole
// segment, both under the derived segment IV the playlist states.
func (s *Server) appendTSSegment(b []byte, r *StreamRequest, st streamState, t *packager.Track, i int) ([]byte, error) {
	var audio *packager.Track
	if r.Format == FormatM3U8AAPLV3 {
		if t.Kind == packager.Audio && hasVideo(st.asset) {
			return b, errNotFound // v3 has no audio playlists when there is video
		}
		if t.Kind == packager.Video {
			audio = defaultAudio(st.asset)
		}
	}
	var o packager.TSOptions
	var ck *crypto.Key
	if st.enc != EncryptionUnset {
		k, err := trackKey(st.resolved, st.enc, t)
		if err != nil {
			return b, err
		}
		if ck, err = s.keys.get(k); err != nil {
			return b, err
		}
		o.IV = ck.SegmentIV(st.resolved.Locator.AssetName, filepath.Base(t.Path), t.Fragments[i].Time)
		if st.enc == EncryptionCBCSAAPL {
			o.Encrypter = ck
		}
	}
	sc := packager.AcquireTSScratch()
	b, err := t.AppendSegmentTS(b, i, audio, o, sc)
	packager.ReleaseTSScratch(sc)
	if err != nil {
		if errors.Is(err, packager.ErrUnsupported) {
			err = &notInTSError{enc: st.enc, err: err}
		}
		return b, err
	}
	if st.enc == EncryptionCBC {
		b = ck.AppendCBCSegment(b[:0], b, o.IV)
	}
	return b, nil
}

func hasVideo(a *packager.Asset) bool {
	for _, t := range a.Tracks {
		if t.Kind == packager.Video {
			return true
		}
	}
	return false
}

// appendCBCSegment is HLS AES-128: the clear segment, then the whole of it
// encrypted in place with AES-128-CBC and PKCS#7 under the derived segment
// IV that the playlist states.
func (s *Server) appendCBCSegment(b []byte, st streamState, t *packager.Track, i int, out packager.Output) ([]byte, error) {
	k, err := trackKey(st.resolved, EncryptionCBC, t)
	if err != nil {
		return b, err
	}
	ck, err := s.keys.get(k)
	if err != nil {
		return b, err
	}
	b, err = t.AppendSegment(b, i, out)
	if err != nil {
		return b, err
	}
	iv := ck.SegmentIV(st.resolved.Locator.AssetName, filepath.Base(t.Path), t.Fragments[i].Time)
	return ck.AppendCBCSegment(b[:0], b, iv), nil
}

// encryptionPool recycles the per-request packager.Encryption of media
// segments, so the segment path allocates nothing for it.
var encryptionPool = sync.Pool{New: func() any { return new(packager.Encryption) }}

// encryption is the packager's view of how track t is encrypted for this
// request; withPSSH adds the pssh boxes that init segments carry.
func (s *Server) encryption(ctx *fasthttp.RequestCtx, st streamState, t *packager.Track, withPSSH bool) (*packager.Encryption, error) {
	e := new(packager.Encryption)
	return e, s.fillEncryption(e, ctx, st, t, withPSSH)
}

// fillEncryption fills e for track t of this request.
func (s *Server) fillEncryption(e *packager.Encryption, ctx *fasthttp.RequestCtx, st streamState, t *packager.Track, withPSSH bool) error {
	k, err := trackKey(st.resolved, st.enc, t)
	if err != nil {
		return err
	}
	ck, err := s.keys.get(k)
	if err != nil {
		return err
	}
	*e = packager.Encryption{KID: k.KID, Key: ck, Asset: st.resolved.Locator.AssetName}
	switch st.enc {
	case EncryptionCENC:
		e.Scheme = packager.SchemeCENC
		if outputOf(st.format) == packager.Smooth {
			e.Scheme = packager.SchemePIFF
		}
	case EncryptionPIFF:
		e.Scheme = packager.SchemePIFF
	default:
		e.Scheme = packager.SchemeCBCS
	}
	if withPSSH {
		sig, err := signalFor(st.resolved.Policy, st.enc, k, st.resolved.Locator.Name, s.baseURL(ctx))
		if err != nil {
			return err
		}
		e.PSSH = sig.pssh
	}
	return nil
}

// segmentHeaders sets the headers of an init (i < 0) or media segment whose
// body is in place. The ETag is a hash of the request path and the source
// bytes' identity (file, range), so every replica with the same files gives
// the same tag without hashing the body.
func (s *Server) segmentHeaders(ctx *fasthttp.RequestCtx, r *StreamRequest, t *packager.Track, i int) {
	h := uint64(fnvOffset)
	h = fnv64a(h, ctx.Path())
	h = fnv64aUint(h, uint64(len(t.Init)))
	if i >= 0 {
		f := &t.Fragments[i]
		h = fnv64aUint(h, uint64(f.Offset))
		h = fnv64aUint(h, uint64(f.Size))
	}
	var tag [18]byte
	if r.Format.IsTS() && i >= 0 {
		ctx.SetContentTypeBytes(ctTS)
	} else {
		ctx.SetContentTypeBytes(contentTypeOf(t))
	}
	ctx.Response.Header.SetBytesKV(hdrCacheControl, valImmutable)
	serveBody(ctx, appendETag(tag[:0], h), true, true)
}

func (s *Server) serveManifest(ctx *fasthttp.RequestCtx, r *StreamRequest, st streamState) error {
	if err := available(r.Format, st.enc); err != nil {
		return err
	}
	if r.Kind == KindMediaPlaylist && r.Format.Protocol() != "hls" {
		return httpErrorf(fasthttp.StatusBadRequest, "Manifest(track) is an HLS media playlist: it takes an HLS format= (m3u8-cmaf, m3u8-aapl, m3u8-aapl-v3)")
	}
	kb := keyBufPool.Get().(*[]byte)
	defer keyBufPool.Put(kb)
	buf := s.appendBaseURL((*kb)[:0], ctx)
	n := len(buf)
	buf = appendManifestKey(buf, r, st.enc, buf[:n])
	*kb = buf
	base, key := buf[:n], buf[n:]
	e := s.manifests.get(key, st.resolved)
	if e == nil {
		body, ctype, err := s.buildManifest(r, st, string(base))
		if err != nil {
			return err
		}
		e = s.manifests.put(string(key), st.resolved, body, ctype)
	}
	ctx.SetContentTypeBytes(e.contentType)
	ctx.Response.Header.Set("Cache-Control", s.Config.ManifestCacheControl)
	ctx.Response.SetBodyRaw(e.body)
	serveBody(ctx, e.etag, false, false)
	return nil
}

func (s *Server) buildManifest(r *StreamRequest, st streamState, base string) ([]byte, []byte, error) {
	p := presentationOf(st.asset)
	o := manifest.Options{URLOptions: r.URLOptions(st.enc)}
	if st.enc != EncryptionUnset {
		pr, err := s.protectionOf(st, st.enc, base)
		if err != nil {
			return nil, nil, err
		}
		o.Protection = pr
	}
	switch r.Format {
	case FormatSmooth:
		b, err := manifest.Smooth(p, o)
		return b, ctSmooth, err
	case FormatMPDTimeCSF, FormatMPDTimeCMAF:
		o.CMAF = r.Format == FormatMPDTimeCMAF
		b, err := manifest.DASH(p, o)
		return b, ctDASH, err
	case FormatM3U8CMAF, FormatM3U8AAPL, FormatM3U8AAPLV4, FormatM3U8AAPLV3:
		o.HLSFormat = manifest.HLSCMAF
		switch r.Format {
		case FormatM3U8AAPL, FormatM3U8AAPLV4:
			o.HLSFormat = manifest.HLSTSv4
		case FormatM3U8AAPLV3:
			o.HLSFormat = manifest.HLSTSv3
		}
		if r.Kind == KindManifest {
			b, err := manifest.HLSMultivariant(p, o)
			return b, ctHLS, err
		}
		for i := range p.Tracks {
			t := &p.Tracks[i]
			if strings.EqualFold(t.Name, r.Track) && t.Bitrate == r.Bitrate {
				b, err := manifest.HLSMedia(p, t, o)
				return b, ctHLS, err
			}
		}
		return nil, nil, errNotFound
	}
	return nil, nil, httpErrorf(fasthttp.StatusNotImplemented, "format=%s is not available on this origin yet", r.Format)
}

// baseURL is the public base URL for key and license URLs in manifests.
func (s *Server) baseURL(ctx *fasthttp.RequestCtx) string {
	if s.Config.PublicBaseURL != "" {
		return s.Config.PublicBaseURL
	}
	return string(s.appendBaseURL(nil, ctx))
}

// appendBaseURL appends baseURL(ctx) to dst.
func (s *Server) appendBaseURL(dst []byte, ctx *fasthttp.RequestCtx) []byte {
	if s.Config.PublicBaseURL != "" {
		return append(dst, s.Config.PublicBaseURL...)
	}
	if ctx.IsTLS() {
		dst = append(dst, "https://"...)
	} else {
		dst = append(dst, "http://"...)
	}
	return append(dst, ctx.Host()...)
}
