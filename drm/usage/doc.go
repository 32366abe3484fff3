// Package usage is the content key usage rules of a streaming locator: which
// key encrypts which track, selected by track kind (video, audio), by video
// height (SD, HD, UHD tiers) or by track name, as exchange.md's "Usage
// rules" and CPIX's ContentKeyUsageRule express them.
//
// It is pure: no I/O, no key material, only the standard library. The key
// client validates a locator's keys with it against the asset's tracks
// (Check), the origin picks a track's key with it on the segment path
// (Select, which does not allocate), and a CPIX writer reads a rule's kind
// and height range (Rule.Heights) or the pixel range that selects the same
// tracks of an asset (PixelRange) to write VideoFilter@minPixels/@maxPixels
// and AudioFilter.
package usage
