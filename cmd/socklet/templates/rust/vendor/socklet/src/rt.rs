//! The glue between the ABI exports emitted by [`plugin!`](crate::plugin) and
//! a [`Handler`]: the payload scratch buffer, the handler's storage, and one
//! dispatch function per event. Not part of the public API (`__rt`).

use crate::conn::Conn;
use crate::error::Result;
use crate::handler::Handler;
use crate::host::{log, Level};

/// Boxed is how the registered handler is stored.
pub type Boxed = Box<dyn Handler>;

/// boxed boxes the value given to `plugin!`; as a function, a value that is
/// not a Handler is reported at its place in the user's code.
pub fn boxed<H: Handler + 'static>(h: H) -> Boxed {
    Box::new(h)
}

#[cfg(target_arch = "wasm32")]
mod slot {
    use super::Boxed;
    use crate::handler::Handler;
    use core::cell::UnsafeCell;

    /// Global is a static cell without locking.
    ///
    /// SAFETY of `Sync`: a wasm32 plugin instance runs on one thread (the SDK
    /// is built without the threads proposal), and the host never calls two
    /// exports of one instance at once, nor re-enters the guest from a host
    /// function. Every access below is confined to one export call, so at
    /// most one `&mut` to each cell exists at any time.
    struct Global<T>(UnsafeCell<T>);
    unsafe impl<T> Sync for Global<T> {}

    static SCRATCH: Global<Vec<u8>> = Global(UnsafeCell::new(Vec::new()));
    static HANDLER: Global<Option<Boxed>> = Global(UnsafeCell::new(None));

