//! Conn: the handle of one WebSocket connection and the calls made on it.

use core::fmt;
use core::num::NonZeroU64;

use crate::error::{check, Error, Result};
use crate::host::{read_output, read_string};
use crate::sys;

/// Conn is the handle of one connection of this plugin's route.
///
/// It is a plain `Copy` number: keep it in your own maps, compare it, print
/// it. The host never reuses a handle during its life, so a stale `Conn` is
/// never confused with a newer connection: calls on it fail with
/// [`Error::BadHandle`] (or [`Error::Closed`] while it is closing). A handle
/// is only valid for the route (plugin) that received it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Conn(NonZeroU64);

/// Info names a fact about a connection's WebSocket handshake, read with
/// [`Conn::info`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Info {
    /// The request path, e.g. "/chat".
    Path = 0,
    /// The raw query string without "?", "" if none.
    Query = 1,
    /// The peer's "IP:PORT" ("[IPv6]:PORT").
    RemoteAddr = 2,
    /// The negotiated subprotocol, "" if none.
    Subprotocol = 3,
    /// The Origin header, "" if none.
    Origin = 4,
}

impl Conn {
    /// from_raw makes a Conn from a host handle; None for 0, which is never a
    /// handle. Plugins get their Conns from events and rarely need this.
    pub const fn from_raw(handle: u64) -> Option<Conn> {
        match NonZeroU64::new(handle) {
            Some(n) => Some(Conn(n)),
            None => None,
        }
    }

    /// raw returns the host handle, e.g. to store it in an attachment.
    pub const fn raw(self) -> u64 {
        self.0.get()
    }

    #[inline]
    fn h(self) -> i64 {
        self.0.get() as i64
    }

    /// send_text queues a text message to this connection. It never blocks:
    /// [`Error::QueueFull`] means the message was dropped.
    pub fn send_text(self, text: &str) -> Result<()> {
        check(unsafe { sys::send_text(self.h(), text.as_ptr(), text.len()) }).map(drop)
    }

    /// send_binary queues a binary message to this connection, as send_text.
    pub fn send_binary(self, data: &[u8]) -> Result<()> {
        check(unsafe { sys::send_binary(self.h(), data.as_ptr(), data.len()) }).map(drop)
    }

    /// ping queues a ping frame; the payload is at most 125 bytes
    /// ([`Error::TooLarge`] otherwise). The answer arrives in `on_pong`.
    pub fn ping(self, payload: &[u8]) -> Result<()> {
        check(unsafe { sys::ping(self.h(), payload.as_ptr(), payload.len()) }).map(drop)
    }

    /// close starts the closing handshake with a code (1000-1003, 1007-1014 or
    /// 3000-4999, else [`Error::InvalidArgument`]) and a reason of at most 123
    /// bytes ([`Error::TooLarge`]). `on_close` follows when the handshake ends.
    pub fn close(self, code: u16, reason: &str) -> Result<()> {
        check(unsafe { sys::close(self.h(), i32::from(code), reason.as_ptr(), reason.len()) })
            .map(drop)
    }

    /// subscribe adds this connection to a topic of the route (at most 256
    /// bytes, not empty). Ok(true) if it was added, Ok(false) if it was
    /// already subscribed. The host keeps subscriptions across reloads and
    /// drops them when the connection ends.
    pub fn subscribe(self, topic: &str) -> Result<bool> {
        check(unsafe { sys::subscribe(self.h(), topic.as_ptr(), topic.len()) }).map(|n| n == 0)
    }

    /// unsubscribe removes this connection from a topic. Ok(true) if it was
    /// removed, Ok(false) if it was not subscribed.
    pub fn unsubscribe(self, topic: &str) -> Result<bool> {
        check(unsafe { sys::unsubscribe(self.h(), topic.as_ptr(), topic.len()) }).map(|n| n == 0)
    }

    /// attach stores bytes with this connection in the host, replacing earlier
    /// ones (at most 64 KiB). They survive reloads and crash recovery of the
    /// plugin, which is where per-connection state that must last belongs.
    pub fn attach(self, data: &[u8]) -> Result<()> {
        check(unsafe { sys::attach(self.h(), data.as_ptr(), data.len()) }).map(drop)
    }

    /// attachment returns a copy of the bytes stored with attach (empty if
    /// none).
    pub fn attachment(self) -> Result<Vec<u8>> {
        let h = self.h();
        read_output(|buf, cap| unsafe { sys::attachment(h, buf, cap) })
    }

    /// info returns a fact about this connection's handshake.
    pub fn info(self, key: Info) -> Result<String> {
        let h = self.h();
        read_string(|buf, cap| unsafe { sys::conn_info(h, key as i32, buf, cap) })
    }

    /// path returns the request path, e.g. "/chat".
    pub fn path(self) -> Result<String> {
        self.info(Info::Path)
    }

    /// query returns the raw query string without "?", "" if none.
    pub fn query(self) -> Result<String> {
        self.info(Info::Query)
    }

    /// remote_addr returns the peer's "IP:PORT".
    pub fn remote_addr(self) -> Result<String> {
        self.info(Info::RemoteAddr)
    }

    /// subprotocol returns the negotiated subprotocol, "" if none.
    pub fn subprotocol(self) -> Result<String> {
        self.info(Info::Subprotocol)
    }

    /// origin returns the Origin header, "" if none.
    pub fn origin(self) -> Result<String> {
        self.info(Info::Origin)
    }

    /// header returns a request header of the handshake (case-insensitive
    /// name; several values joined by ", "), or None if it was absent.
    pub fn header(self, name: &str) -> Result<Option<String>> {
        let h = self.h();
        let r = read_string(|buf, cap| unsafe {
            sys::conn_header(h, name.as_ptr(), name.len(), buf, cap)
        });
        match r {
            Ok(v) => Ok(Some(v)),
            Err(Error::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl fmt::Display for Conn {
    /// Formats the raw handle, e.g. "42".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Conn({})", self.0)
    }
}
