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

impl Error {
    /// Maps an NNG error code to an [`Error`]; `0` is not an error and gives `None`.
    pub fn from_code(code: u32) -> Option<Error> {
        use Error::*;
        let e = match code {
            0 => return None,
            1 => Interrupted,
            2 => NoMemory,
            3 => InvalidOperation,
            4 => Busy,
            5 => Timeout,
            6 => ConnectionRefused,
            7 => Closed,
            8 => TryAgain,
            9 => NotSupported,
            10 => AddressInUse,
            11 => BadState,
            12 => NoEntry,
            13 => ProtocolError,
            14 => DestinationUnreachable,
            15 => AddressInvalid,
            16 => PermissionDenied,
            17 => MessageTooLarge,
            18 => ConnectionAborted,
            19 => ConnectionReset,
            20 => Canceled,
            21 => OutOfFiles,
            22 => OutOfSpace,
            23 => AlreadyExists,
            24 => ReadOnly,
            25 => WriteOnly,
            26 => CryptoError,
            27 => AuthenticationError,
            28 => NoArgument,
            29 => Ambiguous,
            30 => BadType,
            31 => ConnectionShutdown,
            999 => Stopped,
            1000 => Internal,
            c if c & 0x1000_0000 != 0 => System(c & !0x1000_0000),
            c if c & 0x2000_0000 != 0 => Transport(c & !0x2000_0000),
            c => Unknown(c),
        };
        Some(e)
    }

    /// The numeric NNG error code (the `errno` of pynng's exceptions).
    pub fn errno(self) -> u32 {
        use Error::*;
        match self {
            Interrupted => 1,
            NoMemory => 2,
            InvalidOperation => 3,
            Busy => 4,
            Timeout => 5,
            ConnectionRefused => 6,
            Closed => 7,
            TryAgain => 8,
            NotSupported => 9,
            AddressInUse => 10,
            BadState => 11,
            NoEntry => 12,
            ProtocolError => 13,
            DestinationUnreachable => 14,
            AddressInvalid => 15,
            PermissionDenied => 16,
            MessageTooLarge => 17,
            ConnectionAborted => 18,
            ConnectionReset => 19,
            Canceled => 20,
            OutOfFiles => 21,
            OutOfSpace => 22,
            AlreadyExists => 23,
            ReadOnly => 24,
            WriteOnly => 25,
            CryptoError => 26,
            AuthenticationError => 27,
            NoArgument => 28,
            Ambiguous => 29,
            BadType => 30,
            ConnectionShutdown => 31,
            Stopped => 999,
            Internal => 1000,
            System(c) => c | 0x1000_0000,
            Transport(c) => c | 0x2000_0000,
            Unknown(c) => c,
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
    fn messages_come_from_nng() {
        assert_eq!(Error::Timeout.nng_message(), "Timed out");
        assert_eq!(Error::Closed.to_string(), "Object closed");
    }
}
