//go:build !race

package origin

const raceOn = false
