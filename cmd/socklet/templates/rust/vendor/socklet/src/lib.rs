//! socklet: write WebSocket handlers for the socklet server in Rust.
//!
//! A plugin is a `cdylib` built for `wasm32-unknown-unknown` (or
//! `wasm32-wasi`). It implements [`Handler`] for the events it cares about and
//! registers it once with [`plugin!`]:
//!
//! ```
//! use socklet::{Conn, Handler, Result};
//!
//! #[derive(Default)]
//! struct Echo;
//!
//! impl Handler for Echo {
//!     fn on_text(&mut self, conn: Conn, text: &str) -> Result<()> {
//!         conn.send_text(text)
//!     }
//!     fn on_binary(&mut self, conn: Conn, data: &[u8]) -> Result<()> {
//!         conn.send_binary(data)
//!     }
//! }
//!
//! socklet::plugin!(Echo::default());
//! # fn main() {}
//! ```
//!
//! Calls to the host go through [`Conn`] (one connection) and the free
//! functions [`publish_text`], [`publish_binary`], [`log`], [`config`],
//! [`timer`], [`timer_cancel`] and [`now_ms`]. Every call that can fail
//! returns [`Result`]; the SDK never panics on a host status.
//!
//! On non-wasm targets the host is replaced by a recording emulator,
//! [`testing::Host`], so a plugin's logic is tested with plain `cargo test`.
//!
//! The raw ABI (socklet ABI v1, abi/abi.go in the socklet repository) stays
//! inside this crate: `sys.rs` declares the imports, `plugin!` the exports.

#![warn(missing_docs)]

mod conn;
mod error;
mod handler;
mod host;
mod macros;
mod sys;

#[doc(hidden)]
#[path = "rt.rs"]
pub mod __rt;

#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use conn::{Conn, Info};
pub use error::{Error, Result};
pub use handler::{Handler, Reject};
pub use host::{config, log, now_ms, publish_binary, publish_text, timer, timer_cancel, Level};

#[cfg(test)]
mod tests;
