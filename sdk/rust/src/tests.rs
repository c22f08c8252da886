//! Unit tests of the SDK, run natively against the emulator.

use crate::testing::{Frame, Host, LogLine, Request};
use crate::{
    config, log, now_ms, publish_binary, publish_text, timer, timer_cancel, Conn, Error, Handler,
    Info, Level, Reject, Result,
};

/// Probe records what it is told and does what a test tells it.
#[derive(Default)]
struct Probe {
    events: Vec<String>,
    reject: Option<Reject>,
    fail_open_with: Option<Error>,
    results: Vec<Result<()>>,
    close_send: Option<Result<()>>,
}

impl Handler for Probe {
    fn on_open(&mut self, conn: Conn) -> core::result::Result<(), Reject> {
        self.events.push(format!("open {conn}"));
        if let Some(e) = self.fail_open_with {
            return Err(e.into());
        }
        match self.reject {
            Some(r) => Err(r),
            None => Ok(()),
        }
    }
    fn on_text(&mut self, conn: Conn, text: &str) -> Result<()> {
        self.events
            .push(format!("text {conn} {} bytes", text.len()));
        let r = conn.send_text(text);
        self.results.push(r);
        r
    }
    fn on_binary(&mut self, conn: Conn, data: &[u8]) -> Result<()> {
        self.events
            .push(format!("binary {conn} {} bytes", data.len()));
        conn.send_binary(data)
    }
    fn on_pong(&mut self, conn: Conn, data: &[u8]) -> Result<()> {
        self.events.push(format!("pong {conn} {data:?}"));
        Ok(())
    }
    fn on_close(&mut self, conn: Conn, code: u16, reason: &str) -> Result<()> {
        self.events.push(format!("close {conn} {code} {reason}"));
        self.close_send = Some(conn.send_text("too late"));
        Ok(())
    }
    fn on_timer(&mut self, id: u64) -> Result<()> {
        self.events.push(format!("timer {id} at {}", now_ms()));
        Ok(())
    }
    fn on_resume(&mut self, conn: Conn) -> Result<()> {
        self.events.push(format!("resume {conn}"));
        Ok(())
    }
}

fn host() -> Host<Probe> {
    Host::new(Probe::default)
}

#[test]
fn statuses_round_trip() {
    for s in -9..=-1 {
        let e = Error::from_status(s);
        assert_ne!(e, Error::Unknown(s), "status {s} is not mapped");
        assert_eq!(e.status(), s);
    }
    assert_eq!(Error::from_status(-42), Error::Unknown(-42));
    assert_eq!(Error::Unknown(-42).status(), -42);
    assert_eq!(Error::QueueFull.to_string(), "socklet: queue full");
    assert_eq!(Error::Unknown(-42).to_string(), "socklet: status -42");
}

#[test]
fn echo_sizes_through_scratch() {
    let mut h = host();
    let c = h.connect().unwrap();
    let big = "x".repeat(1 << 20);
    let bin: Vec<u8> = (0..(1u32 << 20)).map(|i| (i * 7) as u8).collect();
    for text in ["", "a", "héllo", big.as_str()] {
        h.text(c, text);
        assert_eq!(h.take_sent(c), vec![Frame::text(text)]);
    }
    for data in [&[][..], &[0u8][..], &bin[..]] {
        h.binary(c, data);
        assert_eq!(h.take_sent(c), vec![Frame::binary(data)]);
    }
    assert!(h.logs().is_empty(), "{:?}", h.logs());
}

#[test]
fn open_accepts_by_default_and_rejects_with_status() {
    let mut h = host();
    let a = h.connect().unwrap();
    assert!(h.is_open(a));
    h.handler().reject = Some(Reject::FORBIDDEN);
    assert_eq!(h.connect(), Err(403));
    h.handler().reject = Some(Reject::new(200));
    assert_eq!(h.connect(), Err(500));
    h.handler().reject = None;
    h.handler().fail_open_with = Some(Error::NotFound);
    assert_eq!(h.connect(), Err(500));
    assert_eq!(Reject::new(599).status(), 599);
    assert_eq!(Reject::new(600).status(), 500);
    // A rejected handle is dead.
    assert_eq!(
        Conn::from_raw(2).unwrap().send_text("x"),
        Err(Error::BadHandle)
    );
}

