// probe: a plugin that turns text commands into SDK calls and reports each
// result back with sendText, so the tests in sdk.test.js see exactly what the
// SDK did. It is not an example: it exists to exercise every wrapper.

import {
  Conn, Handler, register, publish, publishBinary, log, config, configInt, setTimer, cancelTimer,
  now, Status, statusText, Result, Info, LogLevel,
} from "@socklet/sdk/assembly";

function st(s: Status): string {
  return s == Status.OK ? "ok" : "err:" + statusText(s);
}

function res(r: Result<string>): string {
  return r.ok ? r.value : "err:" + statusText(r.status);
}

let keep: Conn | null = null;
let garbage: Array<string> = [];

class Probe extends Handler {
  onOpen(conn: Conn): i32 {
    let p = conn.path;
    if (p == "/reject") return 403;
    if (p == "/bad") return 42;
    return 0;
  }

  onText(conn: Conn, text: string): void {
    let sp = text.indexOf(" ");
    let cmd = sp < 0 ? text : text.substring(0, sp);
    let arg = sp < 0 ? "" : text.substring(sp + 1);
    if (cmd == "info") {
      conn.sendText([conn.path, conn.query, conn.remoteAddr, conn.subprotocol, conn.origin, res(conn.info(<Info>9))].join("|"));
    } else if (cmd == "header") {
      conn.sendText(res(conn.header(arg)));
    } else if (cmd == "config") {
      conn.sendText(res(config(arg)));
    } else if (cmd == "configInt") {
      conn.sendText(configInt(arg, -1).toString());
    } else if (cmd == "attach") {
      conn.sendText(st(conn.attach(arg)));
    } else if (cmd == "attachBytes") {
      let b = new Uint8Array(3);
      b[0] = 1; b[1] = 2; b[2] = 255;
      conn.sendText(st(conn.attach(b)));
    } else if (cmd == "attachment") {
      conn.sendText(res(conn.attachmentText()));
    } else if (cmd == "attachmentLen") {
      let r = conn.attachment();
      conn.sendText(r.ok ? r.value.length.toString() : "err:" + statusText(r.status));
    } else if (cmd == "sub" || cmd == "unsub") {
      let r = cmd == "sub" ? conn.subscribe(arg) : conn.unsubscribe(arg);
      conn.sendText(r.ok ? (r.value ? "true" : "false") : "err:" + statusText(r.status));
    } else if (cmd == "pub" || cmd == "pubAll" || cmd == "pubBin") {
      let sp2 = arg.indexOf(" ");
      let topic = sp2 < 0 ? arg : arg.substring(0, sp2);
      let msg = sp2 < 0 ? "" : arg.substring(sp2 + 1);
      let r = cmd == "pub" ? publish(topic, msg, conn)
        : cmd == "pubAll" ? publish(topic, msg)
        : publishBinary(topic, String.UTF8.encode(msg), conn);
      conn.sendText(r.ok ? "n=" + r.value.toString() : "err:" + statusText(r.status));
    } else if (cmd == "ping") {
      let b = new Uint8Array(<i32>parseInt(arg));
      conn.sendText(st(conn.ping(b)));
    } else if (cmd == "close") {
      let sp2 = arg.indexOf(" ");
      let code = <i32>parseInt(sp2 < 0 ? arg : arg.substring(0, sp2));
      conn.sendText(st(conn.close(code, sp2 < 0 ? "" : arg.substring(sp2 + 1))));
    } else if (cmd == "timer") {
      let sp2 = arg.indexOf(" ");
      conn.sendText(st(setTimer(<i32>parseInt(arg.substring(0, sp2)), <u64>parseInt(arg.substring(sp2 + 1)))));
      keep = conn;
    } else if (cmd == "cancel") {
      conn.sendText(st(cancelTimer(<u64>parseInt(arg))));
    } else if (cmd == "now") {
      conn.sendText(now().toString());
    } else if (cmd == "log") {
      conn.sendText(st(log(LogLevel.Warn, arg)));
    } else if (cmd == "binKinds") {
      conn.sendBinary(String.UTF8.encode("ab"));
      conn.sendBinary("cd");
      let u16 = new Uint16Array(1);
      u16[0] = 0x0201;
      conn.sendBinary(u16);
      conn.sendBinary(new Uint8Array(0));
    } else if (cmd == "big") {
      conn.sendText("x".repeat(<i32>parseInt(arg)));
    } else if (cmd == "bigHeader") {
      // Forces the output buffer to grow while a long name sits in the argument buffer.
      conn.sendText(res(conn.header(arg)).length.toString());
    } else if (cmd == "surrogate") {
      conn.sendText(String.fromCharCode(0xd800));
    } else if (cmd == "sendTo") {
      conn.sendText(st(new Conn(<u64>parseInt(arg)).sendText("hi")));
    } else if (cmd == "keep") {
      // Holds garbage alive across events: the GC must keep it.
      garbage.push(arg);
      let total = 0;
      for (let i = 0; i < garbage.length; i++) total += garbage[i].length;
      conn.sendText(total.toString());
    } else if (cmd == "abort") {
      let a = new Array<i32>(1);
      a[0] = a[5]; // out of range: aborts
    } else {
      conn.sendText(text);
    }
  }

  onBinary(conn: Conn, data: Uint8Array): void {
    conn.sendBinary(data);
  }

  onPong(conn: Conn, data: Uint8Array): void {
    conn.sendText("pong " + data.length.toString());
  }

  onClose(conn: Conn, code: i32, reason: string): void {
    log(LogLevel.Info, "closed " + conn.id.toString() + " " + code.toString() + " " + reason);
  }

  onTimer(id: u64): void {
    if (keep !== null) changetype<Conn>(keep).sendText("timer " + id.toString());
  }

  onResume(conn: Conn): void {
    conn.sendText("resumed " + conn.attachmentText().value);
  }
}

register(new Probe());

// Top-level code runs in _initialize (asc --exportStart), where the host
// functions that need no connection work.
log(LogLevel.Debug, "probe: started, greeting=" + config("greeting").or("none"));

export * from "@socklet/sdk/assembly/exports";
