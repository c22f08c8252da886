// Command socklet is a WebSocket server whose handlers are sandboxed
// WebAssembly plugins.
//
//	socklet serve [--config FILE] [--listen ADDR]   serve (the embedded demo without --config)
//	socklet dev [--config FILE] [--listen ADDR]     serve with hot reload, rebuilding plugins on change
//	socklet check PLUGIN.wasm                       tell whether a module is a valid plugin
//	socklet new LANGUAGE NAME                       scaffold a plugin project
//	socklet version                                 print the version
//
// Exit codes: 0 success, 1 failure while running, 2 bad usage, 3 invalid
// configuration or plugin.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes a script can rely on.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitInvalid = 3
)

// usageError is a command-line mistake: exit 2 and a hint.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// invalidError is a configuration or plugin the user must fix: exit 3.
type invalidError struct{ err error }

func (e invalidError) Error() string { return e.err.Error() }
func (e invalidError) Unwrap() error { return e.err }

const mainUsage = `socklet: a WebSocket server whose handlers are WebAssembly plugins.

Usage:
  socklet serve [--config FILE] [--listen ADDR] [--reload]
                                                  serve; without --config, the embedded demo
  socklet dev [--config FILE] [--listen ADDR]     serve with hot reload; rebuild plugins when sources change
  socklet check PLUGIN.wasm                       tell whether a module is a valid ABI v1 plugin
  socklet new LANGUAGE NAME                       scaffold a plugin (rust, go, tinygo, assemblyscript)
  socklet version                                 print the version

Run 'socklet COMMAND --help' for a command's flags.
Exit codes: 0 success, 1 failure while running, 2 bad usage, 3 invalid config or plugin.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage)
		return exitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = cmdServe(rest, stdout, stderr)
	case "dev":
		err = cmdDev(rest, stdout, stderr)
	case "check":
		err = cmdCheck(rest, stdout, stderr)
	case "new":
		err = cmdNew(rest, stdout, stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "socklet %s (ABI v1)\n", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, mainUsage)
	default:
		err = usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
	return exitCode(err, stderr)
}

func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	var ie invalidError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "socklet: %s\nRun 'socklet --help' for usage.\n", ue.msg)
		return exitUsage
	case errors.As(err, &ie):
		fmt.Fprintf(stderr, "socklet: %s\n", ie.err)
		return exitInvalid
	}
	fmt.Fprintf(stderr, "socklet: %s\n", err)
	return exitFailure
}

// errHelp reports that a command printed its help on request.
var errHelp = errors.New("help requested")
