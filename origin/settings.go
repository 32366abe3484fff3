package origin

// Settings are the parts of Config that a running Server can take anew
// (drmorigin reloads them on SIGHUP). Initialize copies them from Config;
// SetSettings replaces them for every request that starts afterwards.
type Settings struct {
	// ManifestCacheControl is the Cache-Control value of manifests and
	// playlists; empty takes the default.
	ManifestCacheControl string
	// KeyAllowedOrigins limits which browser origins may call key
	// delivery; empty allows any.
	KeyAllowedOrigins []string
}

// SetSettings replaces the running settings. It is safe to call while the
// Server serves.
func (s *Server) SetSettings(st Settings) {
	if st.ManifestCacheControl == "" {
		st.ManifestCacheControl = defaultManifestCacheControl
	}
	st.KeyAllowedOrigins = append([]string(nil), st.KeyAllowedOrigins...)
	s.settings.Store(&st)
}

// live returns the running settings (an atomic load: no lock, no
// allocation).
func (s *Server) live() *Settings { return s.settings.Load() }
