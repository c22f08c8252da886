//! echo: every text message comes back as text, every binary one as binary.

use socklet::{Conn, Handler, Result};

/// Echo has no state: the host keeps everything about the connections.
#[derive(Default)]
pub struct Echo;

impl Handler for Echo {
    fn on_text(&mut self, conn: Conn, text: &str) -> Result<()> {
        conn.send_text(text)
    }

    fn on_binary(&mut self, conn: Conn, data: &[u8]) -> Result<()> {
        conn.send_binary(data)
    }
}

socklet::plugin!(Echo::default());

#[cfg(test)]
mod tests {
    use super::Echo;
    use socklet::testing::{Frame, Host};

    #[test]
    fn echoes_text_and_binary_of_any_size() {
        let mut host = Host::new(Echo::default);
        let c = host.connect().unwrap();
        let big_text = "é".repeat(1 << 19); // 1 MiB of UTF-8
        let big_bin: Vec<u8> = (0..1u32 << 20).map(|i| i as u8).collect();
        for t in ["", "hello", big_text.as_str()] {
            host.text(c, t);
            assert_eq!(host.take_sent(c), vec![Frame::text(t)]);
        }
        for b in [&b""[..], &[0, 255][..], &big_bin[..]] {
            host.binary(c, b);
            assert_eq!(host.take_sent(c), vec![Frame::binary(b)]);
        }
        host.pong(c, b"ignored");
        host.close(c, 1000, "");
        assert!(host.sent(c).is_empty());
        assert!(host.logs().is_empty());
    }

    #[test]
    fn connections_are_independent() {
        let mut host = Host::new(Echo::default);
        let a = host.connect().unwrap();
        let b = host.connect().unwrap();
        host.text(a, "to a");
        assert_eq!(host.sent(a), vec![Frame::text("to a")]);
        assert!(host.sent(b).is_empty());
    }
}
