//! The recording fake host: the ABI's host functions, with the signatures of
//! `sys.rs`, over a per-thread state. Each mirrors the real host's contract
//! (statuses, limits, the (buf, cap) rule) so a plugin meets the same answers
//! in `cargo test` as in socklet.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use super::{Frame, LogLine, Request};
use crate::error::Error;
use crate::host::Level;

// The host's limits (abi/status.go).
const MAX_CONTROL_PAYLOAD: usize = 125;
const MAX_CLOSE_REASON: usize = 123;
const MAX_TOPIC: usize = 256;
const MAX_ATTACHMENT: usize = 64 << 10;
const MAX_TIMERS: usize = 4096;
const MAX_SUBSCRIPTIONS: usize = 1024;
const MAX_LOG_LINE: usize = 8 << 10;

// Statuses returned below.
const OK: i32 = 0;
const BAD_HANDLE: i32 = -1;
const CLOSED: i32 = -2;
const INVALID_ARGUMENT: i32 = -4;
const TOO_LARGE: i32 = -5;
const INVALID_UTF8: i32 = -6;
const NOT_FOUND: i32 = -8;
const LIMIT: i32 = -9;

/// The virtual clock starts at 2023-11-14T22:13:20Z.
pub(crate) const START_MS: u64 = 1_700_000_000_000;

pub(crate) struct ConnState {
    pub request: Request,
    pub sent: Vec<Frame>,
    pub attachment: Vec<u8>,
    /// The plugin called close, or on_close is being delivered: sends are
    /// refused with Closed.
    pub closing: bool,
    /// on_close was delivered (or on_open rejected it): the handle is dead.
    pub gone: bool,
}

#[derive(Clone, Copy)]
pub(crate) struct Timer {
    pub due: u64,
    pub seq: u64,
}

pub(crate) struct State {
    pub next_handle: u64,
    pub conns: BTreeMap<u64, ConnState>,
    pub topics: BTreeMap<String, BTreeSet<u64>>,
    pub config: BTreeMap<String, String>,
    pub logs: Vec<LogLine>,
    pub timers: BTreeMap<u64, Timer>,
    pub seq: u64,
    pub now: u64,
    pub inject: Vec<(&'static str, Error)>,
}

impl State {
    fn new() -> State {
        State {
            next_handle: 1,
            conns: BTreeMap::new(),
            topics: BTreeMap::new(),
            config: BTreeMap::new(),
            logs: Vec::new(),
            timers: BTreeMap::new(),
            seq: 0,
            now: START_MS,
            inject: Vec::new(),
        }
    }

    /// live returns the connection if its handle is valid.
    fn live(&mut self, conn: i64) -> Option<&mut ConnState> {
        match self.conns.get_mut(&(conn as u64)) {
            Some(c) if !c.gone => Some(c),
            _ => None,
        }
    }

    /// injected pops a status the test asked this import to return next.
    fn injected(&mut self, name: &str) -> Option<i32> {
        let i = self.inject.iter().position(|(n, _)| *n == name)?;
        Some(self.inject.remove(i).1.status())
    }

    /// forget drops everything the host keeps for a dead connection except
    /// what it sent, which tests inspect.
    pub fn forget(&mut self, id: u64) {
        if let Some(c) = self.conns.get_mut(&id) {
            c.gone = true;
            c.attachment.clear();
        }
        for subs in self.topics.values_mut() {
            subs.remove(&id);
        }
        self.topics.retain(|_, subs| !subs.is_empty());
    }
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::new());
}

/// with runs f on this thread's fake host state.
pub(crate) fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|s| f(&mut s.borrow_mut()))
}

/// reset gives this thread a fresh fake host.
pub(crate) fn reset() {
    STATE.with(|s| *s.borrow_mut() = State::new());
}

/// read copies guest memory (the guest is this process).
unsafe fn read(ptr: *const u8, len: usize) -> Vec<u8> {
    if len == 0 {
        Vec::new()
    } else {
        std::slice::from_raw_parts(ptr, len).to_vec()
    }
}

/// write_out applies the (buf, cap) rule: write data if it fits, and return
/// its length either way.
unsafe fn write_out(buf: *mut u8, cap: usize, data: &[u8]) -> i32 {
    if data.len() <= cap && !data.is_empty() {
        std::ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len());
    }
    data.len() as i32
}

/// send queues a frame for one connection. As in the host, a bad handle is
/// reported first, then a bad argument, then a closing connection.
fn send(name: &'static str, conn: i64, frame: impl FnOnce() -> Result<Frame, i32>) -> i32 {
    with(|s| {
        if let Some(st) = s.injected(name) {
            return st;
        }
        let c = match s.live(conn) {
            Some(c) => c,
            None => return BAD_HANDLE,
        };
        match frame() {
            Ok(_) if c.closing => CLOSED,
            Ok(f) => {
                c.sent.push(f);
                OK
            }
            Err(st) => st,
        }
    })
}

