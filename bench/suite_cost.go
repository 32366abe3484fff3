package bench

import (
	"context"
)

// costFactors prints quality.md's "encryption costs only the cipher" factor
// per scheme: encrypted CPU ÷ (clear CPU + raw cipher time for its bytes).
func (s *suite) costFactors(ctx context.Context) error {
	primary := map[string][]string{
		"cenc":      {"mpd-time-csf", "mpd-time-cmaf", "m3u8-cmaf", "smooth"},
		"cbcs":      {"mpd-time-csf", "mpd-time-cmaf", "m3u8-cmaf"},
		"cbc":       {"m3u8-cmaf", "m3u8-aapl", "m3u8-aapl-v3"},
		"cbcs-aapl": {"m3u8-aapl", "m3u8-aapl-v3", "m3u8-cmaf"},
	}
	for _, scheme := range []string{"cenc", "cbcs", "cbc", "cbcs-aapl"} {
		var chosen *Figure
		why := ""
		for _, f := range primary[scheme] {
			cb := Combo{f, scheme}
			fig, reason := s.costFactor(cb)
			if fig != nil {
				s.set("cost_factor_by_format."+f+"."+scheme, fig)
				if chosen == nil {
					chosen = fig
				}
			} else if why == "" {
				why = reason
			}
		}
		if chosen == nil {
			chosen = UnavailableFigure(1.10, "ratio", why)
			s.say("cost factor %s: %s (target <= 1.10)", scheme, why)
		} else {
			d := chosen.Detail
			s.say("cost factor %s: %s (target <= 1.10)%s  [%s, median of %d rounds' ratios (%.2f-%.2f; best ÷ best %.2f): best clear %.1f µs + raw %s %.1f µs for %d B at %.2f GB/s = %.1f µs, encrypted %.1f µs; server throughput clear %.0f MB/s, encrypted %.0f MB/s of CPU]",
				scheme, Against(*chosen.Value, 1.10, 'f', 2), verdict(chosen), d["format"], d["paired_rounds"], d["round_ratios_min"], d["round_ratios_max"], d["best_over_best"], d["clear_cpu_us"], d["cipher"], d["cipher_us"], d["segment_bytes"],
				d["raw_cipher_gbps"], d["clear_cpu_us"].(float64)+d["cipher_us"].(float64), d["encrypted_cpu_us"], d["clear_throughput_mbps"], d["encrypted_throughput_mbps"])
		}
		s.set("cost_factor."+scheme, chosen)
	}
	return nil
}

func verdict(f *Figure) string {
	if f.Met == nil {
		return ""
	}
	if *f.Met {
		return ": met"
	}
	return ": MISSED"
}

func (s *suite) costFactor(cb Combo) (*Figure, string) {
	st, clear := s.combos[cb], s.combos[Combo{cb.Format, "none"}]
	if st == nil {
		return nil, "unavailable (not in the matrix)"
	}
	if st.Unavailable != "" {
		return nil, st.Unavailable
	}
	if clear == nil || len(clean(clear.CPUs)) == 0 {
		return nil, "unavailable (clear " + cb.Format + " not measured without errors)"
	}
	if len(clean(st.CPUs)) == 0 {
		return nil, "unavailable (not measured without errors)"
	}
	speed, name := s.rawCTR, "CTR"
	if CipherFor(cb) == "cbc" {
		speed, name = s.rawCBC, "CBC"
	}
	// Bytes of the clean rounds only: error answers are short.
	encReqs, encBytes, _, _ := totals(clean(st.CPUs))
	clearReqs, clearTotal, _, _ := totals(clean(clear.CPUs))
	bytes := float64(encBytes) / float64(max(encReqs, 1))
	cipherUS := bytes / speed * 1e6
	_, clearBest, _ := median(clean(clear.CPUs))
	_, encBest, _ := median(clean(st.CPUs))
	clearUS := float64(clearBest) / 1e3
	encUS := float64(encBest) / 1e3
	// Judged like the floor multiples: the median of the per-round
	// ratios (see paired); best ÷ best stays in the detail.
	pr := pair(st.CPUs, clear.CPUs, cipherUS)
	if pr.Pairs == 0 {
		return nil, "invalid (no round where both the clear and the encrypted segments answered without errors)"
	}
	fig := NewFigure(pr.Median, 1.10, "ratio")
	clearBytes := float64(clearTotal) / float64(max(clearReqs, 1))
	fig.Detail = map[string]any{"format": cb.Format, "cipher": name, "raw_cipher_gbps": speed / 1e9,
		"segment_bytes": int64(bytes), "clear_cpu_us": clearUS, "encrypted_cpu_us": encUS, "cipher_us": cipherUS,
		"clear_throughput_mbps": clearBytes / clearUS, "encrypted_throughput_mbps": bytes / encUS,
		"round_ratios_median": pr.Median, "round_ratios_min": pr.Min, "round_ratios_max": pr.Max, "best_over_best": pr.BestOverBest,
		"rounds": min(len(st.CPUs), len(clear.CPUs)), "paired_rounds": pr.Pairs,
		"method": "median of the per-round ratios: encrypted CPU per segment ÷ (clear CPU per segment of the same round + bytes ÷ best raw cipher speed)"}
	return fig, ""
}
