// Command __NAME__ is a socklet plugin. It starts as an echo server that
// prefixes text with the route config value "prefix"; make it yours.
package main

import socklet "github.com/socklet/socklet/sdk/go"

type handler struct{ socklet.Default }

func (handler) OnOpen(c socklet.Conn) error {
	addr, _ := c.Info(socklet.InfoRemoteAddr)
	socklet.Log(socklet.LevelInfo, "__NAME__: hello "+addr)
	return nil
}

func (handler) OnText(c socklet.Conn, msg []byte) {
	prefix, _ := socklet.Config("prefix") // "" when the route sets none
	if err := c.SendText(append([]byte(prefix), msg...)); err != nil {
		socklet.Log(socklet.LevelWarn, "__NAME__: "+err.Error())
	}
}

func (handler) OnBinary(c socklet.Conn, msg []byte) { _ = c.SendBinary(msg) }

// Serve must be called from init: the host runs init (through the module's
// _initialize export), never main.
func init() { socklet.Serve(handler{}) }

func main() {}
