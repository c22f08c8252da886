//! testing: a host emulator to unit-test a plugin natively with `cargo test`.
//!
//! [`Host`] plays the socklet server: it drives events into a handler through
//! the same glue the wasm exports use (payloads go through `socklet_alloc`'s
//! scratch buffer), and records what the plugin does: frames sent to each
//! connection, publishes (as frames queued to the subscribers), subscriptions,
//! attachments, logs and timers. The host functions answer with the real
//! host's statuses and limits, and [`Host::fail_next`] makes one fail.
//!
//! ```
//! use socklet::testing::{Frame, Host};
//! use socklet::{Conn, Handler, Result};
//!
//! #[derive(Default)]
//! struct Echo;
//! impl Handler for Echo {
//!     fn on_text(&mut self, conn: Conn, text: &str) -> Result<()> {
//!         conn.send_text(text)
//!     }
//! }
//!
//! let mut host = Host::new(Echo::default);
//! let c = host.connect().unwrap();
//! host.text(c, "hi");
//! assert_eq!(host.take_sent(c), vec![Frame::text("hi")]);
//! ```
//!
//! The emulator's state is per thread (the test harness runs each test on its
//! own thread): use one Host per test. Only built on non-wasm targets.

pub(crate) mod fake;

use crate::__rt as rt;
use crate::conn::Conn;
use crate::error::Error;
use crate::handler::Handler;
use crate::host::Level;

/// Frame is something the plugin queued to a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A text message (send_text or publish_text).
    Text(String),
    /// A binary message (send_binary or publish_binary).
    Binary(Vec<u8>),
    /// A ping with its payload.
    Ping(Vec<u8>),
    /// A close frame with its code and reason.
    Close(u16, String),
}

impl Frame {
    /// text returns a Text frame; handy in assertions.
    pub fn text(s: &str) -> Frame {
        Frame::Text(s.to_owned())
    }

    /// binary returns a Binary frame.
    pub fn binary(b: &[u8]) -> Frame {
        Frame::Binary(b.to_vec())
    }
}

/// LogLine is one line the plugin logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// The line's level.
    pub level: Level,
    /// The message, cut at 8 KiB like the host does.
    pub message: String,
}

/// Request describes the handshake of an emulated connection: what
/// [`Conn::info`] and [`Conn::header`] return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The path, "/" by default.
    pub path: String,
    /// The query without "?", "" by default.
    pub query: String,
    /// The peer address, "127.0.0.1:40000" by default.
    pub remote_addr: String,
    /// The negotiated subprotocol, "" by default.
    pub subprotocol: String,
    /// The Origin, "" by default.
    pub origin: String,
    /// The request headers in order (names as given, matched ignoring case).
    pub headers: Vec<(String, String)>,
}

impl Default for Request {
    fn default() -> Request {
        Request::new("/")
    }
}

impl Request {
    /// new returns a request for path with default facts and no headers.
    pub fn new(path: &str) -> Request {
        Request {
            path: path.to_owned(),
            query: String::new(),
            remote_addr: "127.0.0.1:40000".to_owned(),
            subprotocol: String::new(),
            origin: String::new(),
            headers: Vec::new(),
        }
    }

    /// query sets the query string (without "?").
    pub fn query(mut self, q: &str) -> Request {
        self.query = q.to_owned();
        self
    }

    /// remote_addr sets the peer's "IP:PORT".
    pub fn remote_addr(mut self, a: &str) -> Request {
        self.remote_addr = a.to_owned();
        self
    }

    /// subprotocol sets the negotiated subprotocol.
    pub fn subprotocol(mut self, p: &str) -> Request {
        self.subprotocol = p.to_owned();
        self
    }

    /// origin sets the origin and adds the matching Origin header.
    pub fn origin(mut self, o: &str) -> Request {
        self.origin = o.to_owned();
        self.header("Origin", o)
    }

    /// header adds a request header (a repeated name adds a value).
    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// MAX_TIMER_FIRINGS bounds one [`Host::advance`], so a plugin that re-arms
/// a zero-delay timer forever fails the test instead of hanging it.
const MAX_TIMER_FIRINGS: usize = 100_000;

/// Host is the emulated socklet server with one plugin instance.
///
/// The handler is created by the factory lazily, at the first event, as the
/// real instance creates it; [`Host::reload`] replaces it with a fresh one.
/// Methods that drive events panic (failing the test) when used on a
/// connection that is not open: that is a mistake in the test, not a status.
pub struct Host<H: Handler> {
    handler: Option<H>,
    factory: Box<dyn Fn() -> H>,
}

impl<H: Handler> Host<H> {
    /// new returns an emulator with a fresh host state for this thread, no
    /// connections, an empty config and the clock at 2023-11-14T22:13:20Z.
    pub fn new(factory: impl Fn() -> H + 'static) -> Host<H> {
        fake::reset();
        rt::reset();
        Host {
            handler: None,
            factory: Box::new(factory),
        }
    }

