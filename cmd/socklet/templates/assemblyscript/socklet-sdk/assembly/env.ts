// Raw host functions of socklet ABI v1 (import module "socklet").
//
// This file is internal to the SDK: plugin code uses Conn, publish, config and
// the other wrappers of index.ts, never these functions. Every declaration
// below mirrors one entry of abi.Imports in abi/abi.go; abi/sdk_assemblyscript_test.go
// reads this file and fails when a name or a signature drifts.
//
// Types: a connection handle or timer id is u64 (wasm i64); a pointer is usize
// (wasm i32 on wasm32); lengths, capacities, codes and results are i32. Every
// function returns a value >= 0 on success (or a length or count) and < 0 a
// Status (see status.ts), except now_ms.

@external("socklet", "send_text")
export declare function send_text(conn: u64, ptr: usize, len: i32): i32;

@external("socklet", "send_binary")
export declare function send_binary(conn: u64, ptr: usize, len: i32): i32;

@external("socklet", "ping")
export declare function ping(conn: u64, ptr: usize, len: i32): i32;

@external("socklet", "close")
export declare function close(conn: u64, code: i32, ptr: usize, len: i32): i32;

@external("socklet", "subscribe")
export declare function subscribe(conn: u64, topic_ptr: usize, topic_len: i32): i32;

@external("socklet", "unsubscribe")
export declare function unsubscribe(conn: u64, topic_ptr: usize, topic_len: i32): i32;

@external("socklet", "publish_text")
export declare function publish_text(topic_ptr: usize, topic_len: i32, ptr: usize, len: i32, except_conn: u64): i32;

@external("socklet", "publish_binary")
export declare function publish_binary(topic_ptr: usize, topic_len: i32, ptr: usize, len: i32, except_conn: u64): i32;

@external("socklet", "conn_info")
export declare function conn_info(conn: u64, key: i32, buf: usize, cap: i32): i32;

@external("socklet", "conn_header")
export declare function conn_header(conn: u64, name_ptr: usize, name_len: i32, buf: usize, cap: i32): i32;

@external("socklet", "attach")
export declare function attach(conn: u64, ptr: usize, len: i32): i32;

@external("socklet", "attachment")
export declare function attachment(conn: u64, buf: usize, cap: i32): i32;

@external("socklet", "config")
export declare function config(key_ptr: usize, key_len: i32, buf: usize, cap: i32): i32;

@external("socklet", "log")
export declare function log(level: i32, ptr: usize, len: i32): i32;

@external("socklet", "timer")
export declare function timer(delay_ms: i32, id: u64): i32;

@external("socklet", "timer_cancel")
export declare function timer_cancel(id: u64): i32;

@external("socklet", "now_ms")
export declare function now_ms(): i64;
