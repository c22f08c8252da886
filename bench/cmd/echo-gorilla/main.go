// Command echo-gorilla is the reference echo server on gorilla/websocket,
// written the way its documentation suggests: net/http serves the upgrade and
// one goroutine per connection reads each message and writes it back.
// Every path is an echo endpoint.
package main

import (
	"flag"
	"log"
	"net/http"

	"github.com/gorilla/websocket"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "listen `ADDR`")
	flag.Parse()
	up := websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
		CheckOrigin:     func(*http.Request) bool { return true },
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(typ, p); err != nil {
				return
			}
		}
	})
	log.Printf("echo-gorilla listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, h))
}
