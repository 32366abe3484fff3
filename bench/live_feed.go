package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The live step's encoder feed. The encoder is not what is measured: ffmpeg
// encodes the feed once into a file (ffmpeg's ismv muxer, as it sends it
// over HTTP), the file is cached, and the step replays its fragments at
// the media's pace over one long chunked POST, which costs the load core
// next to nothing.

// liveFeedArgs is the ffmpeg command line of the feed, less its duration
// and output: three H.264 renditions (960x540, 640x360, 320x180; 25 fps,
// 2 s closed GOPs) and AAC, in one ismv stream. The first video track is
// the highest bitrate, which the step relies on to match the feed's first
// video track with the manifest's top rendition.
var liveFeedArgs = []string{
	"-nostdin", "-hide_banner", "-loglevel", "error", "-y",
	"-f", "lavfi", "-i", "testsrc2=size=960x540:rate=25",
	"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
	"-map", "0:v", "-map", "0:v", "-map", "0:v", "-map", "1:a",
	"-c:v", "libx264", "-preset", "veryfast", "-threads", "2", "-bf", "0",
	"-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
	"-b:v:0", "1500k", "-b:v:1", "800k", "-s:v:1", "640x360", "-b:v:2", "300k", "-s:v:2", "320x180",
	"-c:a", "aac", "-b:a", "64k",
	"-map_metadata", "-1", "-fflags", "+bitexact",
	"-movflags", "isml+frag_keyframe", "-f", "ismv",
}

