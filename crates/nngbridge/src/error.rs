//! One error type for every NNG error code.

use std::ffi::CStr;

use nng_sys as sys;

/// The result type of every fallible call in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An NNG error code, one variant per code in NNG 2.0's `nng_err`.
///
/// [`Error::errno`] gives the numeric code NNG (and pynng) use, so the Python layer can
/// map each variant to the exception class with the same `errno`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operation was interrupted.
    #[error("Interrupted")]
    Interrupted,
    /// Out of memory.
    #[error("Out of memory")]
    NoMemory,
    /// An argument was invalid.
    #[error("Invalid argument")]
    InvalidOperation,
    /// The resource is busy.
    #[error("Resource busy")]
    Busy,
    /// The operation timed out.
    #[error("Timed out")]
    Timeout,
    /// The remote peer refused the connection.
    #[error("Connection refused")]
    ConnectionRefused,
    /// The object is closed.
    #[error("Object closed")]
    Closed,
    /// The operation would block; try again later.
    #[error("Try again")]
    TryAgain,
    /// The operation is not supported.
    #[error("Not supported")]
    NotSupported,
    /// The address is already in use.
    #[error("Address in use")]
    AddressInUse,
    /// The object is in the wrong state for the operation.
    #[error("Incorrect state")]
    BadState,
    /// The entry (option, file, object) does not exist.
    #[error("Entry not found")]
    NoEntry,
    /// A protocol error occurred.
    #[error("Protocol error")]
    ProtocolError,
    /// The destination cannot be reached.
    #[error("Destination unreachable")]
    DestinationUnreachable,
    /// The address is invalid.
    #[error("Address invalid")]
    AddressInvalid,
    /// Permission denied.
    #[error("Permission denied")]
    PermissionDenied,
    /// The message is too large.
    #[error("Message too large")]
    MessageTooLarge,
    /// The connection was aborted.
    #[error("Connection aborted")]
    ConnectionAborted,
    /// The connection was reset by the peer.
    #[error("Connection reset")]
    ConnectionReset,
    /// The operation was canceled.
    #[error("Operation canceled")]
    Canceled,
    /// Out of files (file descriptors).
    #[error("Out of files")]
    OutOfFiles,
    /// Out of space.
    #[error("Out of space")]
    OutOfSpace,
    /// The resource already exists.
    #[error("Resource already exists")]
    AlreadyExists,
    /// The option is read-only.
    #[error("Read only resource")]
    ReadOnly,
    /// The option is write-only.
    #[error("Write only resource")]
    WriteOnly,
    /// A cryptographic error occurred.
    #[error("Cryptographic error")]
    CryptoError,
    /// Peer authentication failed.
    #[error("Peer could not be authenticated")]
    AuthenticationError,
    /// An option needs an argument.
    #[error("Option requires argument")]
    NoArgument,
    /// An ambiguous option was given.
    #[error("Ambiguous option")]
    Ambiguous,
    /// The value has the wrong type.
    #[error("Incorrect type")]
    BadType,
    /// The connection was shut down.
    #[error("Connection shutdown")]
    ConnectionShutdown,
    /// The object was stopped.
    #[error("Operation stopped")]
    Stopped,
    /// An internal error in NNG.
    #[error("Internal error detected")]
    Internal,
    /// An operating-system error, with its `errno`.
    #[error("System error {0}")]
    System(u32),
    /// A transport error, with its transport-specific code.
    #[error("Transport error {0}")]
    Transport(u32),
    /// A code this crate does not know.
    #[error("Unknown NNG error {0}")]
    Unknown(u32),
}

