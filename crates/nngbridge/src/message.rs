//! Messages: an NNG-owned body and header, accessed without copies.

use std::fmt;
use std::ptr::NonNull;

use nng_sys as sys;

use crate::error::{Error, NngRc, Result};
use crate::pipe::Pipe;

/// A message owned by NNG memory (`nng_msg`). Sending it hands the memory to NNG;
/// receiving one gives it to you, so bodies are never copied on the way in.
///
/// ```
/// let mut m = nngbridge::Message::with_len(3)?;
/// m.body_mut().copy_from_slice(b"abc");
/// m.push_back(b"de")?;
/// assert_eq!(m.body(), b"abcde");
/// # Ok::<(), nngbridge::Error>(())
/// ```
pub struct Message {
    ptr: NonNull<sys::nng_msg>,
}

// SAFETY: an nng_msg has a single owner and no thread affinity; NNG itself passes
// messages between its threads.
unsafe impl Send for Message {}
// SAFETY: shared references only read the message (body, header, pipe).
unsafe impl Sync for Message {}

impl Message {
    /// An empty message.
    pub fn new() -> Result<Message> {
        Message::with_len(0)
    }

    /// A message whose body is `len` zero bytes, ready to be filled through [`Message::body_mut`].
    pub fn with_len(len: usize) -> Result<Message> {
        // SAFETY: the whole body is zeroed before the message is returned.
        let mut m = unsafe { Message::alloc_unfilled(len)? };
        m.body_mut().fill(0);
        Ok(m)
    }

    /// A message of `len` body bytes whose content is unspecified.
    ///
    /// # Safety
    /// A reused large buffer is not cleared first, so the body may hold an earlier
    /// message's bytes: the caller overwrites the whole body before the message is read,
    /// sent or handed to anyone.
    unsafe fn alloc_unfilled(len: usize) -> Result<Message> {
        crate::init();
        let mut p: *mut sys::nng_msg = std::ptr::null_mut();
        // SAFETY: nng_msg_alloc writes a fresh message pointer into `p` on success.
        let alloc = || unsafe { sys::nng_msg_alloc(&mut p, len) };
        // SAFETY: this one nng_msg_alloc's large calloc is its body, and the caller
        // writes all of it before anything reads it (this fn's contract).
        #[cfg(unix)]
        let rv = unsafe { crate::alloc::unfilled(alloc) };
        #[cfg(not(unix))]
        let rv = alloc();
        rv.check()?;
        let ptr = NonNull::new(p).ok_or(Error::NoMemory)?;
        Ok(Message { ptr })
    }

    /// A message whose body is a copy of `data`.
    pub fn from_bytes(data: &[u8]) -> Result<Message> {
        // SAFETY: the whole body is overwritten with `data` before it is returned.
        let mut m = unsafe { Message::alloc_unfilled(data.len())? };
        m.body_mut().copy_from_slice(data);
        Ok(m)
    }

    /// Takes ownership of a raw message pointer.
    ///
    /// # Safety
    /// `ptr` must be a valid message that nobody else owns or frees.
    pub(crate) unsafe fn from_raw(ptr: NonNull<sys::nng_msg>) -> Message {
        Message { ptr }
    }

    /// Gives up ownership of the raw message pointer (NNG takes it on a successful send).
    pub(crate) fn into_raw(self) -> NonNull<sys::nng_msg> {
        let p = self.ptr;
        std::mem::forget(self);
        p
    }

    pub(crate) fn as_ptr(&self) -> *mut sys::nng_msg {
        self.ptr.as_ptr()
    }

    /// Hands the message to an NNG send call (`nng_sendmsg`, `nng_ctx_sendmsg`), which
    /// owns it on success; on failure the message is untouched and comes back.
    ///
    /// # Safety
    /// `send` returns 0 exactly when it took ownership of the message, and otherwise
    /// leaves it valid and unfreed.
    pub(crate) unsafe fn send_with(
        self,
        send: impl FnOnce(*mut sys::nng_msg) -> std::os::raw::c_int,
    ) -> Result<(), crate::SendError> {
        match send(self.as_ptr()).check() {
            Ok(()) => {
                let _ = self.into_raw();
                Ok(())
            }
            Err(error) => Err(crate::SendError {
                error,
                message: self,
            }),
        }
    }

    /// Takes the message an NNG receive call (`nng_recvmsg`, `nng_ctx_recvmsg`) writes
    /// through its out-pointer.
    ///
    /// # Safety
    /// When `recv` returns 0 it has written a valid message that nobody else owns.
    pub(crate) unsafe fn recv_with(
        recv: impl FnOnce(*mut *mut sys::nng_msg) -> std::os::raw::c_int,
    ) -> Result<Message> {
        let mut p = std::ptr::null_mut();
        recv(&mut p).check()?;
        let p = NonNull::new(p).ok_or(Error::Internal)?;
        // SAFETY: a successful receive gives us sole ownership of the message (this
        // fn's contract).
        Ok(unsafe { Message::from_raw(p) })
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        // SAFETY: the message is valid; body/len describe one allocation owned by it
        // that lives until the message is changed through &mut self or freed.
        unsafe {
            let len = sys::nng_msg_len(self.as_ptr());
            if len == 0 {
                return &[];
            }
            std::slice::from_raw_parts(sys::nng_msg_body(self.as_ptr()) as *const u8, len)
        }
    }