// MakeLiveFeed returns the path of a feed of the given length in dir,
// encoding it when dir holds none made with the same command line.
func MakeLiveFeed(dir string, d time.Duration) (string, error) {
	secs := strconv.Itoa(int(d.Round(time.Second) / time.Second))
	args := append(append([]string(nil), liveFeedArgs...), "-t", secs)
	path := filepath.Join(dir, "feed-"+secs+"s.ismv")
	stamp := path + ".made-with"
	key := []byte(strings.Join(args, " ") + "\n")
	if b, err := os.ReadFile(stamp); err == nil && bytes.Equal(b, key) {
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
	}
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		return "", errors.New("ffmpeg not found (install it: apt-get install -y ffmpeg)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	if out, err := exec.Command(ffmpeg, append(args, tmp)...).CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("ffmpeg live feed: %v: %s", err, bytes.TrimSpace(out))
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	return path, os.WriteFile(stamp, key, 0o644)
}

// FeedFragment is one moof+mdat of a feed.
type FeedFragment struct {
	Bytes []byte
	Track uint32
	// Start and End are the fragment's media time span in seconds (its
	// tfdt or tfxd decode time, plus the tfxd duration or the trun's sample
	// durations, over the track's timescale).
	Start, End float64
}

// Feed is an encoder feed cut at its fragment boundaries.
type Feed struct {
	Header []byte // ftyp, live server manifest, moov: sent first
	Frags  []FeedFragment
	Tracks []uint32 // track IDs in moov order
	Video  []uint32 // the video tracks among them, in moov order
}

// tfxdUUID is MS-SSTR's TfxdBox: the fragment's absolute time and duration.
var tfxdUUID = []byte{0x6d, 0x1d, 0x9b, 0x05, 0x42, 0xd5, 0x44, 0xe6, 0x80, 0xe2, 0x14, 0x1d, 0xaf, 0xf7, 0x57, 0xb2}

// boxes calls f for each box in b with its type and payload; it stops at
// the first box that does not fit.
func boxes(b []byte, f func(typ string, payload []byte)) error {
	for off := 0; off < len(b); {
		if len(b)-off < 8 {
			return fmt.Errorf("truncated box header at %d", off)
		}
		n := int(binary.BigEndian.Uint32(b[off:]))
		hdr := 8
		if n == 1 {
			if len(b)-off < 16 {
				return fmt.Errorf("truncated large box at %d", off)
			}
			n, hdr = int(binary.BigEndian.Uint64(b[off+8:])), 16
		}
		if n < hdr || n > len(b)-off {
			return fmt.Errorf("box %q at %d: size %d does not fit in %d bytes", b[off+4:off+8], off, n, len(b)-off)
		}
		f(string(b[off+4:off+8]), b[off+hdr:off+n])
		off += n
	}
	return nil
}

// ParseFeed cuts an ismv (or CMAF) feed into its header and fragments and
// reads each fragment's track and time span.
func ParseFeed(b []byte) (*Feed, error) {
	f := &Feed{}
	timescale := map[uint32]uint32{}
	var perr error
	off := 0
	err := boxes(b, func(typ string, p []byte) {
		n := len(p) + 8
		if perr != nil {
			return
		}
		switch typ {
		case "moov":
			perr = parseMoov(p, f, timescale)
			f.Header = append(f.Header, b[off:off+n]...)
		case "moof":
			fr, err := parseMoof(p, timescale)
			if err != nil {
				perr = fmt.Errorf("fragment %d: %w", len(f.Frags), err)
				return
			}
			fr.Bytes = b[off : off+n]
			f.Frags = append(f.Frags, fr)
		case "mdat":
			if len(f.Frags) == 0 {
				perr = errors.New("mdat before the first moof")
				return
			}
			last := &f.Frags[len(f.Frags)-1]
			last.Bytes = b[off-len(last.Bytes) : off+n]
		case "mfra":
		default:
			if len(f.Frags) == 0 {
				f.Header = append(f.Header, b[off:off+n]...)
			}
		}
		off += n
	})
	if err == nil {
		err = perr
	}
	if err != nil {
		return nil, fmt.Errorf("feed: %w", err)
	}
	if len(f.Tracks) == 0 || len(f.Frags) == 0 {
		return nil, fmt.Errorf("feed: %d tracks, %d fragments", len(f.Tracks), len(f.Frags))
	}
	return f, nil
}

func parseMoov(p []byte, f *Feed, timescale map[uint32]uint32) error {
	var err error
	boxes(p, func(typ string, trak []byte) {
		if typ != "trak" || err != nil {
			return
		}
		var id, ts uint32
		var handler string
		boxes(trak, func(typ string, q []byte) {
			switch typ {
			case "tkhd":
				if len(q) >= 24 && q[0] == 1 {
					id = binary.BigEndian.Uint32(q[20:])
				} else if len(q) >= 16 {
					id = binary.BigEndian.Uint32(q[12:])
				}
			case "mdia":
				boxes(q, func(typ string, r []byte) {
					switch typ {
					case "mdhd":
						if len(r) >= 24 && r[0] == 1 {
							ts = binary.BigEndian.Uint32(r[20:])
						} else if len(r) >= 16 {
							ts = binary.BigEndian.Uint32(r[12:])
						}
					case "hdlr":
						if len(r) >= 12 {
							handler = string(r[8:12])
						}
					}
				})
			}
		})
		if id == 0 || ts == 0 {
			err = fmt.Errorf("moov: a trak without track ID (%d) or timescale (%d)", id, ts)
			return
		}
		timescale[id] = ts
		f.Tracks = append(f.Tracks, id)
		if handler == "vide" {
			f.Video = append(f.Video, id)
		}
	})
	return err
}

func parseMoof(p []byte, timescale map[uint32]uint32) (FeedFragment, error) {
	var fr FeedFragment
	var start, dur uint64
	var haveTime bool
	var defaultDur uint32
	var sumDur uint64
	boxes(p, func(typ string, traf []byte) {
		if typ != "traf" {
			return
		}
		boxes(traf, func(typ string, q []byte) {
			switch {
			case typ == "tfhd" && len(q) >= 8:
				fr.Track = binary.BigEndian.Uint32(q[4:])
				flags := binary.BigEndian.Uint32(q[0:]) & 0xffffff
				o := 8
				if flags&0x1 != 0 {
					o += 8
				}
				if flags&0x2 != 0 {
					o += 4
				}
				if flags&0x8 != 0 && len(q) >= o+4 {
					defaultDur = binary.BigEndian.Uint32(q[o:])
				}
			case typ == "tfdt" && len(q) >= 8:
				haveTime = true
				if q[0] == 1 && len(q) >= 12 {
					start = binary.BigEndian.Uint64(q[4:])
				} else {
					start = uint64(binary.BigEndian.Uint32(q[4:]))
				}
			case typ == "uuid" && len(q) >= 16 && bytes.Equal(q[:16], tfxdUUID):
				x := q[16:]
				if len(x) >= 20 && x[0] == 1 {
					start, dur = binary.BigEndian.Uint64(x[4:]), binary.BigEndian.Uint64(x[12:])
					haveTime = true
				} else if len(x) >= 12 {
					start, dur = uint64(binary.BigEndian.Uint32(x[4:])), uint64(binary.BigEndian.Uint32(x[8:]))
					haveTime = true
				}
			case typ == "trun" && len(q) >= 8:
				flags := binary.BigEndian.Uint32(q[0:]) & 0xffffff
				n := int(binary.BigEndian.Uint32(q[4:]))
				o := 8
				if flags&0x1 != 0 {
					o += 4
				}
				if flags&0x4 != 0 {
					o += 4
				}
				per := 0
				for _, bit := range []uint32{0x100, 0x200, 0x400, 0x800} {
					if flags&bit != 0 {
						per += 4
					}
				}
				for i := 0; i < n; i++ {
					if flags&0x100 != 0 && len(q) >= o+4 {
						sumDur += uint64(binary.BigEndian.Uint32(q[o:]))
					} else {
						sumDur += uint64(defaultDur)
					}
					o += per
				}
			}
		})
	})
	ts := timescale[fr.Track]
	switch {
	case ts == 0:
		return fr, fmt.Errorf("moof of track %d, which the moov does not declare", fr.Track)
	case !haveTime:
		return fr, fmt.Errorf("moof of track %d without tfdt or tfxd", fr.Track)
	}
	if dur == 0 {
		dur = sumDur
	}
	fr.Start = float64(start) / float64(ts)
	fr.End = float64(start+dur) / float64(ts)
	return fr, nil
}

// ReplaySchedule is when each fragment's last byte is due, from the start
// of the replay: as an encoder sends them, a fragment goes once the media
// it holds has elapsed in real time since the earliest decode time of the
// feed (its end time, less that origin). Fragments are sent in order, so
// no fragment is due before the one ahead of it.
func ReplaySchedule(frags []FeedFragment) []time.Duration {
	if len(frags) == 0 {
		return nil
	}
	origin := frags[0].Start
	for _, f := range frags {
		origin = min(origin, f.Start)
	}
	out := make([]time.Duration, len(frags))
	var prev time.Duration
	for i, f := range frags {
		d := max(time.Duration((f.End-origin)*float64(time.Second)), prev)
		out[i], prev = d, d
	}
	return out
}

// Replay POSTs the feed to url as one long chunked request: the header at
// once, then each fragment when ReplaySchedule says (every fragment at once
// when paced is false). sent is called after each fragment's last byte was
// handed to the connection, with its index and the time. It returns when
// the origin has answered the request.
func Replay(ctx context.Context, url string, f *Feed, paced bool, sent func(i int, at time.Time)) error {
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, pr)
	if err != nil {
		return err
	}
	req.ContentLength = -1 // chunked, as encoders send it
	req.Header.Set("Content-Type", "video/mp4")
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode/100 != 2 {
				err = fmt.Errorf("ingest %s: %d %s", url, resp.StatusCode, bytes.TrimSpace(b))
			}
		}
		pr.CloseWithError(err)
		done <- err
	}()
	werr := func() error {
		if _, err := pw.Write(f.Header); err != nil {
			return err
		}
		sched := ReplaySchedule(f.Frags)
		start := time.Now()
		for i, fr := range f.Frags {
			if paced {
				if wait := time.Until(start.Add(sched[i])); wait > 0 {
					select {
					case <-ctx.Done():
						return ctx.Err()
					case <-time.After(wait):
					}
				}
			}
			if _, err := pw.Write(fr.Bytes); err != nil {
				return err
			}
			if sent != nil {
				sent(i, time.Now())
			}
		}
		return nil
	}()
	pw.CloseWithError(werr)
	err = <-done
	if werr != nil && !errors.Is(werr, io.ErrClosedPipe) {
		return fmt.Errorf("ingest %s: sending: %w", url, werr)
	}
	return err
}
