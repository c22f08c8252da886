//! The Handler trait a plugin implements, and Reject for on_open.

use crate::conn::Conn;
use crate::error::{Error, Result};

/// Handler receives the events of a plugin's connections. Every method has a
/// do-nothing default: implement only the events you care about, then
/// register your handler once with [`plugin!`](crate::plugin).
///
/// The host calls one event at a time per instance, never concurrently, so
/// methods take `&mut self` and need no locks. An instance serves many
/// connections of its route, and the host may replace it (a reload, or a
/// crash and recovery) with a fresh one: per-connection state that must last
/// belongs in [`Conn::attach`] and topics, which live in the host.
///
/// An `Err` returned by an event method is logged at warn level with the
/// event's name; nothing else happens. Panics abort the instance (the host
/// then recovers the route), so return errors instead.
pub trait Handler {
    /// on_open is called when a client asks to connect, before the handshake
    /// is answered. Return `Err(Reject)` to refuse it with an HTTP status;
    /// the default accepts. `?` on an [`Error`] rejects with 500.
    fn on_open(&mut self, conn: Conn) -> core::result::Result<(), Reject> {
        let _ = conn;
        Ok(())
    }

    /// on_text is called with a whole text message. `text` is borrowed from
    /// a buffer reused by the next event: copy it to keep it.
    fn on_text(&mut self, conn: Conn, text: &str) -> Result<()> {
        let _ = (conn, text);
        Ok(())
    }

    /// on_binary is called with a whole binary message (borrowed, as text).
    fn on_binary(&mut self, conn: Conn, data: &[u8]) -> Result<()> {
        let _ = (conn, data);
        Ok(())
    }

    /// on_pong is called with the payload of a pong frame.
    fn on_pong(&mut self, conn: Conn, data: &[u8]) -> Result<()> {
        let _ = (conn, data);
        Ok(())
    }

    /// on_close is called exactly once for every accepted connection, however
    /// it ended: `code` is the peer's close code, or 1006 when no close frame
    /// arrived. The handle is dead afterwards.
    fn on_close(&mut self, conn: Conn, code: u16, reason: &str) -> Result<()> {
        let _ = (conn, code, reason);
        Ok(())
    }

    /// on_timer is called when a timer set with [`timer`](crate::timer)
    /// fires.
    fn on_timer(&mut self, id: u64) -> Result<()> {
        let _ = id;
        Ok(())
    }

    /// on_resume is called when a live connection was carried over to this
    /// (new) instance by a reload or crash recovery. The default keeps the
    /// connection as it is; override it to rebuild in-instance state from
    /// [`Conn::attachment`], or close the connection (1011) if you cannot.
    fn on_resume(&mut self, conn: Conn) -> Result<()> {
        let _ = conn;
        Ok(())
    }
}

/// Reject refuses a connection in [`Handler::on_open`] with an HTTP status
/// (400-599; any other number becomes 500).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reject(u16);

impl Reject {
    /// 400 Bad Request.
    pub const BAD_REQUEST: Reject = Reject(400);
    /// 401 Unauthorized.
    pub const UNAUTHORIZED: Reject = Reject(401);
    /// 403 Forbidden.
    pub const FORBIDDEN: Reject = Reject(403);
    /// 404 Not Found.
    pub const NOT_FOUND: Reject = Reject(404);
    /// 429 Too Many Requests.
    pub const TOO_MANY_REQUESTS: Reject = Reject(429);
    /// 500 Internal Server Error.
    pub const INTERNAL: Reject = Reject(500);
    /// 503 Service Unavailable.
    pub const UNAVAILABLE: Reject = Reject(503);

    /// new returns a Reject with status, or 500 if status is not in 400-599.
    pub const fn new(status: u16) -> Reject {
        if status >= 400 && status <= 599 {
            Reject(status)
        } else {
            Reject(500)
        }
    }

    /// status returns the HTTP status the client gets.
    pub const fn status(self) -> u16 {
        self.0
    }
}

impl From<Error> for Reject {
    /// A host error while deciding rejects with 500.
    fn from(_: Error) -> Reject {
        Reject::INTERNAL
    }
}