#[test]
fn conn_from_raw() {
    assert_eq!(Conn::from_raw(0), None);
    let c = Conn::from_raw(7).unwrap();
    assert_eq!(c.raw(), 7);
    assert_eq!(c.to_string(), "7");
    assert_eq!(format!("{c:?}"), "Conn(7)");
    assert_eq!(core::mem::size_of::<Option<Conn>>(), 8);
}

#[test]
fn info_and_headers() {
    let mut h = host();
    let long = "v".repeat(1000); // more than the first buffer: the retry path
    let req = Request::new("/chat")
        .query("room=1")
        .remote_addr("[::1]:5000")
        .subprotocol("chat.v1")
        .origin("https://example.test")
        .header("X-Token", "a")
        .header("x-token", "b")
        .header("X-Long", &long);
    let c = h.connect_with(req).unwrap();
    assert_eq!(c.path().unwrap(), "/chat");
    assert_eq!(c.query().unwrap(), "room=1");
    assert_eq!(c.remote_addr().unwrap(), "[::1]:5000");
    assert_eq!(c.subprotocol().unwrap(), "chat.v1");
    assert_eq!(c.origin().unwrap(), "https://example.test");
    assert_eq!(c.info(Info::Path).unwrap(), "/chat");
    assert_eq!(c.header("x-TOKEN").unwrap().as_deref(), Some("a, b"));
    assert_eq!(c.header("X-Long").unwrap(), Some(long));
    assert_eq!(c.header("Missing").unwrap(), None);
    h.fail_next("conn_header", Error::BadPointer);
    assert_eq!(c.header("X-Token"), Err(Error::BadPointer));
    let empty = h.connect().unwrap();
    assert_eq!(empty.query().unwrap(), "");
}

#[test]
fn config_values() {
    let mut h = host();
    let long = "c".repeat(5000);
    h.set_config("greeting", "hi").set_config("long", &long);
    assert_eq!(config("greeting").unwrap().as_deref(), Some("hi"));
    assert_eq!(config("long").unwrap(), Some(long));
    assert_eq!(config("absent").unwrap(), None);
    h.fail_next("config", Error::TooLarge);
    assert_eq!(config("greeting"), Err(Error::TooLarge));
}

#[test]
fn attachments() {
    let mut h = host();
    let c = h.connect().unwrap();
    assert_eq!(c.attachment().unwrap(), Vec::<u8>::new());
    let data: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
    c.attach(&data).unwrap();
    assert_eq!(c.attachment().unwrap(), data);
    assert_eq!(h.attachment(c), data);
    assert_eq!(c.attach(&vec![0; (64 << 10) + 1]), Err(Error::TooLarge));
    assert_eq!(
        c.attachment().unwrap(),
        data,
        "a refused attach keeps the old bytes"
    );
    c.attach(b"").unwrap();
    assert_eq!(c.attachment().unwrap(), b"");
}

#[test]
fn subscribe_publish() {
    let mut h = host();
    let (a, b, c) = (
        h.connect().unwrap(),
        h.connect().unwrap(),
        h.connect().unwrap(),
    );
    assert_eq!(a.subscribe("room"), Ok(true));
    assert_eq!(a.subscribe("room"), Ok(false));
    assert_eq!(b.subscribe("room"), Ok(true));
    assert_eq!(c.subscribe(""), Err(Error::InvalidArgument));
    assert_eq!(c.subscribe(&"t".repeat(257)), Err(Error::TooLarge));
    assert_eq!(h.subscribers("room"), vec![a, b]);

    assert_eq!(publish_text("room", "hello", Some(a)), Ok(1));
    assert_eq!(publish_binary("room", &[1, 2], None), Ok(2));
    assert_eq!(publish_text("", "all", Some(b)), Ok(2));
    assert_eq!(publish_text("nobody", "x", None), Ok(0));
    assert_eq!(
        h.take_sent(a),
        vec![Frame::binary(&[1, 2]), Frame::text("all")]
    );
    assert_eq!(
        h.take_sent(b),
        vec![Frame::text("hello"), Frame::binary(&[1, 2])]
    );
    assert_eq!(h.take_sent(c), vec![Frame::text("all")]);

    assert_eq!(a.unsubscribe("room"), Ok(true));
    assert_eq!(a.unsubscribe("room"), Ok(false));
    h.close(b, 1000, "");
    assert_eq!(h.subscribers("room"), vec![]);
    assert_eq!(publish_text("room", "x", None), Ok(0));
    h.fail_next("publish_text", Error::Limit);
    assert_eq!(publish_text("room", "x", None), Err(Error::Limit));
}

