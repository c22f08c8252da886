// echo: sends every message back to its sender, text as text and binary as
// binary (empty and 1 MiB messages included).

import { Conn, Handler, register } from "@socklet/sdk/assembly";

class Echo extends Handler {
  onText(conn: Conn, text: string): void {
    conn.sendText(text);
  }

  onBinary(conn: Conn, data: Uint8Array): void {
    conn.sendBinary(data);
  }
}

register(new Echo());

export * from "@socklet/sdk/assembly/exports";
