package crypto_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"
)

// TestSliceHeaderTestdataMedia runs the ffmpeg cross-check over the video
// track files under testdata/media/ (fragmented MP4, demuxed with mp4ff):
// every slice's header size against ffmpeg's trace_headers of the same
// file, and every sample's cenc and cbcs maps round-tripped through mp4ff.
func TestSliceHeaderTestdataMedia(t *testing.T) {
	needFFmpeg(t)
	files, _ := filepath.Glob("../testdata/media/*/*.mp4")
	n := 0
	for _, f := range files {
		mf, err := mp4.ReadMP4File(f)
		if err != nil || mf.Init == nil || len(mf.Init.Moov.Traks) == 0 || mf.Init.Moov.Mvex == nil {
			continue
		}
		trak := mf.Init.Moov.Trak
		stsd := trak.Mdia.Minf.Stbl.Stsd
		var c codec
		var psNALUs [][]byte
		switch {
		case stsd.AvcX != nil:
			c = h264
			psNALUs = append(psNALUs, stsd.AvcX.AvcC.SPSnalus...)
			psNALUs = append(psNALUs, stsd.AvcX.AvcC.PPSnalus...)
		case stsd.HvcX != nil:
			c = hevc
			for _, a := range stsd.HvcX.HvcC.NaluArrays {
				psNALUs = append(psNALUs, a.Nalus...)
			}
		default:
			continue
		}
		n++
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			trex, _ := mf.Init.Moov.Mvex.GetTrex(trak.Tkhd.TrackID)
			// The NAL units of the file in decode order: parameter sets from
			// the sample entry, then every sample's units.
			nalus := psNALUs
			for _, seg := range mf.Segments {
				for _, frag := range seg.Fragments {
					fs, err := frag.GetFullSamples(trex)
					if err != nil {
						t.Fatal(err)
					}
					for _, s := range fs {
						for p := 0; p+4 <= len(s.Data); {
							l := int(uint32(s.Data[p])<<24 | uint32(s.Data[p+1])<<16 | uint32(s.Data[p+2])<<8 | uint32(s.Data[p+3]))
							nalus = append(nalus, s.Data[p+4:p+4+l])
							p += 4 + l
						}
					}
				}
			}
			checkSlices(t, c, nalus, traceSliceHeaderEnds(t, f))
		})
	}
	if n == 0 {
		if _, err := os.Stat("../testdata/media"); err == nil {
			t.Log("no video track files under testdata/media yet")
		}
	}
}
