//! __NAME__: a socklet plugin. It answers every text message with the same
//! text after the route's `prefix` config value, and echoes binary messages.
//!
//! Build: ./build.sh        Test: cargo test        Serve: socklet serve --config socklet.toml

use socklet::{config, log, Conn, Handler, Level, Result};

/// Plugin is created once per instance, at its first event.
pub struct Plugin {
    prefix: String,
}

impl Plugin {
    /// new reads the route's [route.config] table.
    pub fn new() -> Plugin {
        let prefix = match config("prefix") {
            Ok(p) => p.unwrap_or_default(),
            Err(e) => {
                log(Level::Warn, &format!("cannot read config prefix: {e}"));
                String::new()
            }
        };
        Plugin { prefix }
    }
}

impl Handler for Plugin {
    fn on_text(&mut self, conn: Conn, text: &str) -> Result<()> {
        conn.send_text(&[self.prefix.as_str(), text].concat())
    }

    fn on_binary(&mut self, conn: Conn, data: &[u8]) -> Result<()> {
        conn.send_binary(data)
    }
}

socklet::plugin!(Plugin::new());

#[cfg(test)]
mod tests {
    use super::Plugin;
    use socklet::testing::{Frame, Host};

    #[test]
    fn answers_with_the_configured_prefix() {
        let mut host = Host::new(Plugin::new);
        host.set_config("prefix", "> ");
        let c = host.connect().unwrap();
        host.text(c, "ping");
        host.binary(c, &[1, 2, 3]);
        assert_eq!(
            host.take_sent(c),
            vec![Frame::text("> ping"), Frame::binary(&[1, 2, 3])]
        );
    }

    #[test]
    fn no_prefix_without_config() {
        let mut host = Host::new(Plugin::new);
        let c = host.connect().unwrap();
        host.text(c, "ping");
        assert_eq!(host.take_sent(c), vec![Frame::text("ping")]);
    }
}
