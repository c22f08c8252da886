// Route-wide host functions: publish, log, config, timers, clock.

import * as env from "./env";
import { Conn } from "./conn";
import { LogLevel, Result, Status, toStatus } from "./status";
import { argBuffer, encodeAt, outBuffer, outCapacity, prepLen, prepPtr, prepare, utf8Len } from "./mem";
import { readText } from "./conn";

/**
 * publish queues the text message to every subscriber of topic on this route
 * ("" = every connection of the route) except the connection except (null =
 * nobody). The frame is built once by the host. The value is the number of
 * receivers it was queued to.
 */
export function publish(topic: string, text: string, except: Conn | null = null): Result<i32> {
  return publishAny<string>(topic, text, except, false);
}

/**
 * publishBinary is publish for a binary message; data is an ArrayBuffer, a
 * typed array such as Uint8Array, or a string (its UTF-8 bytes).
 */
export function publishBinary<T>(topic: string, data: T, except: Conn | null = null): Result<i32> {
  return publishAny<T>(topic, data, except, true);
}

function publishAny<T>(topic: string, data: T, except: Conn | null, binary: bool): Result<i32> {
  let tlen = utf8Len(topic);
  // Reserve room for both strings first: the argument buffer may move when it grows.
  let total = tlen;
  if (isString<T>()) total += utf8Len(changetype<string>(data));
  argBuffer(total);
  prepare<string>(topic, 0);
  let tp = prepPtr;
  let tl = prepLen;
  prepare<T>(data, tlen);
  let ex: u64 = except === null ? 0 : changetype<Conn>(except).id;
  let r = binary
    ? env.publish_binary(tp, tl, prepPtr, prepLen, ex)
    : env.publish_text(tp, tl, prepPtr, prepLen, ex);
  return new Result<i32>(r < 0 ? 0 : r, toStatus(r));
}

/** log writes message to the plugin's log at level (cut by the host beyond 8 KiB). */
export function log(level: LogLevel, message: string): Status {
  prepare<string>(message, 0);
  return toStatus(env.log(level, prepPtr, prepLen));
}

/** config returns the value of key in the route's [route.config] table; Status.NotFound if absent. */
export function config(key: string): Result<string> {
  let n = utf8Len(key);
  let kp = argBuffer(n);
  encodeAt(key, kp);
  let r = env.config(kp, <i32>n, outBuffer(0), outCapacity());
  if (r > outCapacity()) r = env.config(kp, <i32>n, outBuffer(<usize>r), outCapacity());
  return readText(r);
}

/** configOr returns config(key) or fallback when the key is absent or unreadable. */
export function configOr(key: string, fallback: string): string {
  return config(key).or(fallback);
}

/**
 * configInt returns config(key) parsed as a decimal integer, or fallback when
 * the key is absent or its value is not an integer.
 */
export function configInt(key: string, fallback: i64): i64 {
  let r = config(key);
  if (!r.ok) return fallback;
  let s = r.value.trim();
  let neg = s.startsWith("-");
  let i = neg || s.startsWith("+") ? 1 : 0;
  if (i >= s.length || s.length - i > 18) return fallback;
  let v: i64 = 0;
  for (; i < s.length; i++) {
    let c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return fallback;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}

/**
 * setTimer makes the host call Handler.onTimer(id) once, on this instance,
 * after delayMs milliseconds. Setting an id that is already pending re-arms
 * it. Status.Limit when 4096 timers are pending.
 */
export function setTimer(delayMs: i32, id: u64): Status {
  return toStatus(env.timer(delayMs, id));
}

/** cancelTimer cancels timer id; Status.NotFound if it was not pending. */
export function cancelTimer(id: u64): Status {
  return toStatus(env.timer_cancel(id));
}

/** now returns the wall-clock time in milliseconds since the Unix epoch. */
export function now(): i64 {
  return env.now_ms();
}
