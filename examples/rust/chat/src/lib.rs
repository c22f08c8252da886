//! chat: one room. Every connection joins topic "chat" with the nick
//! "anon-<handle>"; "/nick NAME" renames (the reply "nick NAME" goes to the
//! sender only); any other text goes to everyone else as "<nick>: text".
//!
//! The plugin keeps no state of its own: the nick is the connection's
//! attachment and the room is a host topic, so both survive a reload.

use socklet::{publish_text, Conn, Handler, Reject, Result};

const ROOM: &str = "chat";
const NICK_COMMAND: &str = "/nick ";

/// Chat is stateless; see the crate documentation.
#[derive(Default)]
pub struct Chat;

/// nick returns conn's nick: its attachment, or the default one.
fn nick(conn: Conn) -> Result<String> {
    let stored = conn.attachment()?;
    match String::from_utf8(stored) {
        Ok(n) if !n.is_empty() => Ok(n),
        _ => Ok(default_nick(conn)),
    }
}

fn default_nick(conn: Conn) -> String {
    format!("anon-{}", conn.raw())
}

impl Handler for Chat {
    fn on_open(&mut self, conn: Conn) -> core::result::Result<(), Reject> {
        conn.subscribe(ROOM)?;
        conn.attach(default_nick(conn).as_bytes())?;
        Ok(())
    }

    fn on_text(&mut self, conn: Conn, text: &str) -> Result<()> {
        if let Some(name) = text.strip_prefix(NICK_COMMAND) {
            conn.attach(name.as_bytes())?;
            return conn.send_text(&format!("nick {name}"));
        }
        let line = format!("{}: {}", nick(conn)?, text);
        publish_text(ROOM, &line, Some(conn)).map(drop)
    }

    fn on_close(&mut self, conn: Conn, _code: u16, _reason: &str) -> Result<()> {
        // The host drops a dead connection's subscriptions anyway; a refusal
        // here is nothing to report.
        let _ = conn.unsubscribe(ROOM);
        Ok(())
    }
}

socklet::plugin!(Chat::default());

#[cfg(test)]
mod tests {
    use super::Chat;
    use socklet::testing::{Frame, Host};

    #[test]
    fn messages_go_to_everyone_else_with_the_nick() {
        let mut host = Host::new(Chat::default);
        let a = host.connect().unwrap();
        let b = host.connect().unwrap();
        let c = host.connect().unwrap();
        assert_eq!(host.subscribers("chat"), vec![a, b, c]);
        host.text(a, "hello");
        let want = Frame::Text(format!("anon-{}: hello", a.raw()));
        assert_eq!(host.take_sent(a), vec![], "the sender gets nothing back");
        assert_eq!(host.take_sent(b), vec![want.clone()]);
        assert_eq!(host.take_sent(c), vec![want]);
    }

    #[test]
    fn nick_renames_and_answers_the_sender_only() {
        let mut host = Host::new(Chat::default);
        let a = host.connect().unwrap();
        let b = host.connect().unwrap();
        host.text(a, "/nick alice");
        assert_eq!(host.take_sent(a), vec![Frame::text("nick alice")]);
        assert_eq!(host.take_sent(b), vec![]);
        assert_eq!(host.attachment(a), b"alice");
        host.text(a, "hi: there /nick x");
        assert_eq!(
            host.take_sent(b),
            vec![Frame::text("alice: hi: there /nick x")]
        );
        host.text(a, "/nickname");
        assert_eq!(host.take_sent(b), vec![Frame::text("alice: /nickname")]);
    }

    #[test]
    fn open_sends_nothing_and_binary_is_ignored() {
        let mut host = Host::new(Chat::default);
        let a = host.connect().unwrap();
        let b = host.connect().unwrap();
        host.binary(a, b"ignored");
        assert!(host.sent(a).is_empty() && host.sent(b).is_empty());
        assert_eq!(host.attachment(a), format!("anon-{}", a.raw()).as_bytes());
    }

    #[test]
    fn closed_connections_leave_the_room() {
        let mut host = Host::new(Chat::default);
        let a = host.connect().unwrap();
        let b = host.connect().unwrap();
        host.close(b, 1001, "going away");
        assert_eq!(host.subscribers("chat"), vec![a]);
        host.text(a, "anyone?");
        assert!(host.logs().is_empty(), "{:?}", host.logs());
    }

    #[test]
    fn nick_survives_a_reload() {
        let mut host = Host::new(Chat::default);
        let a = host.connect().unwrap();
        let b = host.connect().unwrap();
        host.text(a, "/nick alice");
        host.reload();
        host.text(a, "still me");
        assert_eq!(host.take_sent(b), vec![Frame::text("alice: still me")]);
    }
}
