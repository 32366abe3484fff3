package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"
)

// Synthesize writes into dst a copy of the asset in src (its track files
// and server manifest) lengthened to at least d by repeating its fragments
// with rewritten decode times (tfdt) and sequence numbers: no encoding, so
// a two-hour asset takes seconds. Track files are fragmented MP4; sidx and
// mfra are left out, so an origin must walk the moof headers to index it.
func Synthesize(src, dst string, d time.Duration) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		switch strings.ToLower(filepath.Ext(name)) {
		case ".ism":
			b, err := os.ReadFile(filepath.Join(src, name))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
				return err
			}
		case ".mp4", ".cmfv", ".cmfa", ".ismv", ".isma":
			if err := synthesizeTrack(filepath.Join(src, name), filepath.Join(dst, name), d); err != nil {
				return fmt.Errorf("synthesize %s: %w", name, err)
			}
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("synthesize %s: no track files", src)
	}
	return nil
}

func synthesizeTrack(src, dst string, d time.Duration) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := mp4.DecodeFile(in)
	if err != nil {
		return err
	}
	if f.Init == nil || f.Init.Moov == nil || f.Init.Moov.Mvex == nil {
		return fmt.Errorf("not a fragmented MP4")
	}
	var frags []*mp4.Fragment
	for _, s := range f.Segments {
		frags = append(frags, s.Fragments...)
	}
	if len(frags) == 0 {
		return fmt.Errorf("no fragments")
	}
	trak := f.Init.Moov.Trak
	if trak == nil {
		return fmt.Errorf("no trak")
	}
	timescale := uint64(trak.Mdia.Mdhd.Timescale)
	trex, _ := f.Init.Moov.Mvex.GetTrex(trak.Tkhd.TrackID)
	first := frags[0].Moof.Traf.Tfdt.BaseMediaDecodeTime()
	last := frags[len(frags)-1]
	samples, err := last.GetFullSamples(trex)
	if err != nil {
		return err
	}
	end := last.Moof.Traf.Tfdt.BaseMediaDecodeTime()
	for _, s := range samples {
		end += uint64(s.Dur)
	}
	period := end - first
	if period == 0 {
		return fmt.Errorf("zero duration")
	}
	want := uint64(d.Seconds() * float64(timescale))
	loops := (want + period - 1) / period
	total := loops * period
	if mv := f.Init.Moov.Mvex; mv.Mehd != nil {
		mv.Mehd.FragmentDuration = int64(total * uint64(f.Init.Moov.Mvhd.Timescale) / timescale)
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(out, 1<<20)
	fail := func(err error) error { out.Close(); return err }
	if err := f.Init.Encode(w); err != nil {
		return fail(err)
	}
	base := make([]uint64, len(frags))
	for i, fr := range frags {
		base[i] = fr.Moof.Traf.Tfdt.BaseMediaDecodeTime()
	}
	seq := uint32(1)
	for k := uint64(0); k < loops; k++ {
		for i, fr := range frags {
			for _, traf := range fr.Moof.Trafs {
				if traf.Tfdt != nil {
					traf.Tfdt.SetBaseMediaDecodeTime(base[i] + k*period)
				}
			}
			fr.Moof.Mfhd.SequenceNumber = seq
			seq++
			if err := fr.Encode(w); err != nil {
				return fail(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	return out.Close()
}

// LinkAsset makes dst a new asset directory whose files are hard links to
// those of src (a copy where links are impossible): the same media under a
// name an origin has never seen.
func LinkAsset(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		s, t := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		if err := os.Link(s, t); err == nil {
			continue
		}
		if err := copyFile(s, t); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
