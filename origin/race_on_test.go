//go:build race

package origin

// raceOn: built with -race, whose scheduler runs goroutines in a
// randomised order.
const raceOn = true