#[test]
fn close_and_dead_handles() {
    let mut h = host();
    let c = h.connect().unwrap();
    assert_eq!(c.close(999, ""), Err(Error::InvalidArgument));
    assert_eq!(c.header(""), Err(Error::InvalidArgument));
    assert_eq!(c.close(1005, ""), Err(Error::InvalidArgument));
    assert_eq!(c.close(1000, &"r".repeat(124)), Err(Error::TooLarge));
    assert_eq!(c.ping(&[0; 126]), Err(Error::TooLarge));
    c.ping(b"p").unwrap();
    c.close(4000, "bye").unwrap();
    assert!(h.is_closing(c));
    assert_eq!(c.send_text("late"), Err(Error::Closed));
    assert_eq!(c.close(1000, ""), Err(Error::Closed));
    assert_eq!(
        c.close(1, ""),
        Err(Error::InvalidArgument),
        "arguments are checked first"
    );
    h.close(c, 4000, "bye");
    assert!(!h.is_open(c));
    assert_eq!(
        h.sent(c),
        vec![Frame::Ping(b"p".to_vec()), Frame::Close(4000, "bye".into())]
    );
    assert_eq!(c.send_text("x"), Err(Error::BadHandle));
    assert_eq!(c.attachment(), Err(Error::BadHandle));
    assert_eq!(c.path(), Err(Error::BadHandle));
    assert_eq!(
        h.handler().events.last().unwrap(),
        &format!("close {c} 4000 bye")
    );
}

#[test]
fn pong_and_close_events() {
    let mut h = host();
    let c = h.connect().unwrap();
    h.pong(c, &[9, 8]);
    h.close(c, 1006, "");
    assert_eq!(
        h.handler().events,
        vec![
            format!("open {c}"),
            format!("pong {c} [9, 8]"),
            format!("close {c} 1006 ")
        ]
    );
}

#[test]
fn event_errors_are_logged() {
    let mut h = host();
    let c = h.connect().unwrap();
    h.fail_next("send_text", Error::QueueFull);
    h.text(c, "dropped");
    h.fail_next("send_binary", Error::Unknown(-77));
    h.binary(c, b"x");
    assert_eq!(h.handler().results, vec![Err(Error::QueueFull)]);
    assert_eq!(h.sent(c), vec![]);
    assert_eq!(
        h.logs(),
        vec![
            LogLine {
                level: Level::Warn,
                message: "socklet: on_text: queue full".into()
            },
            LogLine {
                level: Level::Warn,
                message: "socklet: on_binary: unknown status".into()
            },
        ]
    );
}

#[test]
fn log_lines() {
    let mut h = host();
    log(Level::Debug, "d");
    log(Level::Error, &"e".repeat(10 << 10));
    let logs = h.take_logs();
    assert_eq!(
        logs[0],
        LogLine {
            level: Level::Debug,
            message: "d".into()
        }
    );
    assert_eq!(logs[1].level, Level::Error);
    assert_eq!(
        logs[1].message.len(),
        8 << 10,
        "the host cuts lines at 8 KiB"
    );
    h.fail_next("log", Error::Limit);
    log(Level::Info, "refused lines are dropped silently");
    assert!(h.logs().is_empty());
}

