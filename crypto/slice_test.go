package crypto_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"

	codech264 "github.com/drmorigin/drmorigin/codec/h264"
	codechevc "github.com/drmorigin/drmorigin/codec/hevc"
	"github.com/drmorigin/drmorigin/crypto"
)

// needFFmpeg fails the test when ffmpeg is missing: the slice header parsers
// are only proven against its independent parse.
func needFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg not found: apt-get install -y ffmpeg")
	}
}

var traceLine = regexp.MustCompile(`^\[trace_headers @ [^\]]+\] (\d+)\s+(\S+)\s+([01]+) = `)

// traceSliceHeaderEnds runs ffmpeg's trace_headers bitstream filter over the
// first video stream of in and returns, for every slice (segment) header in
// decode order, the RBSP bit position where the header ends: after H.264's
// cabac_alignment_one_bits, after HEVC's byte_alignment().
func traceSliceHeaderEnds(t *testing.T, in string) []int {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-hide_banner", "-nostats", "-i", in, "-map", "0:v:0",
		"-c", "copy", "-bsf:v", "trace_headers", "-f", "null", "-")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg trace_headers %s: %v\n%s", in, err, out)
	}
	var ends []int
	in1 := false
	end := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	flush := func() {
		if in1 {
			ends = append(ends, end)
		}
		in1, end = false, 0
	}
	for sc.Scan() {
		line := sc.Text()
		if m := traceLine.FindStringSubmatch(line); m != nil {
			if in1 {
				pos, _ := strconv.Atoi(m[1])
				end = max(end, pos+len(m[3]))
			}
			continue
		}
		flush()
		if strings.HasSuffix(line, "] Slice Header") || strings.HasSuffix(line, "] Slice Segment Header") {
			in1 = true
		}
	}
	flush()
	return ends
}

