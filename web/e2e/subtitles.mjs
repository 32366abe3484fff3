// Plays a stream with subtitles in headless Chromium through the origin's
// player page, turns one subtitle language on and prints one JSON line:
//   {"ok", "player", "error", "tracks": [{"lang", "label"}], "cues": [{"start", "end", "text"}],
//    "frames": [{"mediaTime", "index"}], "textWaitMs"}
// tracks are the text tracks the player lists; cues every cue of the enabled
// track the player put on the video element while playing to the end; frames
// pairs the media time of presented video frames (requestVideoFrameCallback)
// with the frame number drawn in them, so that the caller can tell where the
// player put each source frame and compare cue times with frame times.
// The frame number is read from the test video's pixels: the left half's luma
// is 16*(n%16)+8 and the right half's 16*floor(n/16)+8 (see the Go test).
// textWaitMs is how long playback was held, once the track was chosen, for
// the player to show its first cues.
//
// usage: node web/e2e/subtitles.mjs PLAYER_PAGE_URL STREAM_URL --player hls|shaka --lang sv
//        [--token T] [--rate R] [--timeout MS]
import { chromium } from 'playwright-core';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf('--' + name);
  return i >= 0 ? args[i + 1] : def;
};
const [page, stream] = args;
if (!page || !stream) {
  console.error('usage: subtitles.mjs PLAYER_PAGE_URL STREAM_URL --player P --lang L [--token T] [--rate R] [--timeout MS]');
  process.exit(2);
}
const lang = opt('lang', 'sv');
const rate = Number(opt('rate', '2'));
const timeout = Number(opt('timeout', '40000'));
const url = new URL(page);
url.searchParams.set('url', stream);
if (opt('token')) url.searchParams.set('token', opt('token'));
url.searchParams.set('player', opt('player', 'hls'));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--autoplay-policy=no-user-gesture-required'],
});
const result = { ok: false, player: null, error: null, tracks: [], cues: [], frames: [], console: [] };
try {
  const ctx = await browser.newContext();
  const p = await ctx.newPage();
  p.on('console', m => { if (result.console.length < 50) result.console.push(m.type() + ': ' + m.text()); });
  p.on('response', r => { if (r.status() >= 400 && result.console.length < 50) result.console.push(`http ${r.status()} ${r.url()}`); });
  p.on('pageerror', e => { result.error = result.error || ('page error: ' + e.message); });
  await p.goto(url.toString());
  const deadline = Date.now() + timeout;

  // Wait for playback to start (players ignore a text track choice made
  // while loading) and the player to list its text tracks, then enable the
  // wanted one.
  let enabled = false;
  while (Date.now() < deadline && !enabled) {
    const r = await p.evaluate((lang) => {
      const st = window.drmoriginPlayer;
      if (!st || !window.drmoriginInstance) return { wait: true };
      if (st.error) return { error: st.error };
      if (document.querySelector('video').currentTime <= 0) return { wait: true };
      const pl = window.drmoriginInstance;
      let tracks = [];
      if (st.player === 'hls') {
        tracks = (pl.subtitleTracks || []).map(t => ({ lang: t.lang || '', label: t.name || '' }));
        const i = tracks.findIndex(t => t.lang === lang);
        if (i < 0) return { wait: true, tracks };
        pl.subtitleTrack = i;
        pl.subtitleDisplay = true;
      } else if (st.player === 'shaka') {
        const ts = pl.getTextTracks ? pl.getTextTracks() : [];
        tracks = ts.map(t => ({ lang: t.language || '', label: t.label || '' }));
        const t = ts.find(t => t.language === lang);
        if (!t) return { wait: true, tracks };
        pl.selectTextTrack(t); // shaka 5: selecting a text track shows it
        if (pl.setTextTrackVisibility) pl.setTextTrackVisibility(true); // shaka 4
      } else {
        return { error: 'subtitles.mjs drives hls and shaka only' };
      }
      return { tracks };
    }, lang);
    if (r.error) { result.error = r.error; break; }
    if (r.tracks) result.tracks = r.tracks;
    if (!r.wait) { enabled = true; break; }
    await new Promise(r => setTimeout(r, 200));
  }
  if (!enabled && !result.error) result.error = `no text track with language ${lang} within ${timeout}ms: ${JSON.stringify(result.tracks)}`;

  if (enabled) {
    // Hold playback until the player has put the track's first cues on the
    // video element. The player starts the text stream only when the track
    // is chosen, after playback started; on a loaded machine (the race
    // detector, CI neighbours) the last of this short stream could be
    // played before the first text segment arrived, and no cue seen.
    // textWaitMs says how long it took; a text stream that never comes
    // still ends with no cues, and the test fails.
    const waitFrom = Date.now();
    await p.evaluate(() => document.querySelector('video').pause());
    while (Date.now() < deadline) {
      const n = await p.evaluate(() => {
        let n = 0;
        for (const t of document.querySelector('video').textTracks) {
          if (t.mode === 'showing' && t.cues) n += t.cues.length;
        }
        return n;
      });
      if (n > 0) break;
      await new Promise(r => setTimeout(r, 50));
    }
    result.textWaitMs = Date.now() - waitFrom;
    // Record frames as they are presented, and play on to the end (no seek
    // back: a seek while the text stream starts can lose the first cues;
    // the text segment of the current time holds every cue from its start).
    await p.evaluate((rate) => {
      const v = document.querySelector('video');
      const c = document.createElement('canvas');
      const g = c.getContext('2d', { willReadFrequently: true });
      const st = window.drmoriginPlayer;
      st.frames = [];
      const luma = (x, y) => { const d = g.getImageData(x, y, 1, 1).data; return 0.299 * d[0] + 0.587 * d[1] + 0.114 * d[2]; };
      // A level 16*k+8 (limited range once converted to RGB: read with a
      // tolerance); anything off the grid (a black frame) is -1.
      const level = (l) => { const k = Math.round((l - 8) / 16); return k >= 0 && k < 16 && Math.abs(l - (16 * k + 8)) < 6.5 ? k : -1; };
      const onFrame = (now, meta) => {
        if (v.videoWidth > 0 && st.frames.length < 2000) {
          c.width = v.videoWidth; c.height = v.videoHeight;
          g.drawImage(v, 0, 0);
          const lo = level(luma(c.width / 4, c.height / 2));
          const hi = level(luma(3 * c.width / 4, c.height / 2));
          st.frames.push({ mediaTime: meta.mediaTime, index: lo < 0 || hi < 0 ? -1 : hi * 16 + lo });
        }
        v.requestVideoFrameCallback(onFrame);
      };
      v.requestVideoFrameCallback(onFrame);
      v.playbackRate = rate;
      v.play().catch(() => {});
    }, rate);
    const cues = new Map();
    while (Date.now() < deadline) {
      const s = await p.evaluate(() => {
        const v = document.querySelector('video');
        const out = [];
        for (const t of v.textTracks) {
          if (t.mode !== 'showing' || !t.cues) continue;
          for (const c of t.cues) out.push({ start: c.startTime, end: c.endTime, text: c.text });
        }
        const st = window.drmoriginPlayer;
        return { cues: out, ended: v.ended, time: v.currentTime, duration: v.duration, error: st.error };
      });
      for (const c of s.cues) cues.set(`${c.start}|${c.end}|${c.text}`, c);
      if (s.error) { result.error = s.error; break; }
      if (s.ended || (s.duration > 0 && s.time >= s.duration - 0.3)) { result.ok = true; break; }
      await new Promise(r => setTimeout(r, 200));
    }
    result.cues = [...cues.values()].sort((a, b) => a.start - b.start);
    result.frames = await p.evaluate(() => window.drmoriginPlayer.frames || []);
    if (!result.ok && !result.error) result.error = `playback did not end within ${timeout}ms`;
  }
} catch (e) {
  result.error = 'harness: ' + e.message;
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
