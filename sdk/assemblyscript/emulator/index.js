// socklet host emulator for plugins compiled to WebAssembly (any language,
// written for the AssemblyScript SDK's tests).
//
// It instantiates a plugin .wasm under Node.js with a fake "socklet" import
// module that follows ABI v1 (abi/abi.go, docs/abi.md): it validates handles,
// UTF-8, limits and buffers like the real host, records everything the plugin
// does (sends, closes, publishes, logs, timers), and lets a test drive events
// (open, text, binary, pong, close, timers, resume after a reload).
//
//     import { Emulator } from "@socklet/sdk/emulator";
//     const host = await Emulator.load("echo.wasm", { config: { greeting: "hi" } });
//     const c = host.open();             // socklet_on_open; c.id is the handle
//     host.text(c, "hello");              // socklet_on_text
//     assert.deepEqual(host.outbox(c), [{ kind: "text", data: "hello" }]);
//
// Handles are plain numbers (1, 2, ...); timer ids are numbers when they fit
// in a double exactly, else BigInts. Time is virtual: host.advance(ms) moves
// now_ms and fires due timers in order.

import { readFileSync } from "node:fs";

/** Status codes of ABI v1 (abi/status.go). */
export const Status = Object.freeze({
  OK: 0, BadHandle: -1, Closed: -2, QueueFull: -3, InvalidArgument: -4, TooLarge: -5,
  InvalidUTF8: -6, BadPointer: -7, NotFound: -8, Limit: -9,
});

/** Limits of ABI v1 (abi/status.go). */
export const Limits = Object.freeze({
  MaxControlPayload: 125, MaxCloseReason: 123, MaxTopic: 256, MaxAttachment: 64 << 10,
  MaxTimers: 4096, MaxSubscriptions: 1024, MaxLogLine: 8 << 10,
});

const InfoKeys = ["path", "query", "remoteAddr", "subprotocol", "origin"];

const utf8 = new TextDecoder("utf-8", { fatal: true });
const enc = new TextEncoder();

