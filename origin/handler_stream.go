package origin

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/manifest"
	"github.com/drmorigin/drmorigin/packager"
)

// handleStream is the streaming listener's handler: the router, then the
// request's metrics and access log line.
func (s *Server) handleStream(ctx *fasthttp.RequestCtx) {
	// fasthttp reads the clock just before the handler: its time is the
	// request's start, without a clock read of our own (about 80 ns on the
	// bench's virtual machine).
	start := ctx.Time()
	if start.IsZero() {
		start = time.Now()
	}
	info := s.routeStream(ctx, start)
	s.finish(ctx, listenerStream, info, start)
}

// routeStream answers a streaming request that arrived at now and says
// what it was.
func (s *Server) routeStream(ctx *fasthttp.RequestCtx, now time.Time) reqInfo {
	if !checkLimits(ctx) {
		return infoOther
	}
	path := ctx.Path()
	switch string(path) { // no allocation: the compiler compares in place
	case "/healthz":
		ctx.SetContentTypeBytes(ctText)
		ctx.SetBodyString("ok\n")
		return infoOther
	case "/readyz":
		s.handleReady(ctx)
		return infoOther
	case timePath:
		s.handleTime(ctx)
		return infoOther
	}
	if ctx.IsGet() && s.servePlayer(ctx, b2s(path)) {
		return infoOther
	}
	if kind, ok := s.handleKeys(ctx, b2s(path)); ok {
		return reqInfo{kind: kind, format: -1, enc: -1}
	}
	if ctx.IsOptions() {
		preflight(ctx)
		return infoOther
	}
	setCORS(ctx)
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Response.Header.Set("Allow", "GET, HEAD, OPTIONS")
		plainError(ctx, fasthttp.StatusMethodNotAllowed, "method not allowed")
		return infoOther
	}
	req, err := ParseStreamURL(b2s(path))
	if err != nil {
		s.fail(ctx, err)
		return infoOther
	}
	info := streamInfo(&req)
	st, err := s.prepare(&req, now)
	if err != nil {
		s.fail(ctx, err)
		return info
	}
	info.enc = int8(st.enc)
	switch req.Kind {
	case KindManifest, KindMediaPlaylist, KindIFramePlaylist:
		err = s.serveManifest(ctx, &req, st)
	case KindInit:
		err = s.serveInit(ctx, &req, st)
	default:
		err = s.serveSegment(ctx, &req, st)
	}
	if err != nil {
		s.fail(ctx, err)
	}
	return info
}

