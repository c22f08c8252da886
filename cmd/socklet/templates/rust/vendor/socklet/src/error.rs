//! Host statuses as Rust errors: the one place a negative status becomes an
//! [`Error`] (abi/sdk_rust_test.go checks this mapping against abi/status.go).

use core::fmt;

/// Error is a failed host call: the status a socklet host function returned.
///
/// The SDK never panics on a host status; every fallible call returns
/// [`Result`]. Statuses added by a later ABI arrive as [`Error::Unknown`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// The connection handle is unknown, already closed and reported to
    /// `on_close`, or owned by another plugin (status -1).
    BadHandle,
    /// The connection is closing; nothing more can be sent on it (-2).
    Closed,
    /// The connection's outbound queue is full and the message was not
    /// queued: drop it, retry later, or close (-3).
    QueueFull,
    /// An argument is out of its domain: a close code one may not send, an
    /// empty topic, a delay that does not fit (-4).
    InvalidArgument,
    /// A payload, reason, topic, attachment or key exceeds its limit (-5).
    TooLarge,
    /// Text that must be UTF-8 is not, or a header or config value the host
    /// returned is not UTF-8 and was asked for as a `String` (-6).
    InvalidUtf8,
    /// A memory range was outside the plugin's linear memory (-7).
    BadPointer,
    /// The header, config key or timer does not exist (-8). The SDK turns it
    /// into `None` or `false` where absence is an ordinary answer.
    NotFound,
    /// A quota is used up: pending timers or subscriptions (-9).
    Limit,
    /// A status this SDK does not know (a newer host).
    Unknown(i32),
}

/// Result is the result of every fallible socklet call.
pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    /// from_status maps a negative host status to its error. It is the only
    /// place statuses are interpreted.
    pub const fn from_status(status: i32) -> Error {
        match status {
            -1 => Error::BadHandle,
            -2 => Error::Closed,
            -3 => Error::QueueFull,
            -4 => Error::InvalidArgument,
            -5 => Error::TooLarge,
            -6 => Error::InvalidUtf8,
            -7 => Error::BadPointer,
            -8 => Error::NotFound,
            -9 => Error::Limit,
            other => Error::Unknown(other),
        }
    }

    /// status returns the ABI status code of e (the inverse of `from_status`).
    pub const fn status(self) -> i32 {
        match self {
            Error::BadHandle => -1,
            Error::Closed => -2,
            Error::QueueFull => -3,
            Error::InvalidArgument => -4,
            Error::TooLarge => -5,
            Error::InvalidUtf8 => -6,
            Error::BadPointer => -7,
            Error::NotFound => -8,
            Error::Limit => -9,
            Error::Unknown(s) => s,
        }
    }

    /// as_str returns a short lower-case description, the same words as the
    /// Go host's abi.Status.String.
    pub const fn as_str(self) -> &'static str {
        match self {
            Error::BadHandle => "bad handle",
            Error::Closed => "closed",
            Error::QueueFull => "queue full",
            Error::InvalidArgument => "invalid argument",
            Error::TooLarge => "too large",
            Error::InvalidUtf8 => "invalid UTF-8",
            Error::BadPointer => "bad pointer",
            Error::NotFound => "not found",
            Error::Limit => "limit reached",
            Error::Unknown(_) => "unknown status",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Unknown(s) => write!(f, "socklet: status {s}"),
            e => write!(f, "socklet: {}", e.as_str()),
        }
    }
}

impl std::error::Error for Error {}

/// check turns a raw host result into a count, or the error of its status.
#[inline]
pub(crate) fn check(ret: i32) -> Result<u32> {
    if ret < 0 {
        Err(Error::from_status(ret))
    } else {
        Ok(ret as u32)
    }
}
