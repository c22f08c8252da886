// Package abi is the single source of truth for socklet's plugin ABI, version 1.
//
// A plugin is a WebAssembly module. The host calls the guest exports listed in
// [Exports] when events happen on the plugin's connections, and the guest calls
// the host functions listed in [Imports], all in the import module [Module].
// docs/abi.md is the human specification of this package; the two must agree.
//
// Conventions of the contract:
//   - A connection handle is an i64 that is never 0 and never reused during a
//     host's life. It is valid only for the plugin (route) that owns it; any
//     other handle is refused with [StatusBadHandle], never a trap.
//   - Pointers, lengths and capacities are i32 offsets and sizes into the
//     guest's exported linear memory "memory".
//   - Every host function returns an i32 (except now_ms, which returns an i64):
//     >= 0 means success (or a length or count), < 0 is a [Status].
//   - Arguments come in the order: connection, then (ptr, len) pairs, then
//     scalars, then an output (buf, cap) last. close keeps (conn, code, ptr,
//     len) to mirror socklet_on_close.
//   - A call whose result does not fit its output buffer's cap returns the
//     length it needs and writes nothing.
//
// Package abi imports nothing: it is shared by the host and by Go guests.
package abi

// Version is the ABI version this package describes.
const Version = 1

// Module is the import module name of every host function.
const Module = "socklet"

// MarkerExport is the export that marks a module as speaking ABI v1. Its
// signature is () -> (). A module without it is not a socklet plugin.
const MarkerExport = "socklet_abi_v1"

// MemoryExport is the name under which a plugin must export its linear memory.
const MemoryExport = "memory"

// InitializeExport is the WASI reactor initializer. When a module exports it
// (standard Go with -buildmode=c-shared does), the host calls it once after
// instantiation and before any other export.
const InitializeExport = "_initialize"

// ValueType is a WebAssembly value type, encoded as in the binary format (and
// as wazero's api.ValueType).
type ValueType byte

// The value types used by the ABI.
const (
	I32 ValueType = 0x7f
	I64 ValueType = 0x7e
)

// String returns the WebAssembly text name of t.
func (t ValueType) String() string {
	switch t {
	case I32:
		return "i32"
	case I64:
		return "i64"
	}
	return "unknown"
}

// Func describes one function of the ABI: a host import or a guest export.
type Func struct {
	Name       string
	Params     []ValueType
	ParamNames []string
	Results    []ValueType
	// Required is true for guest exports a plugin must have.
	Required bool
	// Doc is a one-line summary; docs/abi.md has the full contract.
	Doc string
}

// Signature returns f's signature in WebAssembly text form, e.g.
// "(i64, i32, i32) -> i32".
func (f Func) Signature() string {
	s := "("
	for i, p := range f.Params {
		if i > 0 {
			s += ", "
		}
		s += p.String()
	}
	s += ") -> "
	switch len(f.Results) {
	case 0:
		s += "()"
	case 1:
		s += f.Results[0].String()
	default:
		s += "("
		for i, r := range f.Results {
			if i > 0 {
				s += ", "
			}
			s += r.String()
		}
		s += ")"
	}
	return s
}

// Names of the guest exports.
const (
	ExportAlloc   = "socklet_alloc"
	ExportOpen    = "socklet_on_open"
	ExportText    = "socklet_on_text"
	ExportBinary  = "socklet_on_binary"
	ExportPong    = "socklet_on_pong"
	ExportClose   = "socklet_on_close"
	ExportTimer   = "socklet_on_timer"
	ExportResume  = "socklet_on_resume"
	ExportMarker  = MarkerExport
	ExportInitial = InitializeExport
)

// Names of the host functions (imports of module [Module]).
const (
	FuncSendText      = "send_text"
	FuncSendBinary    = "send_binary"
	FuncPing          = "ping"
	FuncClose         = "close"
	FuncSubscribe     = "subscribe"
	FuncUnsubscribe   = "unsubscribe"
	FuncPublishText   = "publish_text"
	FuncPublishBinary = "publish_binary"
	FuncConnInfo      = "conn_info"
	FuncConnHeader    = "conn_header"
	FuncAttach        = "attach"
	FuncAttachment    = "attachment"
	FuncConfig        = "config"
	FuncLog           = "log"
	FuncTimer         = "timer"
	FuncTimerCancel   = "timer_cancel"
	FuncNowMs         = "now_ms"
)

func sig(name string, params []ValueType, names []string, results []ValueType, doc string) Func {
	if len(params) != len(names) {
		panic("abi: " + name + ": parameter names do not match parameters")
	}
	return Func{Name: name, Params: params, ParamNames: names, Results: results, Doc: doc}
}

var (
	none = []ValueType{}
	i32  = []ValueType{I32}
	i64  = []ValueType{I64}
)

