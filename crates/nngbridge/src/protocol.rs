//! The scalability protocols NNG offers, one variant per socket type.

use nng_sys as sys;

use crate::error::{NngRc, Result};

/// A socket's protocol. Every protocol can be opened cooked ([`crate::Socket::new`]) or raw
/// ([`crate::Socket::new_raw`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// Bus: every message goes to every directly connected peer.
    Bus0,
    /// Pair v0: one-to-one.
    Pair0,
    /// Pair v1: one-to-one; see [`Protocol::Pair1Poly`] for many peers.
    Pair1,
    /// Pair v1 in polyamorous mode: many peers, addressed through the message's pipe.
    Pair1Poly,
    /// Publisher.
    Pub0,
    /// Subscriber, filtering by topic prefix.
    Sub0,
    /// Pipeline sender.
    Push0,
    /// Pipeline receiver.
    Pull0,
    /// Request side of request/reply.
    Req0,
    /// Reply side of request/reply.
    Rep0,
    /// Surveyor: asks every respondent and collects answers until a deadline.
    Surveyor0,
    /// Respondent: answers surveys.
    Respondent0,
}

impl Protocol {
    /// All protocols, in a stable order.
    pub const ALL: [Protocol; 12] = [
        Protocol::Bus0,
        Protocol::Pair0,
        Protocol::Pair1,
        Protocol::Pair1Poly,
        Protocol::Pub0,
        Protocol::Sub0,
        Protocol::Push0,
        Protocol::Pull0,
        Protocol::Req0,
        Protocol::Rep0,
        Protocol::Surveyor0,
        Protocol::Respondent0,
    ];

    /// NNG's name for the protocol (`"req"`, `"pair1"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Bus0 => "bus",
            Protocol::Pair0 => "pair",
            Protocol::Pair1 | Protocol::Pair1Poly => "pair1",
            Protocol::Pub0 => "pub",
            Protocol::Sub0 => "sub",
            Protocol::Push0 => "push",
            Protocol::Pull0 => "pull",
            Protocol::Req0 => "req",
            Protocol::Rep0 => "rep",
            Protocol::Surveyor0 => "surveyor",
            Protocol::Respondent0 => "respondent",
        }
    }

    pub(crate) fn open(self, raw: bool) -> Result<sys::nng_socket> {
        let mut s = sys::nng_socket::NNG_SOCKET_INITIALIZER;
        let p = &mut s as *mut sys::nng_socket;
        // SAFETY: each open function only writes the new socket id through `p`, which
        // points to a live local.
        let rc = unsafe {
            match (self, raw) {
                (Protocol::Bus0, false) => sys::nng_bus0_open(p),
                (Protocol::Bus0, true) => sys::nng_bus0_open_raw(p),
                (Protocol::Pair0, false) => sys::nng_pair0_open(p),
                (Protocol::Pair0, true) => sys::nng_pair0_open_raw(p),
                (Protocol::Pair1, false) => sys::nng_pair1_open(p),
                (Protocol::Pair1 | Protocol::Pair1Poly, true) => sys::nng_pair1_open_raw(p),
                (Protocol::Pair1Poly, false) => sys::nng_pair1_open_poly(p),
                (Protocol::Pub0, false) => sys::nng_pub0_open(p),
                (Protocol::Pub0, true) => sys::nng_pub0_open_raw(p),
                (Protocol::Sub0, false) => sys::nng_sub0_open(p),
                (Protocol::Sub0, true) => sys::nng_sub0_open_raw(p),
                (Protocol::Push0, false) => sys::nng_push0_open(p),
                (Protocol::Push0, true) => sys::nng_push0_open_raw(p),
                (Protocol::Pull0, false) => sys::nng_pull0_open(p),
                (Protocol::Pull0, true) => sys::nng_pull0_open_raw(p),
                (Protocol::Req0, false) => sys::nng_req0_open(p),
                (Protocol::Req0, true) => sys::nng_req0_open_raw(p),
                (Protocol::Rep0, false) => sys::nng_rep0_open(p),
                (Protocol::Rep0, true) => sys::nng_rep0_open_raw(p),
                (Protocol::Surveyor0, false) => sys::nng_surveyor0_open(p),
                (Protocol::Surveyor0, true) => sys::nng_surveyor0_open_raw(p),
                (Protocol::Respondent0, false) => sys::nng_respondent0_open(p),
                (Protocol::Respondent0, true) => sys::nng_respondent0_open_raw(p),
            }
        };
        rc.check()?;
        Ok(s)
    }
}
