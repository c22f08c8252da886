package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/socklet/socklet/plugins"
)

const checkUsage = `Usage: socklet check PLUGIN.wasm

Prints what the module exports and imports, and whether it is a valid
socklet ABI v1 plugin; if not, every reason why. Exit code 0 when valid,
3 when not.

`

func cmdCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", checkUsage, stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"check takes exactly one PLUGIN.wasm"}
	}
	wasm, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	report, err := plugins.Inspect(context.Background(), wasm)
	if err != nil {
		return invalidError{fmt.Errorf("%s: %w", fs.Arg(0), err)}
	}
	fmt.Fprint(stdout, report.String())
	if !report.Valid {
		return invalidError{fmt.Errorf("%s is not a valid socklet plugin", fs.Arg(0))}
	}
	return nil
}