    /// handler returns the plugin instance (created if no event came yet), to
    /// inspect its state.
    pub fn handler(&mut self) -> &mut H {
        let factory = &self.factory;
        self.handler.get_or_insert_with(factory)
    }

    /// set_config sets a `[route.config]` value, as read by [`crate::config`].
    pub fn set_config(&mut self, key: &str, value: &str) -> &mut Self {
        fake::with(|s| s.config.insert(key.to_owned(), value.to_owned()));
        self
    }

    /// fail_next makes the next call of the host function named import (an
    /// ABI name such as "send_text") return err's status instead of working.
    pub fn fail_next(&mut self, import: &'static str, err: Error) -> &mut Self {
        fake::with(|s| s.inject.push((import, err)));
        self
    }

    /// connect opens a connection with a default request (path "/"): it calls
    /// on_open and returns the Conn if the plugin accepted, else the HTTP
    /// status it rejected with.
    pub fn connect(&mut self) -> Result<Conn, u16> {
        self.connect_with(Request::default())
    }

    /// connect_with opens a connection for request, as connect.
    pub fn connect_with(&mut self, request: Request) -> Result<Conn, u16> {
        let id = fake::with(|s| {
            let id = s.next_handle;
            s.next_handle += 1;
            s.conns.insert(
                id,
                fake::ConnState {
                    request,
                    sent: Vec::new(),
                    attachment: Vec::new(),
                    closing: false,
                    gone: false,
                },
            );
            id
        });
        let status = rt::open(self.handler(), id as i64);
        if status == 0 {
            Ok(Conn::from_raw(id).expect("handles start at 1"))
        } else {
            fake::with(|s| s.forget(id));
            Err(if (400..=599).contains(&status) {
                status as u16
            } else {
                500
            })
        }
    }

    fn must_be_live(&self, conn: Conn, what: &str) {
        let live = fake::with(|s| s.conns.get(&conn.raw()).map_or(false, |c| !c.gone));
        assert!(
            live,
            "socklet emulator: {what} on {conn:?}, which is not open"
        );
    }

    /// deliver copies a payload into the plugin's scratch buffer through
    /// socklet_alloc, as the host does, and passes (0, 0) when it is empty.
    /// The (ptr, len) f gets meets the safety contract of the `__rt` event
    /// functions, which is why the callers' `unsafe` blocks are sound.
    fn deliver(&mut self, data: &[u8], f: impl FnOnce(&mut H, *const u8, usize)) {
        if data.is_empty() {
            f(self.handler(), std::ptr::null(), 0);
            return;
        }
        let p = rt::alloc(data.len());
        assert!(
            !p.is_null(),
            "socklet emulator: socklet_alloc({}) returned 0",
            data.len()
        );
        // SAFETY: alloc returned room for data.len() bytes.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) };
        f(self.handler(), p, data.len());
    }

    /// text delivers a text message from the client.
    pub fn text(&mut self, conn: Conn, text: &str) {
        self.must_be_live(conn, "text");
        self.deliver(text.as_bytes(), |h, p, n| unsafe {
            rt::text(h, conn.raw() as i64, p, n)
        });
    }

    /// binary delivers a binary message from the client.
    pub fn binary(&mut self, conn: Conn, data: &[u8]) {
        self.must_be_live(conn, "binary");
        self.deliver(data, |h, p, n| unsafe {
            rt::binary(h, conn.raw() as i64, p, n)
        });
    }

    /// pong delivers a pong frame from the client.
    pub fn pong(&mut self, conn: Conn, data: &[u8]) {
        self.must_be_live(conn, "pong");
        self.deliver(data, |h, p, n| unsafe {
            rt::pong(h, conn.raw() as i64, p, n)
        });
    }

    /// close ends the connection: the client closed with code and reason (use
    /// 1006 for a dropped connection), or finished a close the plugin started.
    /// The plugin gets on_close (during which sends on the connection fail
    /// with [`Error::Closed`]); then the host forgets the connection's
    /// topics and attachment, and its handle is dead. What it was sent stays
    /// readable with [`Host::sent`].
    pub fn close(&mut self, conn: Conn, code: u16, reason: &str) {
        self.must_be_live(conn, "close");
        // While on_close runs, the connection can no longer be sent to.
        fake::with(|s| {
            if let Some(c) = s.conns.get_mut(&conn.raw()) {
                c.closing = true;
            }
        });
        self.deliver(reason.as_bytes(), |h, p, n| unsafe {
            rt::close(h, conn.raw() as i64, i32::from(code), p, n)
        });
        fake::with(|s| s.forget(conn.raw()));
    }

