//! Calls that are about the route or the instance rather than one connection:
//! publish, log, config, timers and the clock.

use crate::conn::Conn;
use crate::error::{check, Error, Result};
use crate::sys;

/// Level is the level of a [`log`] line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(i32)]
pub enum Level {
    /// Detail for debugging.
    Debug = 0,
    /// Ordinary events.
    Info = 1,
    /// Something went wrong but the plugin carries on.
    Warn = 2,
    /// Something failed.
    Error = 3,
}

/// publish_text queues a text message to every subscriber of topic ("" means
/// every connection of the route) except `except`, and returns how many
/// connections it was queued to. The host builds the frame once for all.
pub fn publish_text(topic: &str, text: &str, except: Option<Conn>) -> Result<u32> {
    let ex = except.map_or(0, |c| c.raw() as i64);
    check(unsafe { sys::publish_text(topic.as_ptr(), topic.len(), text.as_ptr(), text.len(), ex) })
}

/// publish_binary is publish_text for a binary message.
pub fn publish_binary(topic: &str, data: &[u8], except: Option<Conn>) -> Result<u32> {
    let ex = except.map_or(0, |c| c.raw() as i64);
    check(unsafe {
        sys::publish_binary(topic.as_ptr(), topic.len(), data.as_ptr(), data.len(), ex)
    })
}

/// log writes a line to the plugin's log (cut at 8 KiB by the host). Logging
/// cannot fail from the plugin's point of view: a refused line is dropped.
pub fn log(level: Level, message: &str) {
    unsafe {
        sys::log(level as i32, message.as_ptr(), message.len());
    }
}

/// config returns the value of key in the route's `[route.config]` table, or
/// None if the key is absent.
pub fn config(key: &str) -> Result<Option<String>> {
    match read_string(|buf, cap| unsafe { sys::config(key.as_ptr(), key.len(), buf, cap) }) {
        Ok(v) => Ok(Some(v)),
        Err(Error::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// timer arranges for `on_timer(id)` to be called once, after delay_ms, on
/// this instance. The id is yours to choose; setting an id that is pending
/// re-arms it. A delay above i32::MAX ms is [`Error::InvalidArgument`]; more
/// than 4096 pending timers is [`Error::Limit`].
pub fn timer(delay_ms: u32, id: u64) -> Result<()> {
    if delay_ms > i32::MAX as u32 {
        return Err(Error::InvalidArgument);
    }
    check(unsafe { sys::timer(delay_ms as i32, id as i64) }).map(drop)
}

/// timer_cancel cancels a pending timer: Ok(true) if it was pending,
/// Ok(false) if it was not set (or already fired).
pub fn timer_cancel(id: u64) -> Result<bool> {
    match check(unsafe { sys::timer_cancel(id as i64) }) {
        Ok(_) => Ok(true),
        Err(Error::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

/// now_ms returns the wall-clock time in milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    let t = unsafe { sys::now_ms() };
    if t < 0 {
        0
    } else {
        t as u64
    }
}

/// FIRST_CAP is the buffer size of the first try of a call with an output
/// buffer; most paths, headers, nicknames and config values fit.
const FIRST_CAP: usize = 256;

/// read_output runs a host call with an output (buf, cap) until its result
/// fits: a result larger than cap means "I need this many bytes, I wrote
/// nothing". The retries are bounded in case the value keeps growing.
pub(crate) fn read_output(mut call: impl FnMut(*mut u8, usize) -> i32) -> Result<Vec<u8>> {
    let mut buf: Vec<u8> = Vec::with_capacity(FIRST_CAP);
    for _ in 0..4 {
        let cap = buf.capacity();
        let n = check(call(buf.as_mut_ptr(), cap))? as usize;
        if n <= cap {
            // SAFETY: the host wrote n <= cap bytes at the start of buf.
            unsafe { buf.set_len(n) };
            return Ok(buf);
        }
        buf.reserve_exact(n);
    }
    Err(Error::TooLarge)
}

/// read_string is read_output for a value that must be UTF-8.
pub(crate) fn read_string(call: impl FnMut(*mut u8, usize) -> i32) -> Result<String> {
    String::from_utf8(read_output(call)?).map_err(|_| Error::InvalidUtf8)
}
