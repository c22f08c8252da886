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
   * response. Return 0 to accept, or an HTTP status in 400-599 to refuse
   * (anything else refuses with 500). Every Conn method works here: messages
   * go out right after the handshake, subscriptions and the attachment are
   * kept; if the connection is refused all of it is discarded and no other
   * event (not even onClose) follows.
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
   * ended; code is 1006 when no close frame was received. During the call
   * info, header and attachment still work and sends return Status.Closed;
   * once it returns the handle is dead (Status.BadHandle).
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
 * of your entry file (top-level code runs once per instance, in _initialize
 * when built with --exportStart _initialize), and re-export the ABI from there:
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
