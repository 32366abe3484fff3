package live

import (
	"context"
	"errors"
	"io"
	"time"
)

// The boundary between the origin (resources, listeners) and the live room.
// The origin checks an ingest request's event and access token against its
// store (403 / 404) before it calls Hub.Ingest; everything from the first
// body byte on is the Hub's.

// Output is one live output: the event's feed archived into an asset.
type Output struct {
	Event    string        // the live event's name
	Name     string        // the live output's name
	Asset    string        // the asset it creates and archives into
	Manifest string        // manifestName: {locator}/{Manifest}.ism/manifest
	Window   time.Duration // archiveWindowLength, in media (decode) time
}

// Stream is what GET liveEvents/{name} reports of one ingested stream.
type Stream struct {
	Name             string
	LastFragmentTime time.Time // wall clock of the newest fragment's arrival
	Bitrate          int       // bits per second, measured over the recent fragments
}

// Errors of Ingest that the origin maps to HTTP statuses.
var (
	// ErrNotFMP4: the body is not fragmented MP4 (400, connection closed).
	ErrNotFMP4 = errors.New("live: not fragmented MP4")
	// ErrNotRunning: the event is not started (404).
	ErrNotRunning = errors.New("live: event not running")
	// ErrRefused: a fragment was refused (decode time going backwards,
	// a codec change, an oversized box); the feed stops (400).
	ErrRefused = errors.New("live: fragment refused")
	// ErrStalled: no bytes within the stall timeout (408).
	ErrStalled = errors.New("live: feed stalled")
)

// Ingester is what the origin needs from the live room. *Hub implements it.
type Ingester interface {
	// StartEvent lets (event, *) ingest; StopEvent ends its feeds and
	// refuses new ones. Both are idempotent.
	StartEvent(event string) error
	StopEvent(event string) error
	// AddOutput starts (or, after a restart, resumes) archiving the
	// event's feed into o.Asset; the asset is live from then on.
	AddOutput(o Output) error
	// EndOutput ends the live presentation: the asset stays, as VOD, with
	// what was in the window.
	EndOutput(event, output string) error
	// Ingest reads one encoder POST body for (event, stream) until EOF,
	// ctx is done, or an error (one of the errors above, wrapped).
	Ingest(ctx context.Context, event, stream string, body io.Reader) error
	// Streams reports the event's streams.
	Streams(event string) []Stream
}