    pub fn with_scratch<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        // SAFETY: see Global; scratch accesses do not nest.
        f(unsafe { &mut *SCRATCH.0.get() })
    }

    pub fn with_handler<R>(init: fn() -> Boxed, f: impl FnOnce(&mut dyn Handler) -> R) -> R {
        // SAFETY: see Global; one event at a time, never re-entered.
        let slot = unsafe { &mut *HANDLER.0.get() };
        f(&mut **slot.get_or_insert_with(init))
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod slot {
    //! Native (tests): the same cells per thread, so parallel tests each have
    //! their own "instance".
    use super::Boxed;
    use crate::handler::Handler;
    use std::cell::RefCell;

    thread_local! {
        static SCRATCH: RefCell<Vec<u8>> = RefCell::new(Vec::new());
        static HANDLER: RefCell<Option<Boxed>> = RefCell::new(None);
    }

    pub fn with_scratch<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        SCRATCH.with(|s| f(&mut s.borrow_mut()))
    }

    pub fn with_handler<R>(init: fn() -> Boxed, f: impl FnOnce(&mut dyn Handler) -> R) -> R {
        HANDLER.with(|s| f(&mut **s.borrow_mut().get_or_insert_with(init)))
    }

    /// reset drops this thread's registered handler and scratch buffer, as a
    /// new instance would start.
    pub fn reset() {
        HANDLER.with(|s| s.borrow_mut().take());
        SCRATCH.with(|s| *s.borrow_mut() = Vec::new());
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use slot::reset;
pub use slot::with_handler;
use slot::with_scratch;

/// alloc implements socklet_alloc: room for size bytes in the scratch buffer,
/// or null if memory is exhausted. The ABI lends the room to the host until
/// the next socklet_alloc, which the host calls only when a payload does not
/// fit: the buffer is reused by every event and grows (freeing the old one)
/// only when asked.
pub fn alloc(size: usize) -> *mut u8 {
    with_scratch(|s| {
        s.clear();
        if s.try_reserve(size).is_err() {
            return core::ptr::null_mut();
        }
        s.as_mut_ptr()
    })
}

/// payload borrows the bytes the host wrote for the current event.
///
/// SAFETY: (ptr, len) is what the host passed to the export: len bytes it
/// wrote into the buffer alloc returned (or (0, 0) for an empty payload). The
/// borrow ends when the event returns, before the next alloc.
unsafe fn payload<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 || ptr.is_null() {
        &[]
    } else {
        core::slice::from_raw_parts(ptr, len)
    }
}

/// report logs an event method's error; building the line by hand keeps
/// core::fmt out of small plugins.
fn report(event: &str, r: Result<()>) {
    if let Err(e) = r {
        let mut line = String::with_capacity(48);
        line.push_str("socklet: ");
        line.push_str(event);
        line.push_str(": ");
        line.push_str(e.as_str());
        log(Level::Warn, &line);
    }
}

/// open implements socklet_on_open: 0 accepts, else the reject status.
pub fn open<H: Handler + ?Sized>(h: &mut H, conn: i64) -> i32 {
    match Conn::from_raw(conn as u64) {
        Some(c) => match h.on_open(c) {
            Ok(()) => 0,
            Err(r) => i32::from(r.status()),
        },
        None => 500,
    }
}

/// text implements socklet_on_text. The host promises valid UTF-8; a
/// payload that is not is logged and dropped rather than trusted.
///
/// # Safety
/// (ptr, len) is the payload the host wrote into the buffer [`alloc`]
/// returned, or (0, 0); see `payload`.
pub unsafe fn text<H: Handler + ?Sized>(h: &mut H, conn: i64, ptr: *const u8, len: usize) {
    if let Some(c) = Conn::from_raw(conn as u64) {
        match core::str::from_utf8(payload(ptr, len)) {
            Ok(t) => report("on_text", h.on_text(c, t)),
            Err(_) => log(
                Level::Error,
                "socklet: on_text: payload is not UTF-8, dropped",
            ),
        }
    }
}

/// binary implements socklet_on_binary.
///
/// # Safety
/// (ptr, len) is the payload the host wrote into the buffer [`alloc`]
/// returned, or (0, 0); see `payload`.
pub unsafe fn binary<H: Handler + ?Sized>(h: &mut H, conn: i64, ptr: *const u8, len: usize) {
    if let Some(c) = Conn::from_raw(conn as u64) {
        report("on_binary", h.on_binary(c, payload(ptr, len)));
    }
}

/// pong implements socklet_on_pong.
///
/// # Safety
/// (ptr, len) is the payload the host wrote into the buffer [`alloc`]
/// returned, or (0, 0); see `payload`.
pub unsafe fn pong<H: Handler + ?Sized>(h: &mut H, conn: i64, ptr: *const u8, len: usize) {
    if let Some(c) = Conn::from_raw(conn as u64) {
        report("on_pong", h.on_pong(c, payload(ptr, len)));
    }
}

/// close implements socklet_on_close. A code outside u16 (never sent by a
/// correct host) reads as 1006; a reason that is not UTF-8 as "".
///
/// # Safety
/// As for [`text`].
pub unsafe fn close<H: Handler + ?Sized>(
    h: &mut H,
    conn: i64,
    code: i32,
    ptr: *const u8,
    len: usize,
) {
    if let Some(c) = Conn::from_raw(conn as u64) {
        let code = if (0..=0xffff).contains(&code) {
            code as u16
        } else {
            1006
        };
        let reason = core::str::from_utf8(payload(ptr, len)).unwrap_or("");
        report("on_close", h.on_close(c, code, reason));
    }
}

/// timer implements socklet_on_timer.
pub fn timer<H: Handler + ?Sized>(h: &mut H, id: i64) {
    report("on_timer", h.on_timer(id as u64));
}

/// resume implements socklet_on_resume.
pub fn resume<H: Handler + ?Sized>(h: &mut H, conn: i64) {
    if let Some(c) = Conn::from_raw(conn as u64) {
        report("on_resume", h.on_resume(c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_room_outlives_the_event_until_the_next_alloc() {
        struct Nop;
        impl Handler for Nop {}
        reset();
        let p = alloc(1 << 20);
        assert!(!p.is_null());
        // SAFETY: alloc returned room for 1 MiB, written here as the host would.
        unsafe {
            p.write_bytes(7, 1 << 20);
            binary(&mut Nop, 1, p, 1 << 20);
        }
        // The host may write the next payload into the same room.
        assert!(with_scratch(|s| s.capacity()) >= 1 << 20);
        unsafe {
            p.write_bytes(8, 10);
            binary(&mut Nop, 1, p, 10);
        }
        assert_eq!(alloc(100), p, "a room that fits is reused in place");
    }
}
