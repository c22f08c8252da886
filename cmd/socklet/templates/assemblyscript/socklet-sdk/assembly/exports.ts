// The guest exports of socklet ABI v1.
//
// asc turns only the exports of the entry file into module exports, so a
// plugin's entry file re-exports these with one line:
//
//     export * from "@socklet/sdk/assembly/exports";
//
// Each export turns the raw event into a Conn, a string or a Uint8Array and
// calls the registered Handler. abi/sdk_assemblyscript_test.go checks the
// names and signatures below against abi.Exports.

import { Conn } from "./conn";
import { Handler, registered } from "./handler";
import { bytesAt, eventBuffer, textAt } from "./mem";
import { log } from "./host";
import { LogLevel } from "./status";
import "./abort";

// The SDK needs a runtime with a real allocator: the stub runtime never frees
// and would overlap the event buffer (see mem.ts).
if (ASC_RUNTIME == 0) ERROR("@socklet/sdk: build with --runtime incremental (or minimal), not stub");

/** socklet_abi_v1 marks the module as a socklet ABI v1 plugin. */
export function socklet_abi_v1(): void {}

/** socklet_alloc returns room for size bytes of the next event's payload, or 0. */
export function socklet_alloc(size: i32): usize {
  return eventBuffer(size);
}

export function socklet_on_open(conn: u64): i32 {
  let h = handler();
  let r = h === null ? 500 : h.onOpen(new Conn(conn));
  settle();
  return r;
}

export function socklet_on_text(conn: u64, ptr: usize, len: i32): void {
  let h = handler();
  if (h !== null) h.onText(new Conn(conn), textAt(ptr, len));
  settle();
}

export function socklet_on_binary(conn: u64, ptr: usize, len: i32): void {
  let h = handler();
  if (h !== null) h.onBinary(new Conn(conn), bytesAt(ptr, len));
  settle();
}

export function socklet_on_pong(conn: u64, ptr: usize, len: i32): void {
  let h = handler();
  if (h !== null) h.onPong(new Conn(conn), bytesAt(ptr, len));
  settle();
}

export function socklet_on_close(conn: u64, code: i32, ptr: usize, len: i32): void {
  let h = handler();
  if (h !== null) h.onClose(new Conn(conn), code, textAt(ptr, len));
  settle();
}

export function socklet_on_timer(id: u64): void {
  let h = handler();
  if (h !== null) h.onTimer(id);
  settle();
}

export function socklet_on_resume(conn: u64): void {
  let h = handler();
  if (h !== null) h.onResume(new Conn(conn));
  settle();
}

let warned = false;

function handler(): Handler | null {
  let h = registered();
  if (h === null && !warned) {
    warned = true;
    log(LogLevel.Error, "@socklet/sdk: no handler: call register(new MyHandler()) in the entry file");
  }
  return h;
}

// settle ends an event. Under the minimal runtime, which never collects on
// its own, it collects garbage now: no managed reference is on the stack
// between events, so the roots (globals) are all there is.
// @ts-ignore: decorator
@inline
function settle(): void {
  if (ASC_RUNTIME == 1) __collect();
}
