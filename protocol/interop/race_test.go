//go:build race

package interop

// raceEnabled: the race detector slows compress/flate about 25 times
// (16 MiB inflate: 0.27 s plain, 6.4 s with -race on this machine).
const raceEnabled = true