pub unsafe fn send_text(conn: i64, ptr: *const u8, len: usize) -> i32 {
    send("send_text", conn, || {
        String::from_utf8(read(ptr, len))
            .map(Frame::Text)
            .map_err(|_| INVALID_UTF8)
    })
}

pub unsafe fn send_binary(conn: i64, ptr: *const u8, len: usize) -> i32 {
    send("send_binary", conn, || Ok(Frame::Binary(read(ptr, len))))
}

pub unsafe fn ping(conn: i64, ptr: *const u8, len: usize) -> i32 {
    send("ping", conn, || {
        if len > MAX_CONTROL_PAYLOAD {
            Err(TOO_LARGE)
        } else {
            Ok(Frame::Ping(read(ptr, len)))
        }
    })
}

/// sendable_close_code is abi.SendableCloseCode.
fn sendable_close_code(code: i32) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

pub unsafe fn close(conn: i64, code: i32, ptr: *const u8, len: usize) -> i32 {
    let r = send("close", conn, || {
        if !sendable_close_code(code) {
            return Err(INVALID_ARGUMENT);
        }
        if len > MAX_CLOSE_REASON {
            return Err(TOO_LARGE);
        }
        let reason = String::from_utf8(read(ptr, len)).map_err(|_| INVALID_UTF8)?;
        Ok(Frame::Close(code as u16, reason))
    });
    if r == OK {
        with(|s| {
            if let Some(c) = s.live(conn) {
                c.closing = true;
            }
        });
    }
    r
}

/// topic reads and checks a topic name.
unsafe fn topic(ptr: *const u8, len: usize, allow_empty: bool) -> Result<String, i32> {
    if len > MAX_TOPIC {
        return Err(TOO_LARGE);
    }
    if len == 0 && !allow_empty {
        return Err(INVALID_ARGUMENT);
    }
    String::from_utf8(read(ptr, len)).map_err(|_| INVALID_UTF8)
}

pub unsafe fn subscribe(conn: i64, topic_ptr: *const u8, topic_len: usize) -> i32 {
    with(|s| {
        if let Some(st) = s.injected("subscribe") {
            return st;
        }
        if s.live(conn).is_none() {
            return BAD_HANDLE;
        }
        let t = match topic(topic_ptr, topic_len, false) {
            Ok(t) => t,
            Err(st) => return st,
        };
        let id = conn as u64;
        if s.topics.get(&t).map_or(false, |subs| subs.contains(&id)) {
            return 1;
        }
        if s.topics.values().filter(|subs| subs.contains(&id)).count() >= MAX_SUBSCRIPTIONS {
            return LIMIT;
        }
        s.topics.entry(t).or_default().insert(id);
        0
    })
}

pub unsafe fn unsubscribe(conn: i64, topic_ptr: *const u8, topic_len: usize) -> i32 {
    with(|s| {
        if let Some(st) = s.injected("unsubscribe") {
            return st;
        }
        if s.live(conn).is_none() {
            return BAD_HANDLE;
        }
        let t = match topic(topic_ptr, topic_len, false) {
            Ok(t) => t,
            Err(st) => return st,
        };
        let removed = s
            .topics
            .get_mut(&t)
            .map_or(false, |subs| subs.remove(&(conn as u64)));
        s.topics.retain(|_, subs| !subs.is_empty());
        if removed {
            0
        } else {
            1
        }
    })
}

/// publish queues a frame to every subscriber of a topic but one.
unsafe fn publish(
    name: &'static str,
    topic_ptr: *const u8,
    topic_len: usize,
    except_conn: i64,
    frame: Result<Frame, i32>,
) -> i32 {
    with(|s| {
        if let Some(st) = s.injected(name) {
            return st;
        }
        let t = match topic(topic_ptr, topic_len, true) {
            Ok(t) => t,
            Err(st) => return st,
        };
        let frame = match frame {
            Ok(f) => f,
            Err(st) => return st,
        };
        let to: Vec<u64> = if t.is_empty() {
            s.conns.keys().copied().collect()
        } else {
            s.topics
                .get(&t)
                .map(|subs| subs.iter().copied().collect())
                .unwrap_or_default()
        };
        let mut n = 0;
        for id in to {
            if id == except_conn as u64 {
                continue;
            }
            if let Some(c) = s.conns.get_mut(&id) {
                if !c.gone && !c.closing {
                    c.sent.push(frame.clone());
                    n += 1;
                }
            }
        }
        n
    })
}

pub unsafe fn publish_text(
    topic_ptr: *const u8,
    topic_len: usize,
    ptr: *const u8,
    len: usize,
    except_conn: i64,
) -> i32 {
    let f = String::from_utf8(read(ptr, len))
        .map(Frame::Text)
        .map_err(|_| INVALID_UTF8);
    publish("publish_text", topic_ptr, topic_len, except_conn, f)
}

