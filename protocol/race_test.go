//go:build race

package protocol

// raceEnabled is true under -race, where sync.Pool drops items at random
// (so pooled paths allocate) and allocation counts mean nothing.
const raceEnabled = true
