package origin

// streamWriteBuffer is the streaming listener's response write buffer. A
// cached manifest answers with its headers and its bytes through it: with
// fasthttp's default 4 KiB a manifest past about 3.7 KiB (a DASH MPD with
// content protection is 10 KiB) costs two write system calls, and on
// loopback two segments, where one does with 16 KiB. Segments are larger
// than any buffer and go out in two writes either way. The buffer is
// pooled per response (ReduceMemoryUsage), so it costs 16 KiB per response
// being written, not per connection.
const streamWriteBuffer = 16 << 10
