//! jsonrpc: a JSON request/response service over WebSocket text messages.
//!
//! Request:  {"id": <any>, "method": "add" | "echo" | "time" | "sleep", "params": <any>}
//! Response: {"id": <id>, "result": <value>}
//!      or:  {"id": <id>, "error": {"code": <int>, "message": <string>}}
//!
//! - add: params is an array of numbers; the result is their sum.
//! - echo: the result is params (null if absent).
//! - time: the result is the host's clock, ms since the Unix epoch.
//! - sleep: params is [ms] with 0 <= ms <= 60000; the result, ms, comes
//!   after that delay (a host timer). Pending sleeps belong to this instance:
//!   a reload forgets them.
//!
//! Error codes follow JSON-RPC 2.0: -32700 parse error (id null), -32600
//! invalid request, -32601 method not found, -32602 invalid params, -32000
//! the host refused (e.g. too many timers). A missing id answers with id null.
//! Binary messages get -32600.

mod json;

use std::collections::BTreeMap;

use json::Value;
use socklet::{now_ms, timer, timer_cancel, Conn, Error, Handler, Result};

const PARSE_ERROR: i32 = -32700;
const INVALID_REQUEST: i32 = -32600;
const METHOD_NOT_FOUND: i32 = -32601;
const INVALID_PARAMS: i32 = -32602;
const HOST_ERROR: i32 = -32000;

/// MAX_SLEEP_MS bounds the sleep method.
const MAX_SLEEP_MS: f64 = 60_000.0;

/// Rpc answers requests; it remembers only the pending sleeps.
#[derive(Default)]
pub struct Rpc {
    /// timer id -> who asked and the request's id.
    sleeping: BTreeMap<u64, (Conn, Value, u32)>,
    next_timer: u64,
}

/// Outcome is a method's answer: a result or a JSON-RPC error.
type Outcome = core::result::Result<Value, (i32, String)>;

fn response(id: &Value, outcome: Outcome) -> String {
    let mut out = String::from("{\"id\":");
    id.write(&mut out);
    match outcome {
        Ok(v) => {
            out.push_str(",\"result\":");
            v.write(&mut out);
        }
        Err((code, message)) => {
            out.push_str(",\"error\":{\"code\":");
            out.push_str(&code.to_string());
            out.push_str(",\"message\":");
            json::write_string(&message, &mut out);
            out.push('}');
        }
    }
    out.push('}');
    out
}

fn invalid_params(why: &str) -> Outcome {
    Err((INVALID_PARAMS, format!("invalid params: {why}")))
}

fn add(params: Option<&Value>) -> Outcome {
    let items = match params {
        Some(Value::Array(items)) => items,
        _ => return invalid_params("add takes an array of numbers"),
    };
    let mut sum = 0.0;
    for v in items {
        match v {
            Value::Number(n) => sum += n,
            _ => return invalid_params("add takes an array of numbers"),
        }
    }
    if sum.is_finite() {
        Ok(Value::Number(sum))
    } else {
        invalid_params("the sum is out of range")
    }
}

impl Rpc {
    /// call runs one request; None means the answer comes later (sleep).
    fn call(
        &mut self,
        conn: Conn,
        id: &Value,
        method: &str,
        params: Option<&Value>,
    ) -> Option<Outcome> {
        Some(match method {
            "add" => add(params),
            "echo" => Ok(params.cloned().unwrap_or(Value::Null)),
            "time" => Ok(Value::Number(now_ms() as f64)),
            "sleep" => return self.sleep(conn, id, params),
            _ => Err((METHOD_NOT_FOUND, format!("method not found: {method}"))),
        })
    }