pub unsafe fn publish_binary(
    topic_ptr: *const u8,
    topic_len: usize,
    ptr: *const u8,
    len: usize,
    except_conn: i64,
) -> i32 {
    let f = Ok(Frame::Binary(read(ptr, len)));
    publish("publish_binary", topic_ptr, topic_len, except_conn, f)
}

pub unsafe fn conn_info(conn: i64, key: i32, buf: *mut u8, cap: usize) -> i32 {
    with(|s| {
        if let Some(st) = s.injected("conn_info") {
            return st;
        }
        let c = match s.live(conn) {
            Some(c) => c,
            None => return BAD_HANDLE,
        };
        let r = &c.request;
        let v = match key {
            0 => &r.path,
            1 => &r.query,
            2 => &r.remote_addr,
            3 => &r.subprotocol,
            4 => &r.origin,
            _ => return INVALID_ARGUMENT,
        };
        write_out(buf, cap, v.as_bytes())
    })
}

pub unsafe fn conn_header(
    conn: i64,
    name_ptr: *const u8,
    name_len: usize,
    buf: *mut u8,
    cap: usize,
) -> i32 {
    let name = read(name_ptr, name_len);
    with(|s| {
        if let Some(st) = s.injected("conn_header") {
            return st;
        }
        if name.is_empty() {
            return INVALID_ARGUMENT;
        }
        let c = match s.live(conn) {
            Some(c) => c,
            None => return BAD_HANDLE,
        };
        let values: Vec<&str> = c
            .request
            .headers
            .iter()
            .filter(|(k, _)| k.as_bytes().eq_ignore_ascii_case(&name))
            .map(|(_, v)| v.as_str())
            .collect();
        if values.is_empty() {
            return NOT_FOUND;
        }
        write_out(buf, cap, values.join(", ").as_bytes())
    })
}

pub unsafe fn attach(conn: i64, ptr: *const u8, len: usize) -> i32 {
    with(|s| {
        if let Some(st) = s.injected("attach") {
            return st;
        }
        let c = match s.live(conn) {
            Some(c) => c,
            None => return BAD_HANDLE,
        };
        if len > MAX_ATTACHMENT {
            return TOO_LARGE;
        }
        c.attachment = read(ptr, len);
        OK
    })
}

pub unsafe fn attachment(conn: i64, buf: *mut u8, cap: usize) -> i32 {
    with(|s| {
        if let Some(st) = s.injected("attachment") {
            return st;
        }
        match s.live(conn) {
            Some(c) => write_out(buf, cap, &c.attachment),
            None => BAD_HANDLE,
        }
    })
}

pub unsafe fn config(key_ptr: *const u8, key_len: usize, buf: *mut u8, cap: usize) -> i32 {
    let key = read(key_ptr, key_len);
    with(|s| {
        if let Some(st) = s.injected("config") {
            return st;
        }
        let key = match std::str::from_utf8(&key) {
            Ok(k) => k,
            Err(_) => return INVALID_UTF8,
        };
        match s.config.get(key) {
            Some(v) => write_out(buf, cap, v.as_bytes()),
            None => NOT_FOUND,
        }
    })
}

pub unsafe fn log(level: i32, ptr: *const u8, len: usize) -> i32 {
    let level = match level {
        0 => Level::Debug,
        1 => Level::Info,
        2 => Level::Warn,
        3 => Level::Error,
        _ => return INVALID_ARGUMENT,
    };
    let msg = read(ptr, len.min(MAX_LOG_LINE));
    with(|s| {
        if let Some(st) = s.injected("log") {
            return st;
        }
        s.logs.push(LogLine {
            level,
            message: String::from_utf8_lossy(&msg).into_owned(),
        });
        OK
    })
}

pub unsafe fn timer(delay_ms: i32, id: i64) -> i32 {
    with(|s| {
        if let Some(st) = s.injected("timer") {
            return st;
        }
        if delay_ms < 0 {
            return INVALID_ARGUMENT;
        }
        let id = id as u64;
        if !s.timers.contains_key(&id) && s.timers.len() >= MAX_TIMERS {
            return LIMIT;
        }
        s.seq += 1;
        let t = Timer {
            due: s.now + delay_ms as u64,
            seq: s.seq,
        };
        s.timers.insert(id, t);
        OK
    })
}

pub unsafe fn timer_cancel(id: i64) -> i32 {
    with(|s| {
        if let Some(st) = s.injected("timer_cancel") {
            return st;
        }
        match s.timers.remove(&(id as u64)) {
            Some(_) => OK,
            None => NOT_FOUND,
        }
    })
}

pub unsafe fn now_ms() -> i64 {
    with(|s| s.now as i64)
}
