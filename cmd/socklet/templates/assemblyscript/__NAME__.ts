// __NAME__: a socklet plugin. It starts as an echo server that prefixes text
// with the route config value "prefix"; make it yours.

import { Conn, Handler, LogLevel, Status, configOr, log, register, statusText } from "@socklet/sdk/assembly";

class Plugin extends Handler {
  onOpen(conn: Conn): i32 {
    log(LogLevel.Info, "__NAME__: hello " + conn.remoteAddr);
    return 0; // accept; return 400-599 to refuse with that HTTP status
  }

  onText(conn: Conn, text: string): void {
    let st = conn.sendText(configOr("prefix", "") + text);
    if (st != Status.OK) log(LogLevel.Warn, "__NAME__: " + statusText(st));
  }

  onBinary(conn: Conn, data: Uint8Array): void {
    conn.sendBinary(data);
  }
}

register(new Plugin());

// Only the entry file's exports become the module's exports: this line makes
// the socklet ABI (socklet_abi_v1, socklet_alloc, socklet_on_*) exports.
export * from "@socklet/sdk/assembly/exports";
