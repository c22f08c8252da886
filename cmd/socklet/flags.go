package main

import (
	"errors"
	"flag"
	"io"
)

// newFlagSet returns a flag set that reports errors instead of exiting, and
// prints usage (then its flags) to out on --help.
func newFlagSet(name, usage string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		io.WriteString(out, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, mapping --help to errHelp and every other error
// to a usageError.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err.Error()}
	}
	return nil
}