/// Every named error with its NNG error number: the one table [`Error::from_code`],
/// [`Error::errno`] and the Python exception map (`nngbridge._nng.ERRORS`) are built from.
/// The variant's name is the name of pynng's exception class, where pynng has one.
pub const ERROR_CODES: &[(Error, u32)] = &[
    (Error::Interrupted, 1),
    (Error::NoMemory, 2),
    (Error::InvalidOperation, 3),
    (Error::Busy, 4),
    (Error::Timeout, 5),
    (Error::ConnectionRefused, 6),
    (Error::Closed, 7),
    (Error::TryAgain, 8),
    (Error::NotSupported, 9),
    (Error::AddressInUse, 10),
    (Error::BadState, 11),
    (Error::NoEntry, 12),
    (Error::ProtocolError, 13),
    (Error::DestinationUnreachable, 14),
    (Error::AddressInvalid, 15),
    (Error::PermissionDenied, 16),
    (Error::MessageTooLarge, 17),
    (Error::ConnectionAborted, 18),
    (Error::ConnectionReset, 19),
    (Error::Canceled, 20),
    (Error::OutOfFiles, 21),
    (Error::OutOfSpace, 22),
    (Error::AlreadyExists, 23),
    (Error::ReadOnly, 24),
    (Error::WriteOnly, 25),
    (Error::CryptoError, 26),
    (Error::AuthenticationError, 27),
    (Error::NoArgument, 28),
    (Error::Ambiguous, 29),
    (Error::BadType, 30),
    (Error::ConnectionShutdown, 31),
    (Error::Stopped, 999),
    (Error::Internal, 1000),
];

const SYSTEM_BIT: u32 = 0x1000_0000;
const TRANSPORT_BIT: u32 = 0x2000_0000;

impl Error {
    /// Maps an NNG error code to an [`Error`]; `0` is not an error and gives `None`.
    pub fn from_code(code: u32) -> Option<Error> {
        if code == 0 {
            return None;
        }
        let named = ERROR_CODES
            .iter()
            .find(|(_, c)| *c == code)
            .map(|(e, _)| *e);
        Some(named.unwrap_or(if code & SYSTEM_BIT != 0 {
            Error::System(code & !SYSTEM_BIT)
        } else if code & TRANSPORT_BIT != 0 {
            Error::Transport(code & !TRANSPORT_BIT)
        } else {
            Error::Unknown(code)
        }))
    }

    /// The numeric NNG error code (the `errno` of pynng's exceptions).
    pub fn errno(self) -> u32 {
        match self {
            Error::System(c) => c | SYSTEM_BIT,
            Error::Transport(c) => c | TRANSPORT_BIT,
            Error::Unknown(c) => c,
            named => ERROR_CODES
                .iter()
                .find(|(e, _)| *e == named)
                .map_or(0, |(_, c)| *c),
        }
    }

    /// NNG's own text for this error (`nng_strerror`).
    pub fn nng_message(self) -> String {
        // SAFETY: nng_strerror accepts any code and returns a pointer to a static,
        // NUL-terminated string (or a thread-local buffer for unknown codes).
        let p = unsafe { sys::nng_strerror(sys::nng_err(self.errno())) };
        if p.is_null() {
            return self.to_string();
        }
        // SAFETY: p is non-null and NUL-terminated as documented above.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

/// Turns the return value of an NNG call (`int` or `nng_err`) into a `Result`.
pub(crate) trait NngRc {
    fn code(self) -> u32;
    fn check(self) -> Result<()>
    where
        Self: Sized,
    {
        match Error::from_code(self.code()) {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }
}

impl NngRc for std::os::raw::c_int {
    fn code(self) -> u32 {
        self as u32
    }
}

impl NngRc for sys::nng_err {
    fn code(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_errno() {
        for code in (1..=31).chain([999, 1000, 0x1000_0005, 0x2000_0002, 77]) {
            let e = Error::from_code(code).expect("non-zero code is an error");
            assert_eq!(e.errno(), code, "{e:?}");
        }
        assert_eq!(Error::from_code(0), None);
    }

    #[test]
    fn every_named_variant_is_in_the_table_once() {
        for (e, code) in ERROR_CODES {
            assert_ne!(e.errno(), 0, "{e:?}");
            assert_eq!(
                ERROR_CODES.iter().filter(|(_, c)| c == code).count(),
                1,
                "{e:?}"
            );
            assert!(
                !format!("{e:?}").contains('('),
                "{e:?} is not a unit variant"
            );
        }
    }

    #[test]
    fn messages_come_from_nng() {
        assert_eq!(Error::Timeout.nng_message(), "Timed out");
        assert_eq!(Error::Closed.to_string(), "Object closed");
    }
}