#[test]
fn timers() {
    let mut h = host();
    let t0 = h.now();
    assert_eq!(now_ms(), t0);
    timer(100, 1).unwrap();
    timer(50, 2).unwrap();
    timer(50, 3).unwrap();
    timer(10, 4).unwrap();
    assert_eq!(timer_cancel(4), Ok(true));
    assert_eq!(timer_cancel(4), Ok(false));
    timer(500, 1).unwrap(); // re-arm
    assert_eq!(timer(u32::MAX, 5), Err(Error::InvalidArgument));
    assert_eq!(h.timers(), vec![(1, t0 + 500), (2, t0 + 50), (3, t0 + 50)]);
    h.advance(60);
    assert_eq!(
        h.handler().events,
        vec![
            format!("timer 2 at {}", t0 + 50),
            format!("timer 3 at {}", t0 + 50)
        ]
    );
    assert_eq!(h.now(), t0 + 60);
    h.advance(1000);
    assert_eq!(h.handler().events.len(), 3);
    assert!(h.timers().is_empty());
}

#[test]
fn timer_limit() {
    let _h = host();
    for id in 0..4096 {
        timer(1000, id).unwrap();
    }
    assert_eq!(timer(1000, 5000), Err(Error::Limit));
    assert_eq!(timer(10, 7), Ok(()), "re-arming is not a new timer");
}

#[test]
fn reload_resumes_live_connections() {
    let mut h = host();
    let a = h.connect().unwrap();
    let b = h.connect().unwrap();
    a.attach(b"state").unwrap();
    a.subscribe("t").unwrap();
    timer(10, 1).unwrap();
    h.close(b, 1000, "");
    h.reload();
    assert_eq!(h.handler().events, vec![format!("resume {a}")]);
    assert_eq!(a.attachment().unwrap(), b"state");
    assert_eq!(h.subscribers("t"), vec![a]);
    assert!(h.timers().is_empty());
}

#[test]
#[should_panic(expected = "not open")]
fn driving_a_dead_connection_fails_the_test() {
    let mut h = host();
    let c = h.connect().unwrap();
    h.close(c, 1000, "");
    h.text(c, "x");
}

mod glue {
    //! The exports plugin! emits, called as the host calls them.
    use super::*;

    struct Counter {
        texts: usize,
    }
    impl Handler for Counter {
        fn on_open(&mut self, conn: Conn) -> core::result::Result<(), Reject> {
            if conn.path()? == "/no" {
                return Err(Reject::UNAUTHORIZED);
            }
            Ok(())
        }
        fn on_text(&mut self, conn: Conn, text: &str) -> Result<()> {
            self.texts += 1;
            conn.send_text(&format!("{} {text}", self.texts))
        }
    }

    crate::plugin!(Counter { texts: 0 });

    extern "C" {
        fn socklet_abi_v1();
        fn socklet_alloc(size: usize) -> *mut u8;
        fn socklet_on_open(conn: i64) -> i32;
        fn socklet_on_text(conn: i64, ptr: *const u8, len: usize);
        fn socklet_on_close(conn: i64, code: i32, ptr: *const u8, len: usize);
    }

    #[test]
    fn exports_drive_the_registered_handler() {
        let mut h = Host::new(Probe::default); // fresh host state and instance
        let ok = h.connect().unwrap(); // handle 1 (Probe accepts)
        let no = h.connect_with(Request::new("/no")).unwrap(); // handle 2
        unsafe {
            socklet_abi_v1();
            assert_eq!(socklet_on_open(ok.raw() as i64), 0);
            assert_eq!(socklet_on_open(no.raw() as i64), 401);
            for msg in ["a", "bc"] {
                let p = socklet_alloc(msg.len());
                assert!(!p.is_null());
                std::ptr::copy_nonoverlapping(msg.as_ptr(), p, msg.len());
                socklet_on_text(ok.raw() as i64, p, msg.len());
            }
            socklet_on_text(ok.raw() as i64, std::ptr::null(), 0);
            assert!(
                !socklet_alloc(0).is_null(),
                "0 means failure, even for size 0"
            );
            assert!(
                socklet_alloc(usize::MAX).is_null(),
                "impossible sizes return 0"
            );
            socklet_on_close(ok.raw() as i64, 1000, std::ptr::null(), 0);
        }
        assert_eq!(
            h.sent(ok),
            vec![Frame::text("1 a"), Frame::text("2 bc"), Frame::text("3 ")]
        );
    }
}
