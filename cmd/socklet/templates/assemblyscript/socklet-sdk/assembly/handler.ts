// Handler: the base class a plugin extends, and its registration.

import { Conn } from "./conn";

/**
 * Handler receives the events of a plugin's connections. Extend it, override
 * the methods you need (the others do nothing) and pass one instance to
 * register. The host calls one method at a time per instance, never two at
 * once, so fields need no locking; but a route may run several instances and
 * reloads start fresh ones, so state that must be shared or survive a reload
 * belongs in the host (Conn.attach, topics).
 */
export class Handler {
  /**
   * onOpen is called when a client asks to connect, before the handshake
   * response. Return 0 to accept, or an HTTP status in 400-599 to refuse.
   * Sends on a connection that is not yet open fail with Status.BadHandle.
   */
  onOpen(conn: Conn): i32 {
    return 0;
  }

  /** onText is called with each whole text message. */
  onText(conn: Conn, text: string): void {}

  /** onBinary is called with each whole binary message (data is a copy the handler owns). */
  onBinary(conn: Conn, data: Uint8Array): void {}

  /** onPong is called with the payload of each pong frame. */
  onPong(conn: Conn, data: Uint8Array): void {}

  /**
   * onClose is called exactly once for every accepted connection, however it
   * ended; code is 1006 when no close frame was received. The handle is dead
   * once it returns.
   */
  onClose(conn: Conn, code: i32, reason: string): void {}

  /** onTimer is called when a timer set with setTimer fires. */
  onTimer(id: u64): void {}

  /**
   * onResume is called for each live connection carried over to this new
   * instance by a reload or a crash recovery (fields of the old instance are
   * gone; attachments and subscriptions are still in the host).
   */
  onResume(conn: Conn): void {}
}

let current: Handler | null = null;

/**
 * register makes h the handler of this plugin. Call it once, at the top level
 * of your entry file, and re-export the ABI from there:
 *
 *     register(new MyHandler());
 *     export * from "@socklet/sdk/assembly/exports";
 *
 * A later call replaces the handler.
 */
export function register(h: Handler): void {
  current = h;
}

/** registered returns the handler given to register, or null (internal). */
export function registered(): Handler | null {
  return current;
}
