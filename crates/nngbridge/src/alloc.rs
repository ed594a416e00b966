//! NNG's allocator (`nng_init_params`): large buffers, the bodies of big messages, come
//! from a small cache of anonymous mappings instead of a fresh `mmap` each time.
//!
//! With the C library's allocator every message over its mmap threshold (32 MiB at most
//! for glibc, a 4K float frame is 126 MiB) is a new mapping: the kernel zeroes and maps
//! each page on first touch and unmaps it on free, and those page faults cost about as
//! much as moving the bytes. Here a freed large buffer is kept (up to
//! [`buffer_cache_limit`] bytes, 256 MiB by default) and handed to the next large
//! allocation that fits, already mapped. Small allocations go straight to `malloc`.
//!
//! Every large block is recorded while in use, and `free` only takes back pointers it
//! handed out: a pointer it does not know goes to the C library's `free`.

use std::collections::BTreeMap;
use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Allocations of at least this many bytes are served from mappings.
pub const LARGE: usize = 1 << 20;
/// Mappings are made in multiples of this (the size of a transparent huge page).
const GRAIN: usize = 2 << 20;
/// The most free blocks kept, whatever their size.
const MAX_FREE_BLOCKS: usize = 8;
/// A cached block serves a request of at least 1/`FIT` of its size.
const FIT: usize = 2;

static LIMIT: AtomicUsize = AtomicUsize::new(256 << 20);
/// How many large blocks are in use: while there are none, a small `free` need not
/// look them up.
static IN_USE: AtomicUsize = AtomicUsize::new(0);

struct Pool {
    /// Blocks handed out: address to capacity.
    in_use: BTreeMap<usize, usize>,
    /// Blocks kept for reuse, oldest first: (address, capacity).
    free: Vec<(usize, usize)>,
    /// Sum of the free blocks' capacities.
    cached: usize,
}