function sendableCloseCode(code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

function idOut(v) {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * Conn is the emulator's view of one connection. Fields: id (handle), state
 * ("open"; "closing" after the plugin called close and during
 * socklet_on_close; "closed" once socklet_on_close returned),
 * and the handshake facts given to open().
 */
class Conn {
  constructor(id, opts) {
    this.id = id;
    this.state = "open";
    this.path = opts.path ?? "/";
    this.query = opts.query ?? "";
    this.remoteAddr = opts.remoteAddr ?? "127.0.0.1:40000";
    this.subprotocol = opts.subprotocol ?? "";
    this.origin = opts.origin ?? "";
    // Header names are case-insensitive; values are arrays joined by ", ".
    this.headers = new Map();
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      this.headers.set(k.toLowerCase(), Array.isArray(v) ? v.join(", ") : String(v));
    }
  }
}

/**
 * Emulator is a fake socklet host around one plugin instance. Its records:
 *   - sent: every message the host accepted for a connection, in order:
 *     { conn, kind: "text"|"binary"|"ping"|"close", data?, code?, reason?, topic? }
 *     (messages delivered by a publish carry the topic);
 *   - published: { topic, kind, data, except, receivers } per publish call;
 *   - logs: { level, message };
 *   - calls: one line per host call, "name(args) -> result", for traces.
 * Text data is a string, binary data a Uint8Array (a copy).
 */
export class Emulator {
  /**
   * load compiles and instantiates a plugin from a path, a Buffer or a
   * WebAssembly.Module. options: config (object of strings or numbers for
   * [route.config]), now (start of virtual time in ms, default 1.7e12),
   * memoryCheck (default true: the plugin must export "memory").
   */
  static async load(wasm, options = {}) {
    const mod = wasm instanceof WebAssembly.Module
      ? wasm
      : await WebAssembly.compile(typeof wasm === "string" ? readFileSync(wasm) : wasm);
    const emu = new Emulator(mod, options);
    await emu.#instantiate();
    return emu;
  }

  constructor(module, options = {}) {
    this.module = module;
    this.config = new Map(Object.entries(options.config ?? {}).map(([k, v]) => [k, String(v)]));
    this.nowMs = BigInt(options.now ?? 1_700_000_000_000);
    this.conns = new Map();
    this.nextId = 1;
    this.topics = new Map(); // topic -> Set of conn ids
    this.attachments = new Map(); // conn id -> Uint8Array
    this.timers = new Map(); // id (BigInt) -> due (BigInt ms)
    this.timerSeq = 0;
    this.sent = [];
    this.published = [];
    this.logs = [];
    this.calls = [];
    this.instance = null;
    this.instances = 0;
    // queueLimit: when set, a connection with that many messages in sent
    // answers sends with QueueFull (to test a plugin's handling of it).
    this.queueLimit = options.queueLimit ?? Infinity;
  }

  async #instantiate() {
    this.instance = await WebAssembly.instantiate(this.module, { socklet: this.#imports() });
    this.instances++;
    const ex = this.instance.exports;
    if (typeof ex.socklet_abi_v1 !== "function") throw new Error("emulator: plugin lacks the socklet_abi_v1 export");
    if (typeof ex.socklet_alloc !== "function") throw new Error("emulator: plugin lacks the socklet_alloc export");
    if (!(ex.memory instanceof WebAssembly.Memory)) throw new Error("emulator: plugin does not export memory");
    if (typeof ex._initialize === "function") ex._initialize();
  }

  get exports() {
    return this.instance.exports;
  }

  #mem() {
    return new Uint8Array(this.instance.exports.memory.buffer);
  }

  // #range returns the bytes [ptr, ptr+len) of guest memory, or null when out of bounds.
  #range(ptr, len) {
    const m = this.#mem();
    if (ptr < 0 || len < 0 || ptr + len > m.length) return null;
    return m.subarray(ptr >>> 0, (ptr >>> 0) + len);
  }

  #write(bytes, buf, cap) {
    if (bytes.length > cap) return bytes.length;
    const dst = this.#range(buf, cap);
    if (dst === null) return Status.BadPointer;
    dst.set(bytes);
    return bytes.length;
  }

  #text(ptr, len) {
    const b = this.#range(ptr, len);
    if (b === null) return { status: Status.BadPointer };
    try {
      return { value: utf8.decode(b) };
    } catch {
      return { status: Status.InvalidUTF8 };
    }
  }

  #conn(id) {
    const c = this.conns.get(Number(id));
    return c && c.state !== "closed" ? c : null;
  }

  #record(name, args, result) {
    this.calls.push(`${name}(${args}) -> ${result}`);
    return result;
  }

  #deliver(c, msg) {
    if (c.state !== "open") return Status.Closed;
    if (this.queueLimit !== Infinity && this.outbox(c).length >= this.queueLimit) return Status.QueueFull;
    this.sent.push({ conn: c.id, ...msg });
    return Status.OK;
  }

  #imports() {
    const send = (name, kind) => (conn, ptr, len) => {
      const c = this.#conn(conn);
      let r;
      if (c === null) r = Status.BadHandle;
      else if (kind === "text") {
        const t = this.#text(ptr, len);
        r = t.status ?? this.#deliver(c, { kind, data: t.value });
      } else {
        const b = this.#range(ptr, len);
        if (b === null) r = Status.BadPointer;
        else if (kind === "ping" && len > Limits.MaxControlPayload) r = Status.TooLarge;
        else r = this.#deliver(c, { kind, data: b.slice() });
      }
      return this.#record(name, `conn=${conn}, len=${len}`, r);
    };
    const topicOf = (ptr, len) => {
      if (this.#range(ptr, len) === null) return { status: Status.BadPointer };
      if (len > Limits.MaxTopic) return { status: Status.TooLarge };
      return this.#text(ptr, len);
    };
    const publish = (name, kind) => (tptr, tlen, ptr, len, except) => {
      const t = topicOf(tptr, tlen);
      if (t.status !== undefined) return this.#record(name, `len=${len}`, t.status);
      let data;
      if (kind === "text") {
        const d = this.#text(ptr, len);
        if (d.status !== undefined) return this.#record(name, `topic=${t.value}, len=${len}`, d.status);
        data = d.value;
      } else {
        const b = this.#range(ptr, len);
        if (b === null) return this.#record(name, `topic=${t.value}, len=${len}`, Status.BadPointer);
        data = b.slice();
      }
      const ex = Number(except);
      const ids = t.value === "" ? [...this.conns.keys()] : [...(this.topics.get(t.value) ?? [])];
      let receivers = 0;
      for (const id of ids.sort((a, b) => a - b)) {
        const c = this.conns.get(id);
        if (id === ex || c.state !== "open") continue;
        if (this.#deliver(c, { kind, data, topic: t.value }) === Status.OK) receivers++;
      }
      this.published.push({ topic: t.value, kind, data, except: ex, receivers });
      return this.#record(name, `topic=${t.value}, len=${len}, except=${except}`, receivers);
    };
    return {
      send_text: send("send_text", "text"),
      send_binary: send("send_binary", "binary"),
      ping: send("ping", "ping"),
      close: (conn, code, ptr, len) => {
        const c = this.#conn(conn);
        let r;
        if (c === null) r = Status.BadHandle;
        else if (this.#range(ptr, len) === null) r = Status.BadPointer;
        else if (len > Limits.MaxCloseReason) r = Status.TooLarge;
        else if (!sendableCloseCode(code)) r = Status.InvalidArgument;
        else {
          const t = this.#text(ptr, len);
          if (t.status !== undefined) r = t.status;
          else if (c.state !== "open") r = Status.Closed;
          else {
            this.sent.push({ conn: c.id, kind: "close", code, reason: t.value });
            c.state = "closing";
            r = Status.OK;
          }
        }
        return this.#record("close", `conn=${conn}, code=${code}`, r);
      },
      subscribe: (conn, ptr, len) => {
        const c = this.#conn(conn);
        const t = topicOf(ptr, len);
        let r;
        if (c === null) r = Status.BadHandle;
        else if (t.status !== undefined) r = t.status;
        else if (t.value === "") r = Status.InvalidArgument;
        else {
          const subs = this.topics.get(t.value) ?? new Set();
          if (subs.has(c.id)) r = 1;
          else if (this.subscriptions(c).length >= Limits.MaxSubscriptions) r = Status.Limit;
          else {
            subs.add(c.id);
            this.topics.set(t.value, subs);
            r = 0;
          }
        }
        return this.#record("subscribe", `conn=${conn}, topic=${t.value ?? "?"}`, r);
      },
      unsubscribe: (conn, ptr, len) => {
        const c = this.#conn(conn);
        const t = topicOf(ptr, len);
        let r;
        if (c === null) r = Status.BadHandle;
        else if (t.status !== undefined) r = t.status;
        else if (t.value === "") r = Status.InvalidArgument;
        else r = this.topics.get(t.value)?.delete(c.id) ? 0 : 1;
        return this.#record("unsubscribe", `conn=${conn}, topic=${t.value ?? "?"}`, r);
      },
      publish_text: publish("publish_text", "text"),
      publish_binary: publish("publish_binary", "binary"),
      conn_info: (conn, key, buf, cap) => {
        const c = this.#conn(conn);
        let r;
        if (c === null) r = Status.BadHandle;
        else if (key < 0 || key >= InfoKeys.length) r = Status.InvalidArgument;
        else r = this.#write(enc.encode(c[InfoKeys[key]]), buf, cap);
        return this.#record("conn_info", `conn=${conn}, key=${key}, cap=${cap}`, r);
      },
      conn_header: (conn, nptr, nlen, buf, cap) => {
        const c = this.#conn(conn);
        const n = this.#text(nptr, nlen);
        let r;
        if (c === null) r = Status.BadHandle;
        else if (n.status !== undefined) r = n.status;
        else if (n.value === "") r = Status.InvalidArgument;
        else if (!c.headers.has(n.value.toLowerCase())) r = Status.NotFound;
        else r = this.#write(enc.encode(c.headers.get(n.value.toLowerCase())), buf, cap);
        return this.#record("conn_header", `conn=${conn}, name=${n.value ?? "?"}, cap=${cap}`, r);
      },
      attach: (conn, ptr, len) => {
        const c = this.#conn(conn);
        let r;
        const b = this.#range(ptr, len);
        if (c === null) r = Status.BadHandle;
        else if (b === null) r = Status.BadPointer;
        else if (len > Limits.MaxAttachment) r = Status.TooLarge;
        else {
          this.attachments.set(c.id, b.slice());
          r = Status.OK;
        }
        return this.#record("attach", `conn=${conn}, len=${len}`, r);
      },
      attachment: (conn, buf, cap) => {
        const c = this.#conn(conn);
        const r = c === null ? Status.BadHandle : this.#write(this.attachments.get(c.id) ?? new Uint8Array(0), buf, cap);
        return this.#record("attachment", `conn=${conn}, cap=${cap}`, r);
      },
      config: (kptr, klen, buf, cap) => {
        const k = this.#text(kptr, klen);
        let r;
        if (k.status !== undefined) r = k.status;
        else if (!this.config.has(k.value)) r = Status.NotFound;
        else r = this.#write(enc.encode(this.config.get(k.value)), buf, cap);
        return this.#record("config", `key=${k.value ?? "?"}, cap=${cap}`, r);
      },
      log: (level, ptr, len) => {
        let r;
        if (level < 0 || level > 3) r = Status.InvalidArgument;
        else {
          const b = this.#range(ptr, Math.min(len, Limits.MaxLogLine));
          if (b === null) r = Status.BadPointer;
          else {
            this.logs.push({ level, message: new TextDecoder().decode(b) });
            r = Status.OK;
          }
        }
        return this.#record("log", `level=${level}, len=${len}`, r);
      },
      timer: (delay, id) => {
        let r;
        if (delay < 0) r = Status.InvalidArgument;
        else if (!this.timers.has(id) && this.timers.size >= Limits.MaxTimers) r = Status.Limit;
        else {
          this.timers.delete(id); // re-arming moves it to the back of equal deadlines
          this.timers.set(id, { due: this.nowMs + BigInt(delay), seq: this.timerSeq++ });
          r = Status.OK;
        }
        return this.#record("timer", `delay_ms=${delay}, id=${id}`, r);
      },
      timer_cancel: (id) => {
        const r = this.timers.delete(id) ? Status.OK : Status.NotFound;
        return this.#record("timer_cancel", `id=${id}`, r);
      },
      now_ms: () => {
        this.calls.push(`now_ms() -> ${this.nowMs}`);
        return this.nowMs;
      },
    };
  }

  // #payload copies bytes into guest memory through socklet_alloc and returns
  // [ptr, len]; an empty payload is passed as (0, 0) as the host may do.
  #payload(bytes) {
    if (bytes.length === 0) return [0, 0];
    const ptr = this.instance.exports.socklet_alloc(bytes.length);
    if (ptr === 0) throw new Error(`emulator: socklet_alloc(${bytes.length}) returned 0`);
    const dst = this.#range(ptr, bytes.length);
    if (dst === null) throw new Error(`emulator: socklet_alloc(${bytes.length}) returned ${ptr}, outside memory`);
    dst.set(bytes);
    return [ptr, bytes.length];
  }

  #handle(c) {
    const id = typeof c === "object" ? c.id : Number(c);
    const conn = this.conns.get(id);
    if (!conn) throw new Error(`emulator: unknown connection ${id}`);
    if (conn.state === "closed") throw new Error(`emulator: connection ${id} is closed`);
    return conn;
  }

  /**
   * open simulates a client's handshake (opts: path, query, remoteAddr,
   * subprotocol, origin, headers). It returns the Conn when the plugin
   * accepts, or { rejected: status } when onOpen returned 400-599 (any other
   * non-zero value is rejected with 500, as the host does).
   */
  open(opts = {}) {
    const c = new Conn(this.nextId++, opts);
    this.conns.set(c.id, c);
    const fn = this.instance.exports.socklet_on_open;
    const r = fn ? fn(BigInt(c.id)) : 0;
    if (r === 0) return c;
    this.conns.delete(c.id);
    for (const subs of this.topics.values()) subs.delete(c.id);
    this.attachments.delete(c.id);
    return { rejected: r >= 400 && r <= 599 ? r : 500 };
  }

  /** text delivers a text message (a string) from the client. */
  text(c, s) {
    const conn = this.#handle(c);
    const [p, n] = this.#payload(enc.encode(s));
    this.instance.exports.socklet_on_text?.(BigInt(conn.id), p, n);
  }

  /** binary delivers a binary message (Uint8Array, Buffer or array of bytes). */
  binary(c, bytes) {
    const conn = this.#handle(c);
    const [p, n] = this.#payload(Uint8Array.from(bytes));
    this.instance.exports.socklet_on_binary?.(BigInt(conn.id), p, n);
  }

  /** pong delivers a pong frame's payload. */
  pong(c, bytes = []) {
    const conn = this.#handle(c);
    const [p, n] = this.#payload(Uint8Array.from(bytes));
    this.instance.exports.socklet_on_pong?.(BigInt(conn.id), p, n);
  }

  /**
   * close ends the connection (the client closed, or the plugin's close
   * completed): the host forgets its subscriptions and attachment and calls
   * socklet_on_close exactly once. code 1006 means no close frame.
   */
  close(c, code = 1000, reason = "") {
    const conn = this.#handle(c);
    // During socklet_on_close the handle is still valid (unsubscribe,
    // attachment work) but nothing can be sent; afterwards it is dead.
    conn.state = "closing";
    const [p, n] = this.#payload(enc.encode(reason));
    try {
      this.instance.exports.socklet_on_close?.(BigInt(conn.id), code, p, n);
    } finally {
      conn.state = "closed";
      for (const subs of this.topics.values()) subs.delete(conn.id);
      this.attachments.delete(conn.id);
    }
  }

  /**
   * reload replaces the instance with a fresh one of the same module (as a
   * hot reload or crash recovery does): guest memory is lost, host state
   * (connections, topics, attachments, timers) stays, and each live
   * connection gets socklet_on_resume.
   */
  async reload() {
    await this.#instantiate();
    for (const c of this.conns.values()) {
      if (c.state !== "closed") this.instance.exports.socklet_on_resume?.(BigInt(c.id));
    }
  }

  /** fireTimer fires timer id now (it must be pending). */
  fireTimer(id) {
    const key = BigInt(id);
    if (!this.timers.delete(key)) throw new Error(`emulator: timer ${id} is not pending`);
    this.instance.exports.socklet_on_timer?.(key);
  }

  /**
   * advance moves virtual time forward by ms, firing every timer that falls
   * due on the way, in deadline order (timers set by a firing timer fire too
   * if they fall due within the window). It returns the ids fired. At most
   * 100000 timers fire per call.
   */
  advance(ms) {
    const end = this.nowMs + BigInt(ms);
    const fired = [];
    for (let i = 0; i < 100000; i++) {
      let next = null;
      for (const [id, t] of this.timers) {
        if (t.due <= end && (next === null || t.due < next[1].due || (t.due === next[1].due && t.seq < next[1].seq))) next = [id, t];
      }
      if (next === null) break;
      if (next[1].due > this.nowMs) this.nowMs = next[1].due;
      this.timers.delete(next[0]);
      fired.push(idOut(next[0]));
      this.instance.exports.socklet_on_timer?.(next[0]);
    }
    this.nowMs = end;
    return fired;
  }

  /** pendingTimers returns the ids of pending timers (numbers when they fit). */
  pendingTimers() {
    return [...this.timers.keys()].map(idOut);
  }

  /** outbox returns what was sent to a connection, without the conn field. */
  outbox(c) {
    const id = typeof c === "object" ? c.id : Number(c);
    return this.sent.filter((m) => m.conn === id).map(({ conn, ...m }) => m);
  }

  /** subscriptions returns the topics a connection is subscribed to, sorted. */
  subscriptions(c) {
    const id = typeof c === "object" ? c.id : Number(c);
    return [...this.topics].filter(([, s]) => s.has(id)).map(([t]) => t).sort();
  }

  /** attachmentText returns a connection's attachment decoded as UTF-8 (undefined if none). */
  attachmentText(c) {
    const a = this.attachments.get(typeof c === "object" ? c.id : Number(c));
    return a === undefined ? undefined : new TextDecoder().decode(a);
  }

  /** clear forgets the records (sent, published, logs, calls), not the state. */
  clear() {
    this.sent.length = 0;
    this.published.length = 0;
    this.logs.length = 0;
    this.calls.length = 0;
  }
}
