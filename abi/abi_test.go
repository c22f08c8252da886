package abi

import (
	"os/exec"
	"strings"
	"testing"
)

func TestTablesAreConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, list := range [][]Func{Exports, Imports} {
		for _, f := range list {
			if seen[f.Name] {
				t.Errorf("%s listed twice", f.Name)
			}
			seen[f.Name] = true
			if len(f.ParamNames) != 0 && len(f.ParamNames) != len(f.Params) {
				t.Errorf("%s: %d parameter names for %d parameters", f.Name, len(f.ParamNames), len(f.Params))
			}
			if f.Doc == "" {
				t.Errorf("%s has no doc", f.Name)
			}
		}
	}
	for _, f := range Imports {
		if f.Name == FuncNowMs {
			continue
		}
		if len(f.Results) != 1 || f.Results[0] != I32 {
			t.Errorf("host function %s must return one i32, returns %s", f.Name, f.Signature())
		}
	}
}

func TestSignature(t *testing.T) {
	cases := map[string]string{
		FuncPublishText: "(i32, i32, i32, i32, i64) -> i32",
		FuncNowMs:       "() -> i64",
		ExportClose:     "(i64, i32, i32, i32) -> ()",
		ExportMarker:    "() -> ()",
	}
	for name, want := range cases {
		f, ok := Import(name)
		if !ok {
			f, ok = Export(name)
		}
		if !ok {
			t.Fatalf("%s not found", name)
		}
		if got := f.Signature(); got != want {
			t.Errorf("%s: signature %q, want %q", name, got, want)
		}
	}
}

func TestStatuses(t *testing.T) {
	st := Statuses()
	if len(st) != 10 || st[0] != StatusOK || st[len(st)-1] != StatusLimit {
		t.Fatalf("Statuses() = %v", st)
	}
	if got := StatusQueueFull.String(); got != "queue full" {
		t.Errorf("StatusQueueFull.String() = %q", got)
	}
	if got := Status(12).String(); got != "12" {
		t.Errorf("Status(12).String() = %q", got)
	}
}

func TestSendableCloseCode(t *testing.T) {
	for code, want := range map[int32]bool{
		999: false, 1000: true, 1003: true, 1004: false, 1005: false, 1006: false,
		1007: true, 1014: true, 1015: false, 1016: false, 2999: false, 3000: true, 4999: true, 5000: false,
	} {
		if got := SendableCloseCode(code); got != want {
			t.Errorf("SendableCloseCode(%d) = %v, want %v", code, got, want)
		}
	}
}

// TestImportsNothing keeps abi a leaf: Go guests and the host both import it.
func TestImportsNothing(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/socklet/socklet/abi").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, ".") && dep != "github.com/socklet/socklet/abi" {
			t.Errorf("abi depends on %s; it must import only the standard library", dep)
		}
	}
}
