// Command echo is a socklet plugin that sends every message back to its
// sender: text as text, binary as binary, empty and large ones alike. A
// message the client is too slow to take (its queue is full) is dropped.
package main

import socklet "github.com/socklet/socklet/sdk/go"

type echo struct{ socklet.Default }

func (echo) OnText(c socklet.Conn, msg []byte)   { _ = c.SendText(msg) }
func (echo) OnBinary(c socklet.Conn, msg []byte) { _ = c.SendBinary(msg) }

func init() { socklet.Serve(echo{}) }

// main never runs: the host calls _initialize, which runs init.
func main() {}
