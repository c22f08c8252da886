package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportGraph keeps the package arrows one-way (docs/architecture.md):
// abi and protocol import only the standard library, plugins never imports
// protocol or host, and nothing below cmd imports cmd.
func TestImportGraph(t *testing.T) {
	const mod = "github.com/socklet/socklet"
	rules := map[string]func(dep string) bool{
		mod + "/abi":      func(dep string) bool { return !isStd(dep) && dep != mod+"/abi" },
		mod + "/protocol": func(dep string) bool { return !isStd(dep) && dep != mod+"/protocol" },
		mod + "/plugins": func(dep string) bool {
			return strings.HasPrefix(dep, mod+"/protocol") || strings.HasPrefix(dep, mod+"/host") || strings.HasPrefix(dep, mod+"/cmd")
		},
		mod + "/host/config": func(dep string) bool { return strings.HasPrefix(dep, mod+"/") && dep != mod+"/host/config" },
		mod + "/host":        func(dep string) bool { return strings.HasPrefix(dep, mod+"/cmd") },
	}
	for pkg, forbidden := range rules {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep != pkg && forbidden(dep) {
				t.Errorf("%s imports %s", pkg, dep)
			}
		}
	}
}

// isStd reports whether an import path is in the standard library (no dot
// in its first element), vendor paths of the standard library included.
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}