// ebspLen converts a byte count of a NAL unit's RBSP into the count of its
// stored bytes, emulation prevention bytes included.
func ebspLen(nalu []byte, rbsp int) int {
	zeros, n := 0, 0
	for i, b := range nalu {
		if zeros >= 2 && b == 3 {
			zeros = 0
			continue
		}
		if n == rbsp {
			return i
		}
		n++
		if b == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return len(nalu)
}

// splitAnnexB splits an Annex B byte stream into NAL units.
func splitAnnexB(b []byte) [][]byte {
	var out [][]byte
	start := -1
	for i := 0; i+3 <= len(b); {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				out = append(out, bytes.TrimRight(b[start:i], "\x00"))
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start >= 0 {
		out = append(out, b[start:])
	}
	return out
}

type codec struct {
	name    string
	ext     string
	hdr     int
	isVCL   func(b0 byte) bool
	isPS    func(b0 byte) bool
	firstAU func(nalu []byte) bool // the slice starts a new picture
}

var (
	h264 = codec{"h264", "h264", 1,
		func(b byte) bool { return b&0x1f >= 1 && b&0x1f <= 5 },
		func(b byte) bool { return b&0x1f == 7 || b&0x1f == 8 },
		func(n []byte) bool { return n[1]&0x80 != 0 }}
	hevc = codec{"hevc", "hevc", 2,
		func(b byte) bool { return b>>1&0x3f < 32 },
		func(b byte) bool { return b>>1&0x3f >= 32 && b>>1&0x3f <= 34 },
		func(n []byte) bool { return n[2]&0x80 != 0 }}
)

// paramSets is the codec-neutral face of h264.ParamSets and hevc.ParamSets.
type paramSets interface {
	Add([]byte) error
	SliceHeaderSize([]byte) (int, error)
}

func (c codec) newPS() paramSets {
	if c.name == "h264" {
		ps, _ := codech264.NewParamSets()
		return ps
	}
	ps, _ := codechevc.NewParamSets()
	return ps
}

func (c codec) subsamples(dst []crypto.Subsample, sample []byte, ps paramSets, s crypto.Scheme) ([]crypto.Subsample, error) {
	if c.name == "h264" {
		return crypto.AppendSubsamplesH264(dst, sample, 4, ps.(*codech264.ParamSets), s)
	}
	return crypto.AppendSubsamplesHEVC(dst, sample, 4, ps.(*codechevc.ParamSets), s)
}

// encodeClip encodes a short test pattern with ffmpeg into an Annex B file.
func encodeClip(t testing.TB, c codec, name string, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name+"."+c.ext)
	a := []string{"-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
		"-i", "testsrc2=size=352x288:rate=25", "-t", "1.2"}
	a = append(a, args...)
	a = append(a, "-f", c.ext, out)
	if b, err := exec.Command("ffmpeg", a...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", a, err, b)
	}
	return out
}

// checkSlices compares the slice header size of every slice NAL unit in
// nalus (parameter sets first or in band) with ffmpeg's trace of the same
// stream, and returns the samples (access units, 4-byte lengths).
func checkSlices(t *testing.T, c codec, nalus [][]byte, traced []int) [][]byte {
	t.Helper()
	ps := c.newPS()
	var samples [][]byte
	var cur []byte
	seenSlice := false
	k := 0
	for _, n := range nalus {
		if len(n) < c.hdr+1 {
			continue
		}
		vcl := c.isVCL(n[0])
		if (vcl && c.firstAU(n) && seenSlice) || (!vcl && seenSlice) {
			samples = append(samples, cur)
			cur, seenSlice = nil, false
		}
		cur = binary.BigEndian.AppendUint32(cur, uint32(len(n)))
		cur = append(cur, n...)
		if c.isPS(n[0]) {
			if err := ps.Add(n); err != nil {
				t.Fatalf("parameter set %x: %v", n[:min(len(n), 16)], err)
			}
			continue
		}
		if !vcl {
			continue
		}
		seenSlice = true
		got, err := ps.SliceHeaderSize(n)
		if err != nil {
			t.Fatalf("slice %d: %v", k, err)
		}
		if k >= len(traced) {
			t.Fatalf("ffmpeg traced %d slices, the stream has more", len(traced))
		}
		want := ebspLen(n, (traced[k]+7)/8)
		if got != want {
			t.Fatalf("slice %d (type %d): header size %d, ffmpeg says %d (%d bits)", k, n[0], got, want, traced[k])
		}
		k++
	}
	if cur != nil {
		samples = append(samples, cur)
	}
	if k != len(traced) || k == 0 {
		t.Fatalf("checked %d slices, ffmpeg traced %d", k, len(traced))
	}
	t.Logf("%d slices match ffmpeg, %d samples", k, len(samples))
	checkSamples(t, c, ps, samples)
	return samples
}

// checkSamples builds cenc and cbcs subsample maps of every sample, checks
// their invariants, encrypts and has mp4ff decrypt them back.
func checkSamples(t *testing.T, c codec, ps paramSets, samples [][]byte) {
	t.Helper()
	k := mustKey(t, []byte("0123456789abcdef"))
	iv := [16]byte{9, 8, 7, 6, 5, 4, 3, 2, 1}
	for i, s := range samples {
		for _, scheme := range []crypto.Scheme{crypto.SchemeCENC, crypto.SchemeCBCS} {
			subs, err := c.subsamples(nil, s, ps, scheme)
			if err != nil {
				t.Fatalf("sample %d scheme %d: %v", i, scheme, err)
			}
			// Every protected range starts inside a VCL NAL unit after its
			// header (cbcs: exactly at slice data) and ends at its end.
			pos := 0
			for _, ss := range subs {
				pos += int(ss.Clear)
				if ss.Protected == 0 {
					continue
				}
				if scheme == crypto.SchemeCENC && ss.Protected%16 != 0 {
					t.Fatalf("sample %d: cenc protected range %d not whole blocks", i, ss.Protected)
				}
				pos += int(ss.Protected)
			}
			if pos != len(s) {
				t.Fatalf("sample %d: map covers %d of %d bytes", i, pos, len(s))
			}
			checkProtectedInVCL(t, c, ps, s, subs, scheme)
			enc := bytes.Clone(s)
			tenc := &mp4.TencBox{}
			if scheme == crypto.SchemeCENC {
				err = k.EncryptCENC(enc, iv, subs)
			} else {
				tenc.DefaultCryptByteBlock, tenc.DefaultSkipByteBlock = 1, 9
				err = k.EncryptCBCS(enc, iv, subs, crypto.PatternVideo)
			}
			if err != nil {
				t.Fatal(err)
			}
			if scheme == crypto.SchemeCENC {
				err = mp4.CryptSampleCenc(enc, []byte("0123456789abcdef"), iv[:], toMP4ff(subs))
			} else {
				err = mp4.DecryptSampleCbcs(enc, []byte("0123456789abcdef"), iv[:], toMP4ff(subs), tenc)
			}
			if err != nil || !bytes.Equal(enc, s) {
				t.Fatalf("sample %d scheme %d: mp4ff does not decrypt (%v)", i, scheme, err)
			}
		}
	}
}

// checkProtectedInVCL walks the NAL units again and checks that each
// protected range is the tail of one VCL NAL unit, starting after its header
// (cenc) or exactly at its slice data (cbcs).
func checkProtectedInVCL(t *testing.T, c codec, ps paramSets, s []byte, subs []crypto.Subsample, scheme crypto.Scheme) {
	t.Helper()
	type rng struct{ start, end int }
	var want []rng
	for pos := 0; pos < len(s); {
		n := int(binary.BigEndian.Uint32(s[pos:]))
		nalu := s[pos+4 : pos+4+n]
		if c.isVCL(nalu[0]) {
			var start int
			if scheme == crypto.SchemeCENC {
				start = c.hdr + (n-c.hdr)%16
			} else {
				start, _ = ps.SliceHeaderSize(nalu)
			}
			if n-start >= 16 {
				want = append(want, rng{pos + 4 + start, pos + 4 + n})
			}
		}
		pos += 4 + n
	}
	var got []rng
	pos := 0
	for _, ss := range subs {
		pos += int(ss.Clear)
		if ss.Protected > 0 {
			got = append(got, rng{pos, pos + int(ss.Protected)})
		}
		pos += int(ss.Protected)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("protected ranges %v, want %v", got, want)
	}
}

var h264Clips = []struct {
	name string
	args []string
}{
	{"high-cabac-b-slices-weightp", []string{"-c:v", "libx264", "-profile:v", "high", "-bf", "3", "-slices", "3",
		"-x264-params", "weightp=2:weightb=1:keyint=12:ref=4:b-pyramid=normal"}},
	{"baseline-cavlc-poc2", []string{"-c:v", "libx264", "-profile:v", "baseline", "-slices", "2", "-x264-params", "keyint=10"}},
	{"main-cavlc-b", []string{"-c:v", "libx264", "-coder", "0", "-bf", "2", "-x264-params", "keyint=8"}},
	{"mbaff-interlaced", []string{"-c:v", "libx264", "-flags", "+ildct+ilme", "-x264-params", "interlaced=1:keyint=10", "-bf", "2"}},
	{"high444-cqm", []string{"-c:v", "libx264", "-pix_fmt", "yuv444p", "-x264-params", "cqm=jvt:keyint=10", "-bf", "2"}},
	{"high10-deblock-off", []string{"-c:v", "libx264", "-pix_fmt", "yuv420p10le", "-x264-params", "no-deblock=1:keyint=10:slices=2"}},
}

var hevcClips = []struct {
	name string
	args []string
}{
	{"main-b-slices", []string{"-c:v", "libx265", "-x265-params", "log-level=error:keyint=12:bframes=4:slices=3:ref=4"}},
	{"wpp-weighted", []string{"-c:v", "libx265", "-x265-params", "log-level=error:keyint=10:wpp=1:weightp=1:weightb=1:bframes=3"}},
	{"cra-scaling-lists", []string{"-c:v", "libx265", "-x265-params", "log-level=error:keyint=10:open-gop=1:scaling-list=default:no-sao=1"}},
	{"main444-10-nodeblock", []string{"-c:v", "libx265", "-pix_fmt", "yuv444p10le", "-x265-params", "log-level=error:keyint=10:no-deblock=1:bframes=2:temporal-mvp=0"}},
	{"idr-rps-in-slice", []string{"-c:v", "libx265", "-x265-params", "log-level=error:keyint=6:bframes=5:b-adapt=2:rc-lookahead=10:ref=3"}},
}

// TestSliceHeaderH264FFmpeg checks the H.264 slice header size of every slice
// of clips covering CABAC and CAVLC, B slices, weighted prediction, POC
// types 0 and 2, MBAFF, 4:4:4 with scaling matrices and 10-bit, against
// ffmpeg's trace_headers, then round-trips the samples through mp4ff.
func TestSliceHeaderH264FFmpeg(t *testing.T) {
	needFFmpeg(t)
	for _, c := range h264Clips {
		t.Run(c.name, func(t *testing.T) {
			f := encodeClip(t, h264, c.name, c.args...)
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			checkSlices(t, h264, splitAnnexB(b), traceSliceHeaderEnds(t, f))
		})
	}
}

// TestSliceHeaderHEVCFFmpeg is TestSliceHeaderH264FFmpeg for HEVC: multiple
// slices, WPP entry points, weighted prediction, CRA, scaling lists, SAO off,
// 4:4:4 10-bit, TMVP off, and RPS coded in slice headers.
func TestSliceHeaderHEVCFFmpeg(t *testing.T) {
	needFFmpeg(t)
	for _, c := range hevcClips {
		t.Run(c.name, func(t *testing.T) {
			f := encodeClip(t, hevc, c.name, c.args...)
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			checkSlices(t, hevc, splitAnnexB(b), traceSliceHeaderEnds(t, f))
		})
	}
}