thread_local! {
    /// Set by [`unfilled`] around an `nng_msg_alloc` whose body the caller overwrites
    /// whole: its large `calloc` then skips clearing a reused block.
    static UNFILLED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` (one `nng_msg_alloc` on this thread) telling the allocator that the body's
/// bytes will all be written before anything reads them.
///
/// # Safety
/// The first large `calloc` on this thread inside `f` returns a reused block without
/// clearing it: it may hold another message's bytes. `f` must make no large `calloc`
/// but the one whose every byte the caller overwrites before anything reads it.
pub(crate) unsafe fn unfilled<T>(f: impl FnOnce() -> T) -> T {
    UNFILLED.with(|u| u.set(true));
    let out = f();
    UNFILLED.with(|u| u.set(false));
    out
}

static POOL: Mutex<Pool> = Mutex::new(Pool {
    in_use: BTreeMap::new(),
    free: Vec::new(),
    cached: 0,
});

fn pool() -> MutexGuard<'static, Pool> {
    // A panic cannot happen while the lock is held (no allocation can fail softly
    // there), but a poisoned pool is still consistent: take it.
    POOL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The most bytes of freed large buffers kept for reuse (per process).
pub fn buffer_cache_limit() -> usize {
    LIMIT.load(Ordering::Relaxed)
}

/// Sets how many bytes of freed large message buffers are kept for reuse, and returns
/// the previous limit. `0` keeps none (every large buffer is unmapped when freed);
/// lowering the limit releases what no longer fits at once.
pub fn set_buffer_cache_limit(bytes: usize) -> usize {
    let previous = LIMIT.swap(bytes, Ordering::Relaxed);
    let evicted = evict(&mut pool(), bytes, 0);
    unmap(evicted);
    previous
}

/// Bytes held by the cache right now (freed large buffers not yet reused).
pub fn buffer_cache_size() -> usize {
    pool().cached
}

/// Removes the oldest free blocks until `incoming` more bytes fit under `limit`
/// (and one more block fits under the block count if `incoming` > 0).
fn evict(p: &mut Pool, limit: usize, incoming: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    while !p.free.is_empty()
        && (p.cached + incoming > limit || (incoming > 0 && p.free.len() >= MAX_FREE_BLOCKS))
    {
        let (addr, cap) = p.free.remove(0);
        p.cached -= cap;
        out.push((addr, cap));
    }
    out
}

/// Unmaps `(address, capacity)` blocks taken out of the pool.
fn unmap(blocks: Vec<(usize, usize)>) {
    for (addr, cap) in blocks {
        // SAFETY: (addr, cap) is a whole mapping made by `map` and no longer referenced:
        // it was removed from the pool under the lock, and nothing else holds it.
        unsafe { libc::munmap(addr as *mut c_void, cap) };
    }
}

fn map(cap: usize) -> Option<usize> {
    // SAFETY: an anonymous private mapping at an address of the kernel's choosing
    // touches no existing memory.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            cap,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return None;
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // Fewer, larger page faults on first touch where transparent huge pages are
        // "madvise"; only advice, so its result does not matter.
        // SAFETY: p..p+cap is the mapping just made.
        unsafe { libc::madvise(p, cap, libc::MADV_HUGEPAGE) };
    }
    Some(p as usize)
}

/// A large block of at least `size` bytes, zeroed if `zero`.
fn large(size: usize, zero: bool) -> *mut c_void {
    let reused = {
        let mut p = pool();
        let best = p
            .free
            .iter()
            .enumerate()
            .filter(|(_, &(_, cap))| cap >= size && cap / FIT <= size)
            .min_by_key(|(_, &(_, cap))| cap)
            .map(|(i, _)| i);
        best.map(|i| {
            let (addr, cap) = p.free.remove(i);
            p.cached -= cap;
            p.in_use.insert(addr, cap);
            IN_USE.fetch_add(1, Ordering::Relaxed);
            addr
        })
    };
    if let Some(addr) = reused {
        if zero && !UNFILLED.with(|u| u.replace(false)) {
            // SAFETY: the block has at least `size` bytes and is ours alone until
            // returned.
            unsafe { std::ptr::write_bytes(addr as *mut u8, 0, size) };
        }
        return addr as *mut c_void;
    }
    let Some(cap) = size.checked_next_multiple_of(GRAIN) else {
        return std::ptr::null_mut();
    };
    let Some(addr) = map(cap) else {
        return std::ptr::null_mut();
    };
    // A fresh anonymous mapping reads as zeroes: no need to clear it.
    pool().in_use.insert(addr, cap);
    IN_USE.fetch_add(1, Ordering::Relaxed);
    addr as *mut c_void
}

/// Takes back `addr` if it is a large block in use; false if it is not one of ours.
fn release(addr: usize) -> bool {
    let limit = LIMIT.load(Ordering::Relaxed);
    let unmapped = {
        let mut p = pool();
        let Some(cap) = p.in_use.remove(&addr) else {
            return false;
        };
        IN_USE.fetch_sub(1, Ordering::Relaxed);
        if cap > limit {
            vec![(addr, cap)]
        } else {
            let evicted = evict(&mut p, limit, cap);
            p.free.push((addr, cap));
            p.cached += cap;
            evicted
        }
    };
    unmap(unmapped);
    true
}

/// `nng_init_params::malloc_fn`.
pub(crate) unsafe extern "C" fn nng_malloc(size: usize) -> *mut c_void {
    if size < LARGE {
        // SAFETY: plain malloc; NNG frees it through `nng_free` below.
        return unsafe { libc::malloc(size) };
    }
    large(size, false)
}

/// `nng_init_params::calloc_fn`.
pub(crate) unsafe extern "C" fn nng_calloc(count: usize, size: usize) -> *mut c_void {
    let Some(total) = count.checked_mul(size) else {
        return std::ptr::null_mut();
    };
    if total < LARGE {
        // SAFETY: plain calloc.
        return unsafe { libc::calloc(count, size) };
    }
    large(total, true)
}

/// `nng_init_params::free_fn`: NNG passes the size it allocated.
pub(crate) unsafe extern "C" fn nng_free(ptr: *mut c_void, size: usize) {
    if ptr.is_null() {
        return;
    }
    if (size >= LARGE || IN_USE.load(Ordering::Relaxed) > 0) && release(ptr as usize) {
        return;
    }
    // SAFETY: not one of our blocks, so it came from malloc/calloc above.
    unsafe { libc::free(ptr) };
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    // The pool is process-wide: tests that depend on what it holds take this lock so
    // they do not race each other.
    static SERIAL: Mutex<()> = Mutex::new(());

    pub(crate) fn serial() -> MutexGuard<'static, ()> {
        SERIAL.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[test]
    fn small_allocations_are_malloc() {
        let _s = serial();
        // SAFETY: allocated and freed through the same functions, with its size.
        unsafe {
            let p = nng_calloc(4, 16).cast::<u8>();
            assert!(!p.is_null());
            assert!(std::slice::from_raw_parts(p, 64).iter().all(|&b| b == 0));
            assert!(!pool().in_use.contains_key(&(p as usize)));
            nng_free(p.cast(), 64);
        }
    }

    #[test]
    fn a_freed_large_block_is_reused_and_zeroed_for_calloc() {
        let _s = serial();
        let old = set_buffer_cache_limit(64 << 20);
        // SAFETY: each block is written within its size and freed once with its size.
        unsafe {
            let size = (3 << 20) + 5;
            let a = nng_malloc(size).cast::<u8>();
            assert!(!a.is_null());
            std::ptr::write_bytes(a, 0xAB, size);
            nng_free(a.cast(), size);
            assert!(buffer_cache_size() >= size);
            let b = nng_calloc(1, size).cast::<u8>();
            assert_eq!(a, b, "the freed block comes back");
            assert!(std::slice::from_raw_parts(b, size).iter().all(|&x| x == 0));
            nng_free(b.cast(), size);
        }
        set_buffer_cache_limit(old);
    }

    #[test]
    fn an_unfilled_calloc_skips_the_clearing_and_only_once() {
        let _s = serial();
        let old = set_buffer_cache_limit(64 << 20);
        let size = 2 << 20;
        // SAFETY: as above.
        unsafe {
            let a = nng_malloc(size).cast::<u8>();
            std::ptr::write_bytes(a, 0xCD, size);
            nng_free(a.cast(), size);
            let b = unfilled(|| nng_calloc(1, size)).cast::<u8>();
            assert_eq!(a, b);
            assert_eq!(*b.add(size - 1), 0xCD, "left for the caller to fill");
            nng_free(b.cast(), size);
            let c = nng_calloc(1, size).cast::<u8>();
            assert_eq!(a, c);
            assert_eq!(*c.add(size - 1), 0, "the flag does not outlive its call");
            nng_free(c.cast(), size);
        }
        set_buffer_cache_limit(old);
    }

    #[test]
    fn a_message_with_len_in_a_reused_buffer_is_zeroed() {
        let _s = serial();
        let old = set_buffer_cache_limit(64 << 20);
        let size = 3 << 20;
        let mut dirty = crate::Message::from_bytes(&vec![0xEE; size]).expect("message");
        dirty.body_mut()[0] = 1;
        drop(dirty);
        let m = crate::Message::with_len(size).expect("message");
        assert!(m.body().iter().all(|&b| b == 0));
        set_buffer_cache_limit(old);
    }

    #[test]
    fn a_block_twice_too_big_is_not_used_for_a_small_request() {
        let _s = serial();
        let old = set_buffer_cache_limit(64 << 20);
        // SAFETY: as above.
        unsafe {
            let big = nng_malloc(16 << 20);
            nng_free(big, 16 << 20);
            let small = nng_malloc(2 << 20);
            assert_ne!(big, small);
            nng_free(small, 2 << 20);
        }
        set_buffer_cache_limit(old);
    }

    #[test]
    fn the_limit_bounds_what_is_kept_and_zero_keeps_nothing() {
        let _s = serial();
        let old = set_buffer_cache_limit(8 << 20);
        // SAFETY: as above.
        unsafe {
            let blocks: Vec<_> = (0..4).map(|_| nng_malloc(4 << 20)).collect();
            for &b in &blocks {
                assert!(!b.is_null());
                nng_free(b, 4 << 20);
            }
            assert!(buffer_cache_size() <= 8 << 20);
            set_buffer_cache_limit(0);
            assert_eq!(buffer_cache_size(), 0);
            let b = nng_malloc(4 << 20);
            nng_free(b, 4 << 20);
            assert_eq!(buffer_cache_size(), 0, "limit 0: unmapped at once");
        }
        set_buffer_cache_limit(old);
    }

    #[test]
    fn a_large_free_of_a_foreign_pointer_goes_to_libc() {
        let _s = serial();
        let old = set_buffer_cache_limit(64 << 20);
        let cached = buffer_cache_size();
        // SAFETY: a malloc'd block, freed through nng_free with a (wrong) large size:
        // it is not in the pool, so it goes to libc's free (valgrind in
        // scripts/check-memory.sh reports it if it does not).
        unsafe {
            let p = libc::malloc(100);
            assert!(!p.is_null());
            assert!(!pool().in_use.contains_key(&(p as usize)));
            nng_free(p, 8 << 20);
        }
        assert_eq!(
            buffer_cache_size(),
            cached,
            "nothing foreign enters the cache"
        );
        set_buffer_cache_limit(old);
    }
}
