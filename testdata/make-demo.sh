#!/bin/sh
# make-demo.sh generates the demo assets under testdata/media/ with ffmpeg.
#
#   testdata/media/demo/  two H.264 renditions, AAC in English and French, demo.ism
#   testdata/media/hevc/  one HEVC (hvc1) rendition and one AAC track, no .ism
#   testdata/media/legacy/ one H.264 track with absolute base_data_offsets
#   testdata/media/progressive/ one progressive MP4: H.264 (B-frames) and AAC
#
# Every track file but the progressive one is a fragmented MP4 (ftyp, moov with mvex, moof+mdat pairs)
# with one track; video fragments are 2 s and start with a keyframe, so the
# renditions' fragments are aligned. AAC is encoded without perceptual noise
# substitution (-aac_pns 0) so that a decode that starts mid-stream matches the
# reference. The demo files end with an mfra; the HEVC video starts with a
# global sidx and the HEVC asset's audio has neither, so that all three ways of
# indexing a track file are exercised. The output is written to temporary names and moved into place, so
# the script can be re-run; bitexact flags keep it as reproducible as x264 and
# x265 allow.
#
# Usage: testdata/make-demo.sh   (from any directory; needs ffmpeg)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
demo="$here/media/demo"
hevc="$here/media/hevc"
mkdir -p "$demo" "$hevc"

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }

common="-map_metadata -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact"
vfrag="-movflags +frag_keyframe+empty_moov+default_base_moof"
afrag="-frag_duration 2000000 -movflags +empty_moov+default_base_moof"

# video WIDTH HEIGHT BITRATE SECONDS OUT
video() {
	# shellcheck disable=SC2086
	ff -f lavfi -i "testsrc2=size=$1x$2:rate=25:duration=$4" \
		-c:v libx264 -preset medium -profile:v high -pix_fmt yuv420p \
		-b:v "$3" -maxrate "$3" -bufsize "$3" \
		-g 50 -keyint_min 50 -sc_threshold 0 -x264-params threads=1 \
		$common $vfrag -f mp4 "$5.tmp"
	mv "$5.tmp" "$5"
}

# audio FREQ LANG SECONDS OUT
audio() {
	# shellcheck disable=SC2086
	ff -f lavfi -i "sine=frequency=$1:sample_rate=48000:duration=$3" \
		-filter:a "aformat=channel_layouts=stereo" \
		-c:a aac -aac_pns 0 -b:a 96k -ar 48000 -ac 2 \
		-metadata:s:a:0 language="$2" \
		$common $afrag -f mp4 "$4.tmp"
	mv "$4.tmp" "$4"
}

video 640 360 600k 8 "$demo/video_640x360.mp4"
video 320 180 250k 8 "$demo/video_320x180.mp4"
audio 440 eng 8 "$demo/audio_eng.mp4"
audio 660 fra 8 "$demo/audio_fra.mp4"

cat >"$demo/demo.ism.tmp" <<'ISM'
<?xml version="1.0" encoding="utf-8"?>
<smil xmlns="http://www.w3.org/2001/SMIL20/Language">
  <head>
    <meta name="formats" content="mp4"/>
  </head>
  <body>
    <switch>
      <video src="video_640x360.mp4" systemBitrate="600000">
        <param name="trackName" value="video" valuetype="data"/>
      </video>
      <video src="video_320x180.mp4" systemBitrate="250000">
        <param name="trackName" value="video" valuetype="data"/>
      </video>
      <audio src="audio_eng.mp4" systemBitrate="96000" systemLanguage="eng">
        <param name="trackName" value="audio_eng" valuetype="data"/>
      </audio>
      <audio src="audio_fra.mp4" systemBitrate="96000" systemLanguage="fra">
        <param name="trackName" value="audio_fra" valuetype="data"/>
      </audio>
    </switch>
  </body>
</smil>
ISM
mv "$demo/demo.ism.tmp" "$demo/demo.ism"

# shellcheck disable=SC2086
ff -f lavfi -i "testsrc2=size=320x180:rate=25:duration=4" \
	-c:v libx265 -preset fast -tag:v hvc1 -pix_fmt yuv420p -b:v 200k \
	-x265-params "keyint=50:min-keyint=50:scenecut=0:open-gop=0:pools=1:frame-threads=1:log-level=error" \
	$common $vfrag+global_sidx -f mp4 "$hevc/video_hevc.mp4.tmp"
mv "$hevc/video_hevc.mp4.tmp" "$hevc/video_hevc.mp4"
afrag="$afrag+skip_trailer"
audio 440 eng 4 "$hevc/audio.mp4"

# A legacy-style fragmented file: tfhd with an absolute base_data_offset and
# no default-base-is-moof, which the CMAF output must rewrite.
legacy="$here/media/legacy"
mkdir -p "$legacy"
# shellcheck disable=SC2086
ff -f lavfi -i "testsrc2=size=160x90:rate=25:duration=4" \
	-c:v libx264 -preset medium -b:v 100k -g 50 -keyint_min 50 -sc_threshold 0 \
	-x264-params threads=1 $common -movflags +frag_keyframe+empty_moov \
	-f mp4 "$legacy/video_bdo.mp4.tmp"
mv "$legacy/video_bdo.mp4.tmp" "$legacy/video_bdo.mp4"

# A progressive (non-fragmented) MP4 as encoders write it: H.264 with
# B-frames and AAC in one file, moov first (+faststart), the edit lists
# ffmpeg writes for the B-frame delay and the AAC priming. The origin cuts it
# into 2 s fragments on the fly.
prog="$here/media/progressive"
mkdir -p "$prog"
# shellcheck disable=SC2086
ff -f lavfi -i "testsrc2=size=320x180:rate=25:duration=8" \
	-f lavfi -i "sine=frequency=550:sample_rate=48000:duration=8" \
	-c:v libx264 -preset medium -profile:v high -pix_fmt yuv420p -b:v 250k -bf 2 \
	-g 50 -keyint_min 50 -sc_threshold 0 -x264-params threads=1 \
	-c:a aac -aac_pns 0 -b:a 96k -ar 48000 -ac 2 -metadata:s:a:0 language=eng \
	$common -movflags +faststart -f mp4 "$prog/progressive.mp4.tmp"
mv "$prog/progressive.mp4.tmp" "$prog/progressive.mp4"
