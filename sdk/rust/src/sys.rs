//! The raw socklet ABI v1 host functions (import module "socklet").
//!
//! This is the only file that declares them; abi/sdk_rust_test.go reads the
//! `extern` block below and checks every name, parameter name and type against
//! abi.Imports. Types lower to WebAssembly as: i64/u64 -> i64;
//! i32/u32/usize/pointers -> i32 (wasm32). Every function returns an i32 that is
//! >= 0 on success (a length or a count) or < 0 a status (see `Error`), except
//! now_ms.
//!
//! On other targets (native `cargo test`) the same functions come from the
//! recording fake host in `testing::fake`, so the rest of the SDK is one code
//! path for both.

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "socklet")]
extern "C" {
    pub fn send_text(conn: i64, ptr: *const u8, len: usize) -> i32;
    pub fn send_binary(conn: i64, ptr: *const u8, len: usize) -> i32;
    pub fn ping(conn: i64, ptr: *const u8, len: usize) -> i32;
    pub fn close(conn: i64, code: i32, ptr: *const u8, len: usize) -> i32;
    pub fn subscribe(conn: i64, topic_ptr: *const u8, topic_len: usize) -> i32;
    pub fn unsubscribe(conn: i64, topic_ptr: *const u8, topic_len: usize) -> i32;
    pub fn publish_text(
        topic_ptr: *const u8,
        topic_len: usize,
        ptr: *const u8,
        len: usize,
        except_conn: i64,
    ) -> i32;
    pub fn publish_binary(
        topic_ptr: *const u8,
        topic_len: usize,
        ptr: *const u8,
        len: usize,
        except_conn: i64,
    ) -> i32;
    pub fn conn_info(conn: i64, key: i32, buf: *mut u8, cap: usize) -> i32;
    pub fn conn_header(
        conn: i64,
        name_ptr: *const u8,
        name_len: usize,
        buf: *mut u8,
        cap: usize,
    ) -> i32;
    pub fn attach(conn: i64, ptr: *const u8, len: usize) -> i32;
    pub fn attachment(conn: i64, buf: *mut u8, cap: usize) -> i32;
    pub fn config(key_ptr: *const u8, key_len: usize, buf: *mut u8, cap: usize) -> i32;
    pub fn log(level: i32, ptr: *const u8, len: usize) -> i32;
    pub fn timer(delay_ms: i32, id: i64) -> i32;
    pub fn timer_cancel(id: i64) -> i32;
    pub fn now_ms() -> i64;
}

#[cfg(not(target_arch = "wasm32"))]
pub use crate::testing::fake::{
    attach, attachment, close, config, conn_header, conn_info, log, now_ms, ping, publish_binary,
    publish_text, send_binary, send_text, subscribe, timer, timer_cancel, unsubscribe,
};