    /// The body, writable in place.
    pub fn body_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `body`, and &mut self gives exclusive access.
        unsafe {
            let len = sys::nng_msg_len(self.as_ptr());
            if len == 0 {
                return &mut [];
            }
            std::slice::from_raw_parts_mut(sys::nng_msg_body(self.as_ptr()) as *mut u8, len)
        }
    }

    /// The header (protocol data such as request ids on raw sockets).
    pub fn header(&self) -> &[u8] {
        // SAFETY: as in `body`, for the header area.
        unsafe {
            let len = sys::nng_msg_header_len(self.as_ptr());
            if len == 0 {
                return &[];
            }
            std::slice::from_raw_parts(sys::nng_msg_header(self.as_ptr()) as *const u8, len)
        }
    }

    /// Appends bytes to the header.
    pub fn header_push(&mut self, data: &[u8]) -> Result<()> {
        // SAFETY: data is a valid slice; NNG copies it.
        unsafe {
            sys::nng_msg_header_append(self.as_ptr(), data.as_ptr().cast(), data.len()).check()
        }
    }

    /// Length of the body in bytes.
    pub fn len(&self) -> usize {
        // SAFETY: the message is valid.
        unsafe { sys::nng_msg_len(self.as_ptr()) }
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends bytes to the body.
    pub fn push_back(&mut self, data: &[u8]) -> Result<()> {
        // SAFETY: data is a valid slice; NNG copies it.
        unsafe { sys::nng_msg_append(self.as_ptr(), data.as_ptr().cast(), data.len()).check() }
    }

    /// Makes room for `additional` more body bytes, so appends up to that do not
    /// reallocate (and copy) the body.
    pub fn reserve(&mut self, additional: usize) -> Result<()> {
        let want = self.len().checked_add(additional).ok_or(Error::NoMemory)?;
        // SAFETY: the message is valid; reserve only grows its capacity.
        unsafe { sys::nng_msg_reserve(self.as_ptr(), want).check() }
    }

    /// Resizes the body to `len` bytes; bytes added at the end are zero.
    pub fn set_len(&mut self, len: usize) -> Result<()> {
        let old = self.len();
        // SAFETY: the message is valid; realloc keeps the existing content. What grows
        // is uninitialised (or a reused buffer's old bytes) and is zeroed below.
        unsafe { sys::nng_msg_realloc(self.as_ptr(), len).check()? };
        if len > old {
            // SAFETY: the body now holds `len` bytes and is ours alone (&mut self), so
            // `old..len` lies inside it; a raw write, since those bytes are not yet
            // initialised and no slice may cover them before this.
            unsafe {
                let body = sys::nng_msg_body(self.as_ptr()).cast::<u8>();
                std::ptr::write_bytes(body.add(old), 0, len - old);
            }
        }
        Ok(())
    }

    /// Empties the body.
    pub fn clear(&mut self) {
        // SAFETY: the message is valid.
        unsafe { sys::nng_msg_clear(self.as_ptr()) }
    }

    /// The pipe the message came in on, if any; set it to choose the pipe on send
    /// (Pair1 polyamorous, raw sockets).
    pub fn pipe(&self) -> Option<Pipe> {
        // SAFETY: the message is valid.
        Pipe::from_raw(unsafe { sys::nng_msg_get_pipe(self.as_ptr()) })
    }

    /// Sets the pipe to send the message on.
    pub fn set_pipe(&mut self, pipe: Pipe) {
        // SAFETY: the message is valid; any pipe id is accepted.
        unsafe { sys::nng_msg_set_pipe(self.as_ptr(), pipe.raw()) }
    }
}

impl Drop for Message {
    fn drop(&mut self) {
        // SAFETY: we own the message and free it exactly once.
        unsafe { sys::nng_msg_free(self.ptr.as_ptr()) }
    }
}

impl Clone for Message {
    fn clone(&self) -> Message {
        let mut p: *mut sys::nng_msg = std::ptr::null_mut();
        // SAFETY: dup copies a valid message into a new one.
        let rc = unsafe { sys::nng_msg_dup(&mut p, self.as_ptr()) };
        match (rc.check(), NonNull::new(p)) {
            (Ok(()), Some(ptr)) => Message { ptr },
            _ => std::alloc::handle_alloc_error(std::alloc::Layout::new::<u8>()),
        }
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("len", &self.len())
            .field("header_len", &self.header().len())
            .field("pipe", &self.pipe())
            .finish()
    }
}

impl AsRef<[u8]> for Message {
    fn as_ref(&self) -> &[u8] {
        self.body()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_written_and_read_in_place() {
        let mut m = Message::with_len(4).expect("alloc");
        m.body_mut().copy_from_slice(b"abcd");
        m.push_back(b"ef").expect("append");
        assert_eq!(m.body(), b"abcdef");
        assert_eq!(m.clone().body(), b"abcdef");
        m.clear();
        assert!(m.is_empty());
        assert!(m.pipe().is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_grown_body_is_zero_even_in_a_dirty_reused_buffer() {
        let _s = crate::alloc::tests::serial();
        let old = crate::set_buffer_cache_limit(64 << 20);
        // Not a power of two: NNG leaves room past the body, which `from_bytes` (an
        // unfilled allocation) does not clear in a reused block.
        let size = (3 << 20) + 5;
        drop(Message::from_bytes(&vec![0xEE; size]).expect("message"));
        let mut m = Message::from_bytes(&vec![0x11; size]).expect("message");
        m.set_len(size + 32).expect("grow in place");
        assert_eq!(&m.body()[..size], &vec![0x11; size][..]);
        assert_eq!(&m.body()[size..], &[0; 32], "no earlier message's bytes");
        m.set_len(1).expect("shrink");
        m.set_len(100).expect("grow again");
        assert_eq!(m.body()[0], 0x11);
        assert_eq!(
            &m.body()[1..],
            &[0; 99][..],
            "nor this message's own old bytes"
        );
        crate::set_buffer_cache_limit(old);
    }
}