    fn sleep(&mut self, conn: Conn, id: &Value, params: Option<&Value>) -> Option<Outcome> {
        let ms = match params {
            Some(Value::Array(a)) if a.len() == 1 => match a[0] {
                Value::Number(n) if (0.0..=MAX_SLEEP_MS).contains(&n) && n.fract() == 0.0 => {
                    n as u32
                }
                _ => return Some(invalid_params("sleep takes [ms], 0 <= ms <= 60000")),
            },
            _ => return Some(invalid_params("sleep takes [ms], 0 <= ms <= 60000")),
        };
        self.next_timer += 1;
        let t = self.next_timer;
        if let Err(e) = timer(ms, t) {
            return Some(Err((HOST_ERROR, format!("cannot sleep: {}", e.as_str()))));
        }
        self.sleeping.insert(t, (conn, id.clone(), ms));
        None
    }
}

impl Handler for Rpc {
    fn on_text(&mut self, conn: Conn, text: &str) -> Result<()> {
        let req = match json::parse(text) {
            Ok(v) => v,
            Err(e) => {
                let msg = format!("parse error at byte {}: {}", e.offset, e.what);
                return conn.send_text(&response(&Value::Null, Err((PARSE_ERROR, msg))));
            }
        };
        let id = req.get("id").cloned().unwrap_or(Value::Null);
        let method = match (&req, req.get("method")) {
            (Value::Object(_), Some(Value::String(m))) => m.as_str(),
            _ => {
                let msg = "invalid request: expected an object with a string \"method\"".to_owned();
                return conn.send_text(&response(&id, Err((INVALID_REQUEST, msg))));
            }
        };
        match self.call(conn, &id, method, req.get("params")) {
            Some(outcome) => conn.send_text(&response(&id, outcome)),
            None => Ok(()),
        }
    }

    fn on_binary(&mut self, conn: Conn, _data: &[u8]) -> Result<()> {
        let msg = "invalid request: send JSON as text messages".to_owned();
        conn.send_text(&response(&Value::Null, Err((INVALID_REQUEST, msg))))
    }

    fn on_timer(&mut self, t: u64) -> Result<()> {
        match self.sleeping.remove(&t) {
            Some((conn, id, ms)) => {
                match conn.send_text(&response(&id, Ok(Value::Number(f64::from(ms))))) {
                    // The connection may have gone meanwhile; nobody to answer.
                    Err(Error::BadHandle) | Err(Error::Closed) => Ok(()),
                    r => r,
                }
            }
            None => Ok(()),
        }
    }

    fn on_close(&mut self, conn: Conn, _code: u16, _reason: &str) -> Result<()> {
        let gone: Vec<u64> = self
            .sleeping
            .iter()
            .filter(|(_, (c, _, _))| *c == conn)
            .map(|(t, _)| *t)
            .collect();
        for t in gone {
            self.sleeping.remove(&t);
            timer_cancel(t)?;
        }
        Ok(())
    }
}

socklet::plugin!(Rpc::default());

#[cfg(test)]
mod tests {
    use super::Rpc;
    use socklet::testing::{Frame, Host};

    fn ask(host: &mut Host<Rpc>, conn: socklet::Conn, req: &str) -> Vec<Frame> {
        host.text(conn, req);
        host.take_sent(conn)
    }

