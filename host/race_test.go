//go:build race

package host

// raceEnabled is true under -race, where the load tests run smaller: the
// detector slows every goroutine several times over.
const raceEnabled = true