func (s *Server) handleReady(ctx *fasthttp.RequestCtx) {
	ctx.SetContentTypeBytes(ctText)
	if s.Ready != nil {
		c, cancel := context.WithTimeout(context.Background(), s.Config.StoreTimeout)
		err := s.Ready(c)
		cancel()
		if err != nil {
			s.metrics.storeError("ready")
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
	enc      Encryption      // the encryption tag that applies (EncryptionUnset: clear)
	scheme   packager.Scheme // what enc means in format: schemeOf
	format   Format
	// filters are set when filters apply (the locator's or the URL's);
	// view is what they keep of the asset, once applyFilters has run
	// (nil: everything).
	filters requestFilters
	view    *assetView
}

// applyFilters decides what the request's filters keep of the asset
// (filterView, through the server's view cache): a filter that leaves no
// video and no audio is a 400.
func (st *streamState) applyFilters(views *viewCache) error {
	if st.filters.n == 0 || st.view != nil {
		return nil
	}
	v, err := views.view(st.asset, st.filters.all())
	st.view = v
	return err
}

// prepare resolves the locator, checks its time window, finds its asset and
// decides the encryption against its streaming policy (urls.md, "Which tag
// applies"). Every failure is an error for fail: nothing is served before
// the encryption is decided. now is when the request arrived: the
// locator's window and the resolver's cache are judged at that time.
func (s *Server) prepare(r *StreamRequest, now time.Time) (streamState, error) {
	var st streamState
	// The resolver bounds its own store lookups on a cache miss and does no
	// round trip on a hit, so the request needs no deadline of its own.
	res, err := s.Resolver.ResolveAt(context.Background(), r.Locator, now)
	if err != nil {
		return st, err
	}
	if !res.Active(now) {
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
	st.scheme = schemeOf(enc, r.Format)
	if len(res.Locator.Filters) > 0 || r.Filter != "" {
		// Resolved here (an unknown filter is 404 for every kind of
		// request); applied by applyFilters where the answer needs it, so
		// that a cached manifest costs no view.
		if st.filters, err = s.resolveFilters(res, r, res.Locator.AssetName); err != nil {
			return st, err
		}
	}
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

// outputOf is the packager output of format f for track t of the asset:
// CMAF for DASH and HLS fMP4, Smooth, TS, and for m3u8-aapl-v3 video TS
// with the default audio muxed in.
func outputOf(f Format, st *streamState, t *packager.Track) packager.Output {
	switch {
	case f == FormatSmooth:
		return packager.Smooth
	case f == FormatM3U8AAPLV3 && t.Kind == packager.Video:
		if audio := st.defaultAudio(); audio != nil {
			return packager.TSWithAudio(audio)
		}
		return packager.TS
	case f.IsTS():
		return packager.TS
	}
	return packager.CMAF
}

// track finds the track a media URL names, among those its filters keep.
func (s *Server) track(r *StreamRequest, st *streamState) (*packager.Track, error) {
	t := st.asset.Track(r.Track, r.Bitrate)
	if t == nil || r.VTT {
		return nil, errNotFound
	}
	if st.view != nil && st.view.find(t) == nil {
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
	if tt := st.asset.Text(r.Track, r.Bitrate); tt != nil {
		return s.serveText(ctx, r, st, tt) // handler_text.go
	}
	if err := st.applyFilters(&s.views); err != nil {
		return err
	}
	t, err := s.track(r, &st)
	if err != nil {
		return err
	}
	var p *packager.Protection
	if st.scheme != packager.SchemeAES128 { // HLS AES-128 leaves the EXT-X-MAP section clear (urls.md)
		p = new(packager.Protection)
		if ok, err := s.fillProtection(p, ctx, st, t, true); err != nil {
			return err
		} else if !ok {
			p = nil
		}
	}
	b := ctx.Response.SwapBody(nil)
	if out := outputOf(r.Format, &st, t); out.IsTS() {
		// TS: the PAT and PMT, the EXT-X-MAP of I-frame playlists
		// (trick play; TS media playlists have no EXT-X-MAP).
		b, err = t.AppendPSI(b[:0], out, p)
	} else {
		b, err = t.AppendInit(b[:0], out, p)
	}
	if err != nil {
		ctx.Response.SwapBody(b[:0])
		return err
	}
	ctx.Response.SwapBody(b)
	s.segmentHeaders(ctx, r, t, -1, p)
	return nil
}

func (s *Server) serveSegment(ctx *fasthttp.RequestCtx, r *StreamRequest, st streamState) error {
	if tt := st.asset.Text(r.Track, r.Bitrate); tt != nil {
		return s.serveText(ctx, r, st, tt) // handler_text.go
	}
	if err := st.applyFilters(&s.views); err != nil {
		return err
	}
	t, err := s.track(r, &st)
	if err != nil {
		return err
	}
	i, ok := t.FragmentAt(r.Time)
	if !ok {
		if st.asset.Live != nil {
			return errNotYet // perhaps the next fragment: no cache may keep the 404
		}
		return errNotFound
	}
	if st.view != nil {
		if vt := st.view.find(t); i < vt.from || i >= vt.to {
			if st.asset.Live != nil && i >= vt.to {
				return errNotYet // behind a filter's live backoff: listed later
			}
			return errNotFound // outside the filters' time range
		}
	}
	if st.smoothLive() && !t.LookAheadKnown(i) {
		return errNotYet // its tfrf needs the next fragments (live_smooth.go)
	}
	if r.Format == FormatM3U8AAPLV3 && t.Kind == packager.Audio && st.hasVideo() {
		return errNotFound // v3 has no audio playlists when there is video
	}
	out := outputOf(r.Format, &st, t)
	if r.Kind == KindKeyFrames {
		// DASH trick mode: only DASH writes these URLs, for video tracks.
		if r.Format.Protocol() != "dash" {
			return httpErrorf(fasthttp.StatusBadRequest, "KeyFrames(track=time) is a DASH trick-mode segment: it takes format=mpd-time-csf or mpd-time-cmaf")
		}
		if t.Kind != packager.Video {
			return errNotFound
		}
		out = packager.CMAFKeyFrames
	}
	if st.scheme == packager.SchemeNone && !out.IsTS() && len(ctx.Request.Header.PeekBytes(hdrRange)) == 0 {
		// Clear fMP4: the sample data goes out from the page cache. Range
		// requests (rare) take the buffered path below.
		if ok, err := s.serveMappedSegment(ctx, r, t, i, out); ok || err != nil {
			return err
		}
	}
	p := protectionPool.Get().(*packager.Protection)
	defer func() {
		*p = packager.Protection{} // no key kept in the pool
		protectionPool.Put(p)
	}()
	protected, err := s.fillProtection(p, ctx, st, t, false)
	if err != nil {
		return err
	}
	pp := p
	if !protected {
		pp = nil
	}
	// The segment is written into a body stream's buffer, which sends
	// headers and body in one writev (segment_stream.go), or, for a range
	// request, into the response's body.
	ss := bodyStream(ctx)
	var b []byte
	if ss != nil {
		b = ss.head
	} else {
		b = ctx.Response.SwapBody(nil)
	}
	sc := packager.AcquireScratch()
	b, err = t.AppendSegment(b[:0], i, out, pp, sc)
	packager.ReleaseScratch(sc)
	if err != nil {
		// Fail closed: whatever was written (clear bytes included) is
		// dropped before the error answer.
		if ss != nil {
			ss.head = b
			ss.putBack()
		} else {
			ctx.Response.SwapBody(b[:0])
		}
		if out.IsTS() && errors.Is(err, packager.ErrUnsupported) {
			return &notInTSError{enc: st.enc, err: err}
		}
		return err
	}
	if ss != nil {
		ss.head = b
		ss.setBody(ctx)
	} else {
		ctx.Response.SwapBody(b)
	}
	s.segmentHeaders(ctx, r, t, i, pp)
	return nil
}

// defaultAudio is the audio that m3u8-aapl-v3 muxes into video segments:
// the first audio track in server-manifest order (urls.md, "TS formats")
// among those the filters keep.
func (st *streamState) defaultAudio() *packager.Track {
	if st.view != nil {
		return st.view.defaultAudio()
	}
	for _, t := range st.asset.Tracks {
		if t.Kind == packager.Audio {
			return t
		}
	}
	return nil
}

func (st *streamState) hasVideo() bool {
	if st.view != nil {
		return st.view.hasVideo()
	}
	for _, t := range st.asset.Tracks {
		if t.Kind == packager.Video {
			return true
		}
	}
	return false
}

// segmentHeaders sets the headers of an init (i < 0) or media segment whose
// body is in place, protected with p (nil: clear). The ETag is a hash of the
// request path, the source bytes' identity (file, range) and the KID, so
// every replica with the same files and keys gives the same tag without
// hashing the body, and a segment under a rotated key gets a new tag.
func (s *Server) segmentHeaders(ctx *fasthttp.RequestCtx, r *StreamRequest, t *packager.Track, i int, p *packager.Protection) {
	h := uint64(fnvOffset)
	h = fnv64a(h, ctx.Path())
	h = fnv64aUint(h, uint64(len(t.Init)))
	if p != nil {
		h = fnv64a(h, p.KID[:])
	}
	if i >= 0 {
		f := &t.Fragments[i]
		h = fnv64aUint(h, uint64(f.Offset))
		h = fnv64aUint(h, uint64(f.Size))
	}
	var tag [18]byte
	if r.Format.IsTS() {
		ctx.SetContentTypeBytes(ctTS)
	} else {
		ctx.SetContentTypeBytes(contentTypeOf(t))
	}
	ctx.Response.Header.SetBytesKV(hdrCacheControl, valImmutable)
	serveBody(ctx, appendETag(tag[:0], h), true, true)
}

func (s *Server) serveManifest(ctx *fasthttp.RequestCtx, r *StreamRequest, st streamState) error {
	if r.Kind == KindMediaPlaylist && r.Format.Protocol() != "hls" {
		return httpErrorf(fasthttp.StatusBadRequest, "Manifest(track) is an HLS media playlist: it takes an HLS format= (m3u8-cmaf, m3u8-aapl, m3u8-aapl-v3)")
	}
	if r.Kind == KindIFramePlaylist && r.Format.Protocol() != "hls" {
		return httpErrorf(fasthttp.StatusBadRequest, "IFrames(track) is an HLS I-frame playlist: it takes an HLS format= (m3u8-cmaf, m3u8-aapl, m3u8-aapl-v3)")
	}
	kb := keyBufPool.Get().(*[]byte)
	defer keyBufPool.Put(kb)
	buf := s.appendBaseURL((*kb)[:0], ctx)
	n := len(buf)
	buf = appendManifestKey(buf, r, st.enc, buf[:n], st.filters.all())
	*kb = buf
	base, key := buf[:n], buf[n:]
	e := s.manifests.get(key, st.resolved, st.asset)
	if e == nil {
		body, ctype, err := s.buildManifest(r, st, string(base))
		if err != nil {
			return err
		}
		e = s.manifests.put(string(key), st.resolved, st.asset, body, ctype, liveCacheControl(st.asset))
	}
	ctx.SetContentTypeBytes(e.contentType)
	cc := e.cacheControl
	if cc == "" {
		cc = s.live().ManifestCacheControl
	}
	// The name is written canonical: SetCanonical skips normalizing it on
	// every answer (it copies the value).
	ctx.Response.Header.SetCanonical(hdrCacheControl, s2b(cc))
	ctx.Response.SetBodyRaw(e.body)
	serveBody(ctx, e.etag, false, false)
	return nil
}

func (s *Server) buildManifest(r *StreamRequest, st streamState, base string) ([]byte, []byte, error) {
	if err := st.applyFilters(&s.views); err != nil {
		return nil, nil, err
	}
	v := st.view
	if v == nil {
		v = fullView(st.asset)
	}
	if st.smoothLive() {
		if v = lookAheadView(v); v == nil {
			return nil, nil, errNotYet // no fragment with its look-ahead yet
		}
	}
	p := presentationOf(st.asset, v, r.Format.Protocol() == "hls", base)
	o := manifest.Options{URLOptions: r.URLOptions(st.enc)}
	if st.enc != EncryptionUnset {
		pr, err := s.protectionOf(st, v, p, base)
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
		if r.Kind == KindIFramePlaylist {
			b, err := s.buildIFrames(r, st, p, o)
			return b, ctHLS, err
		}
		for i := range p.Tracks {
			t := &p.Tracks[i]
			if strings.EqualFold(t.Name, r.Track) && t.Bitrate == r.Bitrate {
				b, err := manifest.HLSMedia(p, t, o)
				return b, ctHLS, err
			}
		}
		for i := range p.Texts {
			t := &p.Texts[i]
			if strings.EqualFold(t.Name, r.Track) && t.Bitrate == r.Bitrate {
				b, err := manifest.HLSTextMedia(p, t, o)
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
