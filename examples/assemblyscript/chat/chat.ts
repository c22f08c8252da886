// chat: one chat room.
//
// Every connection joins topic "chat" with the nick "anon-<handle>".
// "/nick NAME" renames it (the reply "nick NAME" goes to the sender only);
// any other text goes to everyone else in the room as "<nick>: text".
// Binary messages are ignored.
//
// The plugin keeps nothing in its own memory: the nick is the connection's
// attachment and the room a host topic, so both survive a hot reload.

import { Conn, Handler, LogLevel, Status, log, publish, register, statusText } from "@socklet/sdk/assembly";

const ROOM = "chat";
const NICK_COMMAND = "/nick ";

function defaultNick(conn: Conn): string {
  return "anon-" + conn.id.toString();
}

/** nick returns the connection's nick: its attachment, or the default one. */
function nick(conn: Conn): string {
  let stored = conn.attachmentText();
  return stored.ok && stored.value.length > 0 ? stored.value : defaultNick(conn);
}

class Chat extends Handler {
  onOpen(conn: Conn): i32 {
    let sub = conn.subscribe(ROOM);
    if (!sub.ok) return fail("subscribe", sub.status);
    let st = conn.attach(defaultNick(conn));
    if (st != Status.OK) return fail("attach", st);
    return 0;
  }

  onText(conn: Conn, text: string): void {
    if (text.startsWith(NICK_COMMAND)) {
      let name = text.substring(NICK_COMMAND.length);
      let st = conn.attach(name);
      if (st != Status.OK) {
        log(LogLevel.Warn, "chat: /nick: " + statusText(st));
        return;
      }
      conn.sendText("nick " + name);
      return;
    }
    let r = publish(ROOM, nick(conn) + ": " + text, conn);
    if (!r.ok) log(LogLevel.Warn, "chat: publish: " + statusText(r.status));
  }

  onClose(conn: Conn, code: i32, reason: string): void {
    // The host drops a closed connection's subscriptions anyway.
    conn.unsubscribe(ROOM);
  }
}

/** fail logs why a connection cannot join and refuses it with 500. */
function fail(what: string, st: Status): i32 {
  log(LogLevel.Error, "chat: " + what + ": " + statusText(st));
  return 500;
}

register(new Chat());

export * from "@socklet/sdk/assembly/exports";
