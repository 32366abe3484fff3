// Plays a streaming URL in headless Chromium through the origin's player page
// and prints one JSON line: {"ok", "player", "currentTime", "error", "decoded"}.
//
// usage: node web/e2e/play.mjs PLAYER_PAGE_URL STREAM_URL [--token T] [--player shaka|hls|dashjs]
//        [--seconds N] [--timeout MS] [--trickplay RATE]
// --trickplay RATE (shaka): once playback has reached N seconds, shaka's trickPlay(RATE); the
// result's "trick" says how many trick-mode segments (KeyFrames(...)) were fetched before and
// after, and ok needs some after and none before.
// --live MS: a live stream: once playing, the result's "live" holds two polls of currentTime and of the
// end of video.seekable (the player's DVR window; buffered when the player sets none) taken while
// playback goes on, the second when both grew or after MS; ok needs both to have grown, with no error.
// Uses Debian's /usr/bin/chromium (CHROMIUM overrides) driven by playwright-core;
// it never downloads a browser.
import { chromium } from 'playwright-core';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf('--' + name);
  return i >= 0 ? args[i + 1] : def;
};
const [page, stream] = args;
if (!page || !stream) {
  console.error('usage: play.mjs PLAYER_PAGE_URL STREAM_URL [--token T] [--player P] [--seconds N] [--timeout MS]');
  process.exit(2);
}
const seconds = Number(opt('seconds', '3'));
const timeout = Number(opt('timeout', '30000'));
const url = new URL(page);
url.searchParams.set('url', stream);
if (opt('token')) url.searchParams.set('token', opt('token'));
if (opt('player')) url.searchParams.set('player', opt('player'));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--autoplay-policy=no-user-gesture-required'],
});
const result = { ok: false, player: null, currentTime: 0, error: null, decoded: {}, console: [], trick: null, live: null };
try {
  const ctx = await browser.newContext();
  const p = await ctx.newPage();
  p.on('console', m => { if (result.console.length < 50) result.console.push(m.type() + ': ' + m.text()); });
  p.on('response', r => { if (r.status() >= 400 && result.console.length < 50) result.console.push(`http ${r.status()} ${r.url()}`); });
  p.on('pageerror', e => { result.error = result.error || ('page error: ' + e.message); });
  let keyFrames = 0; // trick-mode segment requests (DASH trick play)
  p.on('request', r => { if (/\/KeyFrames\(/.test(r.url())) keyFrames++; });
  await p.goto(url.toString());
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const s = await p.evaluate(() => {
      const v = document.querySelector('video');
      const q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : {};
      return {
        state: window.drmoriginPlayer,
        currentTime: v.currentTime,
        videoFrames: q.totalVideoFrames || 0,
        audioBytes: v.webkitAudioDecodedByteCount || 0,
        videoBytes: v.webkitVideoDecodedByteCount || 0,
      };
    });
    result.player = s.state && s.state.player;
    result.currentTime = s.currentTime;
    result.decoded = { videoFrames: s.videoFrames, videoBytes: s.videoBytes, audioBytes: s.audioBytes };
    if (s.state && s.state.error) { result.error = s.state.error; break; }
    if (result.error) break;
    if (s.currentTime >= seconds && s.videoFrames > 0 && s.audioBytes > 0) { result.ok = true; break; }
    await new Promise(r => setTimeout(r, 250));
  }
  if (!result.ok && !result.error) result.error = `playback did not reach ${seconds}s within ${timeout}ms`;
  if (result.ok && opt('live')) {
    const poll = () => p.evaluate(() => {
      const v = document.querySelector('video');
      const r = v.seekable.length ? v.seekable : v.buffered;
      return { t: v.currentTime, end: r.length ? r.end(r.length - 1) : 0, st: window.drmoriginPlayer };
    });
    const first = await poll();
    const live = result.live = { t1: first.t, end1: first.end, t2: first.t, end2: first.end };
    const end = Date.now() + Number(opt('live'));
    while (Date.now() < end) {
      await new Promise(r => setTimeout(r, 500));
      const s = await poll();
      live.t2 = s.t; live.end2 = s.end;
      if (s.st && s.st.error) { result.error = s.st.error; break; }
      if (result.error) break;
      if (live.t2 > live.t1 + 1 && live.end2 > live.end1) break;
    }
    result.ok = !result.error && live.t2 > live.t1 + 1 && live.end2 > live.end1;
    if (!result.ok && !result.error) result.error = `live edge did not advance: ${JSON.stringify(live)}`;
  }
  if (result.ok && opt('trickplay')) {
    const rate = Number(opt('trickplay'));
    const trick = result.trick = { rate, before: keyFrames, after: 0, from: result.currentTime, to: 0 };
    await p.evaluate(r => window.drmoriginShaka.trickPlay(r), rate);
    const end = Date.now() + 10000;
    while (Date.now() < end) {
      await new Promise(r => setTimeout(r, 250));
      const s = await p.evaluate(() => ({ t: document.querySelector('video').currentTime, st: window.drmoriginPlayer }));
      trick.to = s.t;
      trick.after = keyFrames - trick.before;
      if (s.st && s.st.error) { result.error = s.st.error; break; }
      if (trick.after >= 2 && trick.to > trick.from) break;
    }
    result.ok = !result.error && trick.before === 0 && trick.after >= 2 && trick.to > trick.from;
    if (!result.ok && !result.error) result.error = `trick play: ${JSON.stringify(trick)}`;
  }
} catch (e) {
  result.error = 'harness: ' + e.message;
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