    /// advance moves the clock forward by ms and fires, in order of due time
    /// (then of setting), every timer due by then, each with the clock at its
    /// due time.
    pub fn advance(&mut self, ms: u64) {
        let end = fake::with(|s| s.now + ms);
        for _ in 0..MAX_TIMER_FIRINGS {
            let next = fake::with(|s| {
                let (id, t) = s
                    .timers
                    .iter()
                    .filter(|(_, t)| t.due <= end)
                    .min_by_key(|(_, t)| (t.due, t.seq))
                    .map(|(id, t)| (*id, *t))?;
                s.timers.remove(&id);
                s.now = s.now.max(t.due);
                Some(id)
            });
            match next {
                Some(id) => rt::timer(self.handler(), id as i64),
                None => {
                    fake::with(|s| s.now = end);
                    return;
                }
            }
        }
        panic!("socklet emulator: more than {MAX_TIMER_FIRINGS} timers fired in one advance");
    }

    /// reload replaces the instance with a fresh one, as a hot reload or a
    /// crash recovery does: the handler is rebuilt by the factory, timers
    /// set by the old instance are dropped, and every open connection (with
    /// its topics and attachment, which live in the host) gets on_resume.
    pub fn reload(&mut self) {
        self.handler = None;
        rt::reset();
        let live: Vec<u64> = fake::with(|s| {
            s.timers.clear();
            s.conns
                .iter()
                .filter(|(_, c)| !c.gone)
                .map(|(id, _)| *id)
                .collect()
        });
        for id in live {
            rt::resume(self.handler(), id as i64);
        }
    }

    /// set_now sets the clock (ms since the Unix epoch) without firing timers.
    pub fn set_now(&mut self, ms: u64) {
        fake::with(|s| s.now = ms);
    }

    /// now returns the emulated clock.
    pub fn now(&self) -> u64 {
        fake::with(|s| s.now)
    }

    /// sent returns the frames queued to conn so far (also after it closed).
    pub fn sent(&self, conn: Conn) -> Vec<Frame> {
        fake::with(|s| {
            s.conns
                .get(&conn.raw())
                .map(|c| c.sent.clone())
                .unwrap_or_default()
        })
    }

    /// take_sent returns and forgets the frames queued to conn so far.
    pub fn take_sent(&mut self, conn: Conn) -> Vec<Frame> {
        fake::with(|s| {
            s.conns
                .get_mut(&conn.raw())
                .map(|c| std::mem::take(&mut c.sent))
                .unwrap_or_default()
        })
    }

    /// logs returns the lines logged so far.
    pub fn logs(&self) -> Vec<LogLine> {
        fake::with(|s| s.logs.clone())
    }

    /// take_logs returns and forgets the lines logged so far.
    pub fn take_logs(&mut self) -> Vec<LogLine> {
        fake::with(|s| std::mem::take(&mut s.logs))
    }

    /// attachment returns the bytes attached to conn (empty if none or dead).
    pub fn attachment(&self, conn: Conn) -> Vec<u8> {
        fake::with(|s| {
            s.conns
                .get(&conn.raw())
                .map(|c| c.attachment.clone())
                .unwrap_or_default()
        })
    }

    /// subscribers returns the connections subscribed to topic, in handle order.
    pub fn subscribers(&self, topic: &str) -> Vec<Conn> {
        fake::with(|s| {
            s.topics
                .get(topic)
                .map(|subs| subs.iter().filter_map(|id| Conn::from_raw(*id)).collect())
                .unwrap_or_default()
        })
    }

    /// is_open reports whether conn is accepted and on_close has not come.
    pub fn is_open(&self, conn: Conn) -> bool {
        fake::with(|s| s.conns.get(&conn.raw()).map_or(false, |c| !c.gone))
    }

    /// is_closing reports whether the plugin called close on conn.
    pub fn is_closing(&self, conn: Conn) -> bool {
        fake::with(|s| {
            s.conns
                .get(&conn.raw())
                .map_or(false, |c| !c.gone && c.closing)
        })
    }

    /// timers returns the pending timers as (id, due time in ms), by id.
    pub fn timers(&self) -> Vec<(u64, u64)> {
        fake::with(|s| s.timers.iter().map(|(id, t)| (*id, t.due)).collect())
    }
}
