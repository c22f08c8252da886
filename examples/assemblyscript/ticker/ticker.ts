// ticker: a clock that publishes to every interested connection.
//
// Each connection is subscribed to topic "ticks" when it opens. While at
// least one connection is subscribed, a timer fires every interval_ms
// milliseconds ([route.config] key "interval_ms", default 1000) and publishes
//     {"tick":<count>,"now_ms":<host time in ms>}
// to "ticks". A connection sends "/stop" to leave the topic and "/start" to
// join it again (each answered with "stopped" / "started"); anything else
// gets the list of commands. When no subscriber remains the timer is
// cancelled, and the next "/start" or new connection starts it again.
//
// Who is subscribed lives in the host (the topic, and the attachment "stopped"
// of a connection that left it), so a reload rebuilds the count in onResume.
// The tick count itself is instance state and starts again at 0 after a reload.

import {
  Conn, Handler, LogLevel, Status, cancelTimer, configInt, log, now, publish, register, setTimer, statusText,
} from "@socklet/sdk/assembly";

const TOPIC = "ticks";
const TICK: u64 = 1; // the timer id
const STOPPED = "stopped";

class Ticker extends Handler {
  private subscribers: Set<u64> = new Set<u64>();
  private ticks: u64 = 0;
  private running: bool = false;
  private interval: i32 = 0;

  onOpen(conn: Conn): i32 {
    return this.join(conn) ? 0 : 500;
  }

  onText(conn: Conn, text: string): void {
    if (text == "/stop") {
      this.leave(conn);
      conn.attach(STOPPED);
      conn.sendText("stopped");
    } else if (text == "/start") {
      if (this.join(conn)) {
        conn.attach("");
        conn.sendText("started");
      } else {
        conn.sendText("error: cannot subscribe");
      }
    } else {
      conn.sendText("commands: /start /stop");
    }
  }

  onClose(conn: Conn, code: i32, reason: string): void {
    this.leave(conn);
  }

  onResume(conn: Conn): void {
    // A fresh instance after a reload: count the connections that had not
    // stopped, and run the timer again if any did not.
    if (conn.attachmentText().value != STOPPED) this.join(conn);
  }

  onTimer(id: u64): void {
    if (id != TICK) return;
    this.running = false;
    if (this.subscribers.size == 0) return;
    this.ticks++;
    let msg = '{"tick":' + this.ticks.toString() + ',"now_ms":' + now().toString() + "}";
    let r = publish(TOPIC, msg);
    if (!r.ok) log(LogLevel.Warn, "ticker: publish: " + statusText(r.status));
    this.arm();
  }

  /** join subscribes conn and makes sure the timer runs; false if the host refused. */
  private join(conn: Conn): bool {
    let r = conn.subscribe(TOPIC);
    if (!r.ok) {
      log(LogLevel.Error, "ticker: subscribe: " + statusText(r.status));
      return false;
    }
    this.subscribers.add(conn.id);
    this.arm();
    return true;
  }

  /** leave unsubscribes conn and stops the timer when nobody is left. */
  private leave(conn: Conn): void {
    conn.unsubscribe(TOPIC);
    this.subscribers.delete(conn.id);
    if (this.subscribers.size == 0 && this.running) {
      cancelTimer(TICK);
      this.running = false;
    }
  }

  private arm(): void {
    if (this.running) return;
    if (this.interval == 0) {
      let ms = configInt("interval_ms", 1000);
      this.interval = ms >= 1 && ms <= i32.MAX_VALUE ? <i32>ms : 1000;
    }
    let st = setTimer(this.interval, TICK);
    if (st != Status.OK) {
      log(LogLevel.Error, "ticker: timer: " + statusText(st));
      return;
    }
    this.running = true;
  }
}

register(new Ticker());

export * from "@socklet/sdk/assembly/exports";