// Exports lists every guest export the host knows, in the order of docs/abi.md.
// A plugin must export those marked Required; any other it exports must have
// exactly the listed signature.
var Exports = []Func{
	{Name: ExportMarker, Params: none, Results: none, Required: true,
		Doc: "marker: this module speaks socklet ABI v1"},
	{Name: ExportAlloc, Params: i32, ParamNames: []string{"size"}, Results: i32, Required: true,
		Doc: "lends room for at least size bytes of event payloads, or returns 0; the room stays the host's until the next socklet_alloc"},
	sig(ExportOpen, i64, []string{"conn"}, i32,
		"a client asks to connect, before the 101 response; 0 accepts, 400-599 rejects with that HTTP status"),
	sig(ExportText, []ValueType{I64, I32, I32}, []string{"conn", "ptr", "len"}, none,
		"a whole text message (valid UTF-8)"),
	sig(ExportBinary, []ValueType{I64, I32, I32}, []string{"conn", "ptr", "len"}, none,
		"a whole binary message"),
	sig(ExportPong, []ValueType{I64, I32, I32}, []string{"conn", "ptr", "len"}, none,
		"a pong frame's payload"),
	sig(ExportClose, []ValueType{I64, I32, I32, I32}, []string{"conn", "code", "ptr", "len"}, none,
		"the connection ended: once per connection this instance opened or resumed (none after the instance failed); code 1006 when no close frame was received"),
	sig(ExportTimer, i64, []string{"id"}, none,
		"a timer set with timer(delay_ms, id) fired"),
	sig(ExportResume, i64, []string{"conn"}, none,
		"this live connection was carried over to a new instance by a reload or crash recovery"),
	{Name: ExportInitial, Params: none, Results: none,
		Doc: "WASI reactor initializer, called once after instantiation when exported"},
}

// Imports lists every host function of module [Module]. A plugin may import
// any subset; each import must have exactly the listed signature.
var Imports = []Func{
	sig(FuncSendText, []ValueType{I64, I32, I32}, []string{"conn", "ptr", "len"}, i32,
		"queue a text message (must be valid UTF-8) to conn"),
	sig(FuncSendBinary, []ValueType{I64, I32, I32}, []string{"conn", "ptr", "len"}, i32,
		"queue a binary message to conn"),
	sig(FuncPing, []ValueType{I64, I32, I32}, []string{"conn", "ptr", "len"}, i32,
		"queue a ping (payload at most 125 bytes)"),
	sig(FuncClose, []ValueType{I64, I32, I32, I32}, []string{"conn", "code", "ptr", "len"}, i32,
		"start the closing handshake with code and reason (at most 123 bytes of UTF-8)"),
	sig(FuncSubscribe, []ValueType{I64, I32, I32}, []string{"conn", "topic_ptr", "topic_len"}, i32,
		"add conn to a topic of this route; 0 if added, 1 if it was already there"),
	sig(FuncUnsubscribe, []ValueType{I64, I32, I32}, []string{"conn", "topic_ptr", "topic_len"}, i32,
		"remove conn from a topic; 0 if removed, 1 if it was not there"),
	sig(FuncPublishText, []ValueType{I32, I32, I32, I32, I64}, []string{"topic_ptr", "topic_len", "ptr", "len", "except_conn"}, i32,
		`queue a text message to every subscriber of topic ("" = every connection of the route) but except_conn; returns the receiver count`),
	sig(FuncPublishBinary, []ValueType{I32, I32, I32, I32, I64}, []string{"topic_ptr", "topic_len", "ptr", "len", "except_conn"}, i32,
		"as publish_text, for a binary message"),
	sig(FuncConnInfo, []ValueType{I64, I32, I32, I32}, []string{"conn", "key", "buf", "cap"}, i32,
		"copy a fact about conn (an Info key) into buf; returns its length"),
	sig(FuncConnHeader, []ValueType{I64, I32, I32, I32, I32}, []string{"conn", "name_ptr", "name_len", "buf", "cap"}, i32,
		"copy a request header of conn's handshake into buf (several values joined by \", \"); StatusNotFound if absent"),
	sig(FuncAttach, []ValueType{I64, I32, I32}, []string{"conn", "ptr", "len"}, i32,
		"store bytes with conn in the host (replacing earlier ones); they survive reloads and crashes"),
	sig(FuncAttachment, []ValueType{I64, I32, I32}, []string{"conn", "buf", "cap"}, i32,
		"copy conn's attached bytes into buf; returns their length (0 if none)"),
	sig(FuncConfig, []ValueType{I32, I32, I32, I32}, []string{"key_ptr", "key_len", "buf", "cap"}, i32,
		"copy a value of the route's [route.config] table into buf; StatusNotFound if absent"),
	sig(FuncLog, []ValueType{I32, I32, I32}, []string{"level", "ptr", "len"}, i32,
		"write a line to the plugin's log at a LogLevel"),
	sig(FuncTimer, []ValueType{I32, I64}, []string{"delay_ms", "id"}, i32,
		"fire socklet_on_timer(id) once after delay_ms on this instance; an id already set is re-armed"),
	sig(FuncTimerCancel, i64, []string{"id"}, i32,
		"cancel timer id; 0 if cancelled, StatusNotFound if it was not set"),
	sig(FuncNowMs, none, []string{}, i64,
		"wall-clock time in milliseconds since the Unix epoch"),
}

// Export returns the export named name and whether it is part of the ABI.
func Export(name string) (Func, bool) { return find(Exports, name) }

// Import returns the host function named name and whether it exists.
func Import(name string) (Func, bool) { return find(Imports, name) }

func find(fs []Func, name string) (Func, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f, true
		}
	}
	return Func{}, false
}
