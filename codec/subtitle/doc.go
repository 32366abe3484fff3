// Package subtitle reads and writes the timed text of side files: WebVTT
// (W3C WebVTT) and TTML / IMSC1 (W3C TTML2, IMSC 1.0.1 text profile).
//
// Readers are forgiving, as players are: a malformed file gives every cue
// that parses and an error naming the first problem and its line, so an
// origin can serve what it can and log the rest. Every cue keeps the
// source's times exactly (nanoseconds); nothing here knows of MP4, HTTP or
// segments (packager cuts cues at fragment times).
//
// The package imports the standard library only.
package subtitle
