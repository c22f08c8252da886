// Conn: one WebSocket connection of this plugin's route.

import * as env from "./env";
import { Info, Result, Status, toStatus } from "./status";
import { argBuffer, bytesAt, encodeAt, outBuffer, outCapacity, prepLen, prepPtr, prepare, textAt, utf8Len } from "./mem";

/**
 * Conn is a connection handed to a Handler. It wraps the host's handle (never
 * 0, never reused while the host runs) and may be kept, e.g. in a Map, to
 * send to the connection later from another event; once onClose has run for
 * it every call returns Status.BadHandle.
 *
 * Every method calls the host synchronously and returns a Status or a Result:
 * nothing throws. Sends never block: they queue the message on the
 * connection's bounded outbound queue (Status.QueueFull when it is full).
 */
export class Conn {
  constructor(
    /** The host's handle of this connection. */
    public readonly id: u64,
  ) {}

  /** sendText queues a text message (sent as UTF-8; a lone surrogate becomes U+FFFD). */
  sendText(text: string): Status {
    prepare<string>(text, 0);
    return toStatus(env.send_text(this.id, prepPtr, prepLen));
  }

  /**
   * sendBinary queues a binary message. data is an ArrayBuffer, a Uint8Array
   * or any typed array (its bytes as they lie in memory), or a string (its
   * UTF-8 bytes).
   */
  sendBinary<T>(data: T): Status {
    prepare<T>(data, 0);
    return toStatus(env.send_binary(this.id, prepPtr, prepLen));
  }

  /** ping queues a ping with an optional payload of at most 125 bytes (Status.TooLarge beyond). */
  ping(payload: Uint8Array | null = null): Status {
    prepare<Uint8Array | null>(payload, 0);
    return toStatus(env.ping(this.id, prepPtr, prepLen));
  }

  /**
   * close starts the closing handshake with code (1000-1003, 1007-1014 or
   * 3000-4999, else Status.InvalidArgument) and a reason of at most 123 bytes
   * of UTF-8. onClose follows when the connection has ended.
   */
  close(code: i32 = 1000, reason: string = ""): Status {
    prepare<string>(reason, 0);
    return toStatus(env.close(this.id, code, prepPtr, prepLen));
  }

  /**
   * subscribe adds the connection to topic (of this route). The value is true
   * if it was added, false if it was already subscribed.
   */
  subscribe(topic: string): Result<bool> {
    prepare<string>(topic, 0);
    let r = env.subscribe(this.id, prepPtr, prepLen);
    return new Result<bool>(r == 0, toStatus(r));
  }

  /**
   * unsubscribe removes the connection from topic. The value is true if it
   * was removed, false if it was not subscribed.
   */
  unsubscribe(topic: string): Result<bool> {
    prepare<string>(topic, 0);
    let r = env.unsubscribe(this.id, prepPtr, prepLen);
    return new Result<bool>(r == 0, toStatus(r));
  }

  /**
   * attach stores data with the connection in the host, replacing what was
   * there (at most 64 KiB). Attachments survive plugin reloads and crashes,
   * unlike fields of your Handler. data is a string (stored as UTF-8), an
   * ArrayBuffer or a typed array.
   */
  attach<T>(data: T): Status {
    prepare<T>(data, 0);
    return toStatus(env.attach(this.id, prepPtr, prepLen));
  }

  /** attachment returns the bytes stored by attach (empty if none). */
  attachment(): Result<Uint8Array> {
    let r = this.readAttachment();
    if (r < 0) return new Result<Uint8Array>(new Uint8Array(0), <Status>r);
    return new Result<Uint8Array>(bytesAt(outBuffer(0), r));
  }

  /** attachmentText returns the attachment decoded as UTF-8 ("" if none). */
  attachmentText(): Result<string> {
    let r = this.readAttachment();
    if (r < 0) return new Result<string>("", <Status>r);
    return new Result<string>(textAt(outBuffer(0), r));
  }

  private readAttachment(): i32 {
    let r = env.attachment(this.id, outBuffer(0), outCapacity());
    if (r > outCapacity()) r = env.attachment(this.id, outBuffer(<usize>r), outCapacity());
    return r > outCapacity() ? <i32>Status.TooLarge : r;
  }

  /** info returns a fact about the connection: path, query, remote address, subprotocol or origin. */
  info(key: Info): Result<string> {
    let r = env.conn_info(this.id, key, outBuffer(0), outCapacity());
    if (r > outCapacity()) r = env.conn_info(this.id, key, outBuffer(<usize>r), outCapacity());
    return readText(r);
  }

  /** path is info(Info.Path) or "" on error. */
  get path(): string {
    return this.info(Info.Path).value;
  }

  /** query is info(Info.Query) (without "?") or "" on error. */
  get query(): string {
    return this.info(Info.Query).value;
  }

  /** remoteAddr is info(Info.RemoteAddr) ("IP:PORT") or "" on error. */
  get remoteAddr(): string {
    return this.info(Info.RemoteAddr).value;
  }

  /** subprotocol is info(Info.Subprotocol) or "" on error or when none was negotiated. */
  get subprotocol(): string {
    return this.info(Info.Subprotocol).value;
  }

  /** origin is info(Info.Origin) or "" on error or when the request had none. */
  get origin(): string {
    return this.info(Info.Origin).value;
  }

  /**
   * header returns a request header of the connection's handshake, several
   * values joined by ", "; Status.NotFound if the request had none.
   */
  header(name: string): Result<string> {
    let n = utf8Len(name);
    let np = argBuffer(n);
    encodeAt(name, np);
    let r = env.conn_header(this.id, np, <i32>n, outBuffer(0), outCapacity());
    if (r > outCapacity()) {
      // outBuffer may move nothing but itself; the name stays at np.
      r = env.conn_header(this.id, np, <i32>n, outBuffer(<usize>r), outCapacity());
    }
    return readText(r);
  }

  toString(): string {
    return "conn#" + this.id.toString();
  }
}

/**
 * readText turns the result of a host call that wrote UTF-8 into the output
 * buffer into a Result (TooLarge if it still did not fit after one retry).
 */
export function readText(r: i32): Result<string> {
  if (r < 0) return new Result<string>("", <Status>r);
  if (r > outCapacity()) return new Result<string>("", Status.TooLarge);
  return new Result<string>(textAt(outBuffer(0), r));
}
