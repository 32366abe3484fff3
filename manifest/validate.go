package manifest

// label names a track in error messages: "video/640000".
func (t *Track) label() string {
	return t.Name + "/" + itoa(int64(t.Bitrate))
}

// validate checks what every format needs of p and o.
func validate(p *Presentation, o Options) error {
	if p == nil {
		return invalid("presentation is nil")
	}
	if len(p.Tracks) == 0 {
		return invalid("presentation %q has no tracks", p.Name)
	}
	if !isToken(o.URLOptions, "=,_.-;") {
		return invalid("url options %q: only letters, digits and \"=,_.-;\" are allowed", o.URLOptions)
	}
	seen := make(map[string]bool, len(p.Tracks))
	for i := range p.Tracks {
		t := &p.Tracks[i]
		if err := validateTrack(t); err != nil {
			return err
		}
		if seen[t.label()] {
			return invalid("track %s: two tracks share name and bitrate", t.label())
		}
		seen[t.label()] = true
	}
	if err := validateTexts(p); err != nil {
		return err
	}
	return validateProtection(p, o)
}

// validateTrack checks one track on its own.
func validateTrack(t *Track) error {
	if t.Name == "" || !isToken(t.Name, "_.-") {
		return invalid("track name %q: want letters, digits and \"_.-\" only", t.Name)
	}
	if t.Kind != Video && t.Kind != Audio {
		return invalid("track %s: unknown kind %d", t.label(), int(t.Kind))
	}
	if t.Bitrate <= 0 {
		return invalid("track %s: bitrate is %d", t.label(), t.Bitrate)
	}
	if t.PeakBitrate < 0 {
		return invalid("track %s: peak bitrate is %d", t.label(), t.PeakBitrate)
	}
	if t.Codecs == "" || !isToken(t.Codecs, "._-,+") {
		return invalid("track %s: codecs %q is empty or malformed", t.label(), t.Codecs)
	}
	if t.Timescale == 0 {
		return invalid("track %s: timescale is 0", t.label())
	}
	if !isToken(t.Language, "-") {
		return invalid("track %s: language %q is malformed", t.label(), t.Language)
	}
	switch t.Kind {
	case Video:
		if t.Width <= 0 || t.Height <= 0 {
			return invalid("track %s: size %dx%d", t.label(), t.Width, t.Height)
		}
		if t.FrameRateNum < 0 || t.FrameRateDen < 0 || (t.FrameRateNum > 0) != (t.FrameRateDen > 0) {
			return invalid("track %s: frame rate %d/%d", t.label(), t.FrameRateNum, t.FrameRateDen)
		}
	case Audio:
		if t.SampleRate <= 0 || t.Channels <= 0 {
			return invalid("track %s: sample rate %d, channels %d", t.label(), t.SampleRate, t.Channels)
		}
	}
	if len(t.Segments) == 0 {
		return invalid("track %s: no segments", t.label())
	}
	var end uint64
	for i, s := range t.Segments {
		if s.Duration == 0 {
			return invalid("track %s: segment %d at %d has duration 0", t.label(), i, s.Time)
		}
		if i > 0 && s.Time < end {
			return invalid("track %s: segment %d at %d starts before the previous one ends (%d)", t.label(), i, s.Time, end)
		}
		if s.Time+s.Duration < s.Time {
			return invalid("track %s: segment %d at %d: end overflows", t.label(), i, s.Time)
		}
		end = s.Time + s.Duration
	}
	return nil
}

// isToken reports whether s holds only ASCII letters, digits and bytes of
// extra. Names, languages and options end up inside URLs, XML attributes and
// quoted playlist attributes, so nothing else is let through.
func isToken(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case containsByte(extra, c):
		default:
			return false
		}
	}
	return true
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// sameTimeline reports whether two tracks have the same timescale and the
// same segment times and durations, so one timeline can describe both.
func sameTimeline(a, b *Track) bool {
	if a.Timescale != b.Timescale || len(a.Segments) != len(b.Segments) {
		return false
	}
	for i := range a.Segments {
		if a.Segments[i].Time != b.Segments[i].Time || a.Segments[i].Duration != b.Segments[i].Duration {
			return false
		}
	}
	return true
}
