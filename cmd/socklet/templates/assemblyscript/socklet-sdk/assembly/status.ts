// Statuses, results and the small enums of ABI v1 (abi/status.go).

/**
 * Status is the outcome of a host call. OK (0) is success; every other value
 * is an error code of ABI v1 (abi/status.go), negative and stable. The SDK
 * never throws or aborts on a status: it hands it back as a value.
 */
export enum Status {
  /** Success with nothing to report. */
  OK = 0,
  /** The connection handle is unknown, closed and reported by onClose, or another route's. */
  BadHandle = -1,
  /** The connection is closing; nothing more can be sent on it. */
  Closed = -2,
  /** The connection's outbound queue is full; the message was not queued. */
  QueueFull = -3,
  /** An argument is out of its domain (close code, info key, empty topic, negative delay). */
  InvalidArgument = -4,
  /** A payload, reason, topic, attachment or key exceeds its limit. */
  TooLarge = -5,
  /** Text that must be UTF-8 is not. */
  InvalidUTF8 = -6,
  /** A pointer range is outside linear memory (an SDK bug if you ever see it). */
  BadPointer = -7,
  /** The header, config key or timer does not exist. */
  NotFound = -8,
  /** A per-instance or per-connection quota (timers, subscriptions) is used up. */
  Limit = -9,
}

/** statusText returns a short lower-case description of s, as abi.Status.String does. */
export function statusText(s: Status): string {
  switch (s) {
    case Status.OK: return "ok";
    case Status.BadHandle: return "bad handle";
    case Status.Closed: return "closed";
    case Status.QueueFull: return "queue full";
    case Status.InvalidArgument: return "invalid argument";
    case Status.TooLarge: return "too large";
    case Status.InvalidUTF8: return "invalid UTF-8";
    case Status.BadPointer: return "bad pointer";
    case Status.NotFound: return "not found";
    case Status.Limit: return "limit reached";
  }
  return s >= 0 ? (<i32>s).toString() : "status " + (<i32>s).toString();
}

/**
 * toStatus maps the i32 a host function returned to a Status: any value >= 0
 * is success (Status.OK), a negative value is that error. It is the one place
 * where raw results become statuses.
 */
// @ts-ignore: decorator
@inline
export function toStatus(r: i32): Status {
  return r >= 0 ? Status.OK : <Status>r;
}

/**
 * Result is a value of type T or the Status that explains why there is none.
 * When ok is false, value holds the zero value of T ("" for strings, an empty
 * array, 0) so that code which ignores errors still gets something usable.
 */
export class Result<T> {
  constructor(
    /** The value; meaningful only when ok is true. */
    public readonly value: T,
    /** Status.OK on success, else the error. */
    public readonly status: Status = Status.OK,
  ) {}

  /** ok is true when the call succeeded. */
  get ok(): bool {
    return this.status == Status.OK;
  }

  /** or returns the value on success and fallback otherwise. */
  or(fallback: T): T {
    return this.status == Status.OK ? this.value : fallback;
  }
}

/** Info selects a fact about a connection for Conn.info (abi.Info). */
export enum Info {
  /** The request path, e.g. "/chat". */
  Path = 0,
  /** The raw query string without "?", "" if none. */
  Query = 1,
  /** The peer's "IP:PORT" ("[IPv6]:PORT"). */
  RemoteAddr = 2,
  /** The negotiated subprotocol, "" if none. */
  Subprotocol = 3,
  /** The Origin header, "" if none. */
  Origin = 4,
}

/** LogLevel is the level of a log line (abi.LogLevel). */
export enum LogLevel {
  Debug = 0,
  Info = 1,
  Warn = 2,
  Error = 3,
}

/** Limits every socklet host enforces (abi/status.go). */
export namespace Limits {
  /** The largest ping payload in bytes. */
  export const MaxControlPayload: i32 = 125;
  /** The longest close reason in bytes of UTF-8. */
  export const MaxCloseReason: i32 = 123;
  /** The longest topic name in bytes. */
  export const MaxTopic: i32 = 256;
  /** The largest attachment per connection in bytes. */
  export const MaxAttachment: i32 = 64 << 10;
  /** The most timers one instance may have pending. */
  export const MaxTimers: i32 = 4096;
  /** The most topics one connection may be subscribed to. */
  export const MaxSubscriptions: i32 = 1024;
  /** The longest log message in bytes; longer ones are cut by the host. */
  export const MaxLogLine: i32 = 8 << 10;
}

/** Values socklet_on_open / Handler.onOpen may return (abi.OpenAccept...). */
export namespace Open {
  /** Accept the connection. */
  export const Accept: i32 = 0;
  /** The smallest HTTP status that rejects. */
  export const RejectMin: i32 = 400;
  /** The largest HTTP status that rejects. */
  export const RejectMax: i32 = 599;
}
