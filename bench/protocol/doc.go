// Package protocolbench compares socklet's protocol package with
// gorilla/websocket and lxzan/gws on the same operations, through each
// library's exported API only: reading masked client frames on the server
// side, writing messages on the server side, masking (client-role writes),
// UTF-8 validation (text reads) and permessage-deflate of a 1 KiB JSON
// message. The package holds only benchmarks; see docs/benchmarks.md.
package protocolbench