    #[test]
    fn methods() {
        let mut host = Host::new(Rpc::default);
        let c = host.connect().unwrap();
        let now = host.now();
        let cases = [
            (
                r#"{"id":1,"method":"add","params":[1,2,3.5]}"#,
                r#"{"id":1,"result":6.5}"#.to_owned(),
            ),
            (
                r#"{"id":"x","method":"add","params":[]}"#,
                r#"{"id":"x","result":0}"#.to_owned(),
            ),
            (
                r#"{"method":"echo","params":{"a":[true,null,"é\n"]},"id":[1]}"#,
                r#"{"id":[1],"result":{"a":[true,null,"é\n"]}}"#.to_owned(),
            ),
            (
                r#"{"id":2,"method":"echo"}"#,
                r#"{"id":2,"result":null}"#.to_owned(),
            ),
            (
                r#"{"id":3,"method":"time"}"#,
                format!(r#"{{"id":3,"result":{now}}}"#),
            ),
        ];
        for (req, want) in cases {
            assert_eq!(
                ask(&mut host, c, req),
                vec![Frame::Text(want)],
                "request {req}"
            );
        }
    }

    #[test]
    fn errors() {
        let mut host = Host::new(Rpc::default);
        let c = host.connect().unwrap();
        let cases = [
            (
                "{",
                r#"{"id":null,"error":{"code":-32700,"message":"parse error at byte 1: expected a member name"}}"#,
            ),
            (
                "[1]",
                r#"{"id":null,"error":{"code":-32600,"message":"invalid request: expected an object with a string \"method\""}}"#,
            ),
            (
                r#"{"id":4,"method":7}"#,
                r#"{"id":4,"error":{"code":-32600,"message":"invalid request: expected an object with a string \"method\""}}"#,
            ),
            (
                r#"{"id":5,"method":"nope"}"#,
                r#"{"id":5,"error":{"code":-32601,"message":"method not found: nope"}}"#,
            ),
            (
                r#"{"id":6,"method":"add","params":[1,"2"]}"#,
                r#"{"id":6,"error":{"code":-32602,"message":"invalid params: add takes an array of numbers"}}"#,
            ),
            (
                r#"{"id":7,"method":"add","params":[1e308,1e308]}"#,
                r#"{"id":7,"error":{"code":-32602,"message":"invalid params: the sum is out of range"}}"#,
            ),
            (
                r#"{"id":8,"method":"sleep","params":[60001]}"#,
                r#"{"id":8,"error":{"code":-32602,"message":"invalid params: sleep takes [ms], 0 <= ms <= 60000"}}"#,
            ),
        ];
        for (req, want) in cases {
            assert_eq!(
                ask(&mut host, c, req),
                vec![Frame::text(want)],
                "request {req}"
            );
        }
        host.binary(c, b"{}");
        assert_eq!(
            host.take_sent(c),
            vec![Frame::text(
                r#"{"id":null,"error":{"code":-32600,"message":"invalid request: send JSON as text messages"}}"#
            )]
        );
    }

    #[test]
    fn sleep_answers_later_and_is_cancelled_by_close() {
        let mut host = Host::new(Rpc::default);
        let a = host.connect().unwrap();
        let b = host.connect().unwrap();
        assert_eq!(
            ask(&mut host, a, r#"{"id":1,"method":"sleep","params":[100]}"#),
            vec![]
        );
        assert_eq!(
            ask(&mut host, a, r#"{"id":2,"method":"sleep","params":[50]}"#),
            vec![]
        );
        assert_eq!(
            ask(&mut host, b, r#"{"id":3,"method":"sleep","params":[10]}"#),
            vec![]
        );
        host.advance(60);
        assert_eq!(
            host.take_sent(a),
            vec![Frame::text(r#"{"id":2,"result":50}"#)]
        );
        assert_eq!(
            host.take_sent(b),
            vec![Frame::text(r#"{"id":3,"result":10}"#)]
        );
        host.close(a, 1000, "");
        assert!(
            host.timers().is_empty(),
            "closing cancels the connection's sleeps"
        );
        host.advance(100);
        assert!(host.logs().is_empty(), "{:?}", host.logs());
        assert!(host.handler().sleeping.is_empty());
    }

    #[test]
    fn timer_refusal_is_an_error_reply() {
        let mut host = Host::new(Rpc::default);
        let c = host.connect().unwrap();
        host.fail_next("timer", socklet::Error::Limit);
        assert_eq!(
            ask(&mut host, c, r#"{"id":1,"method":"sleep","params":[5]}"#),
            vec![Frame::text(
                r#"{"id":1,"error":{"code":-32000,"message":"cannot sleep: limit reached"}}"#
            )]
        );
    }
}
