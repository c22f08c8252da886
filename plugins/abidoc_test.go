package plugins

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"

	"github.com/socklet/socklet/abi"
)

// namedSignature renders f as docs/abi.md does: "(conn i64, ptr i32) -> i32".
func namedSignature(f abi.Func) string {
	params := make([]string, len(f.Params))
	for i, p := range f.Params {
		params[i] = p.String()
		if i < len(f.ParamNames) {
			params[i] = f.ParamNames[i] + " " + p.String()
		}
	}
	sig := f.Signature()
	return "(" + strings.Join(params, ", ") + ")" + sig[strings.Index(sig, ") -> ")+1:]
}

func readABIDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../docs/abi.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// abiConsts returns the names of the constants of abi's file whose names
// start with prefix, in declaration order.
func abiConsts(t *testing.T, file, prefix string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../abi/"+file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			for _, n := range s.(*ast.ValueSpec).Names {
				if strings.HasPrefix(n.Name, prefix) {
					names = append(names, n.Name)
				}
			}
		}
	}
	return names
}

// TestABIDocMatchesTables keeps docs/abi.md in step with package abi: every
// export and import with its named signature, every status code, every
// limit, and the worked example.
func TestABIDocMatchesTables(t *testing.T) {
	doc := readABIDoc(t)
	for _, list := range [][]abi.Func{abi.Exports, abi.Imports} {
		for _, f := range list {
			heading := fmt.Sprintf("### `%s` `%s`\n", f.Name, namedSignature(f))
			if !strings.Contains(doc, heading) {
				t.Errorf("docs/abi.md lacks the heading %q", strings.TrimSpace(heading))
			}
		}
	}
	names := abiConsts(t, "status.go", "Status")
	statuses := abi.Statuses()
	if len(names) != len(statuses) {
		t.Fatalf("abi/status.go declares %d Status constants, Statuses() lists %d", len(names), len(statuses))
	}
	for i, s := range statuses {
		row := fmt.Sprintf("| %d | `%s` |", int32(s), names[i])
		if !strings.Contains(doc, row) {
			t.Errorf("docs/abi.md lacks the status row %q", row)
		}
	}
	limits := map[string]int{
		"MaxControlPayload": abi.MaxControlPayload,
		"MaxCloseReason":    abi.MaxCloseReason,
		"MaxTopic":          abi.MaxTopic,
		"MaxAttachment":     abi.MaxAttachment,
		"MaxTimers":         abi.MaxTimers,
		"MaxSubscriptions":  abi.MaxSubscriptions,
		"MaxLogLine":        abi.MaxLogLine,
	}
	for _, name := range abiConsts(t, "status.go", "Max") {
		v, ok := limits[name]
		if !ok {
			t.Errorf("abi.%s is new: add it to docs/abi.md and to this test", name)
			continue
		}
		if row := fmt.Sprintf("| `%s` | %d |", name, v); !strings.Contains(doc, row) {
			t.Errorf("docs/abi.md lacks the limit row %q", row)
		}
	}
	for _, c := range []struct {
		name  string
		value int
	}{
		{"InfoPath", int(abi.InfoPath)}, {"InfoQuery", int(abi.InfoQuery)}, {"InfoRemoteAddr", int(abi.InfoRemoteAddr)},
		{"InfoSubprotocol", int(abi.InfoSubprotocol)}, {"InfoOrigin", int(abi.InfoOrigin)},
		{"LogDebug", int(abi.LogDebug)}, {"LogInfo", int(abi.LogInfo)}, {"LogWarn", int(abi.LogWarn)}, {"LogError", int(abi.LogError)},
		{"OpenAccept", abi.OpenAccept}, {"OpenRejectMin", abi.OpenRejectMin}, {"OpenRejectMax", abi.OpenRejectMax},
	} {
		if s := fmt.Sprintf("`%s` %d", c.name, c.value); !strings.Contains(doc, s) {
			t.Errorf("docs/abi.md lacks %q", s)
		}
	}
	chat, err := os.ReadFile("testdata/chat.wat")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc, "```wat\n"+string(chat)+"```\n") {
		t.Error("the worked example of docs/abi.md differs from plugins/testdata/chat.wat")
	}
}
