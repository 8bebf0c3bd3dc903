//! The global allocator: mimalloc, asked the way its fast path expects.
//!
//! The `mimalloc` crate passes every Rust allocation to `mi_malloc_aligned`, even a string's
//! (alignment 1). mimalloc 3 serves that from its plain size classes only when the size is at
//! most 1 KiB or the class is a power of two; any other size takes its over-allocating aligned
//! path: 2.6 million allocations and 1.1 % of the instructions of a 10,000-incident build
//! (callgrind, near-duplicate shape), besides landing in the next size class. A plain
//! `mi_malloc` already gives what those layouts need: its size classes are multiples of 8
//! (of 16 above 16) and a page's first block is 16-aligned, so a block whose size is a multiple
//! of an alignment up to 16 is aligned to it. Larger alignments keep the aligned calls. (The
//! same change is proposed upstream: purpleprotocol/mimalloc_rust#170.)

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// The alignment every `mi_malloc` block of a multiple of it has (`MI_MAX_ALIGN_SIZE`).
const PLAIN_ALIGN: usize = 16;

pub struct MiMalloc;

/// Whether a plain call gives a block of `size` bytes aligned to `align`.
#[inline]
fn plain(size: usize, align: usize) -> bool {
    align <= PLAIN_ALIGN && size.is_multiple_of(align)
}

// SAFETY: every block comes from mimalloc, aligned as asked (above), and goes back to it.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: plain C calls; a null return is the allocation failure GlobalAlloc expects.
        unsafe {
            if plain(layout.size(), layout.align()) {
                mi::mi_malloc(layout.size()).cast()
            } else {
                mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        unsafe {
            if plain(layout.size(), layout.align()) {
                mi::mi_zalloc(layout.size()).cast()
            } else {
                mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from mimalloc (the caller's contract), aligned or not.
        unsafe { mi::mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from mimalloc; the new block is aligned as `alloc` would align it.
        unsafe {
            if plain(new_size, layout.align()) {
                mi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            }
        }
    }
}

/// mimalloc's `mi_option_purge_delay`: its place in the option list of mimalloc 2 and 3 alike
/// (the crate names the older options only).
const PURGE_DELAY: mi::mi_option_t = 15;

/// Knowledge bases up to this many postmortems keep freed memory for reuse ([`fit_to`]).
pub const KEEP_FREED_UP_TO: usize = 30_000;

/// Sets how the allocator hands memory back for a build of `postmortems`. mimalloc returns
/// freed pages to the kernel a second after they are freed ("purging"), and the build touches
/// them again a stage later: the kernel zeroing fresh pages was 7-10 % of a 10,000 build's CPU.
/// Up to [`KEEP_FREED_UP_TO`] freed memory stays mapped for reuse (at 10,000: about 3 % less CPU,
/// 10 % more peak memory, 0.45 GB against Hugo's 2 GB); above it, where the peak is
/// what limits (100,000 in under 3 GB), mimalloc's default stands. `MIMALLOC_PURGE_DELAY`, when
/// set, wins over both.
pub fn fit_to(postmortems: usize) {
    static DEFAULT: std::sync::OnceLock<std::ffi::c_long> = std::sync::OnceLock::new();
    // SAFETY: plain C calls on mimalloc's option table, which is made for being set at run time.
    unsafe {
        let default = *DEFAULT.get_or_init(|| mi::mi_option_get(PURGE_DELAY));
        let delay = if postmortems <= KEEP_FREED_UP_TO {
            -1
        } else {
            default
        };
        // `_default`: an option the environment set is left as it is.
        mi::mi_option_set_default(PURGE_DELAY, delay);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small knowledge base turns purging off, a large one gets mimalloc's default back
    /// (purging a second after a free: the value that says the option number is the right one;
    /// run without `MIMALLOC_PURGE_DELAY`, which would win over both).
    #[test]
    fn small_builds_keep_freed_memory_and_large_ones_purge() {
        // SAFETY: reading mimalloc's option table.
        let delay = || unsafe { mi::mi_option_get(PURGE_DELAY) };
        assert_eq!(delay(), 1000, "mimalloc 3's purge delay, in ms");
        fit_to(10_000);
        assert_eq!(delay(), -1);
        fit_to(KEEP_FREED_UP_TO + 1);
        assert_eq!(delay(), 1000);
    }

    /// Sizes up to 64 KiB in steps that cross mimalloc's size classes, at each alignment Rust
    /// types use and a few larger ones: each block is aligned, holds its size (written whole),
    /// keeps its bytes when grown or shrunk, and comes back zeroed when asked.
    #[test]
    fn blocks_are_aligned_and_usable_at_every_size_and_alignment() {
        let a = MiMalloc;
        let sizes = (1usize..=4096)
            .step_by(7)
            .chain((4096..=65536).step_by(4093))
            .chain([1024, 1025, 1040, 1536, 2048, 3000, 4096, 8192, 12288]);
        for size in sizes {
            for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
                let size = size.next_multiple_of(align);
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: each block is used within its size and freed once, with its layout.
                unsafe {
                    let z = a.alloc_zeroed(layout);
                    assert_eq!(
                        z as usize % align,
                        0,
                        "zeroed: size {size}, alignment {align}"
                    );
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                    a.dealloc(z, layout);
                    let p = a.alloc(layout);
                    assert_eq!(p as usize % align, 0, "size {size}, alignment {align}");
                    p.write_bytes(0xab, size);
                    let mut block = (p, size);
                    for new in [size * 2 + align, (size / 2).max(align), size] {
                        let new = new.next_multiple_of(align);
                        let (q, old) = block;
                        let q = a.realloc(q, Layout::from_size_align(old, align).unwrap(), new);
                        assert_eq!(q as usize % align, 0, "realloc {old} → {new}, {align}");
                        let kept = old.min(new);
                        assert!(
                            std::slice::from_raw_parts(q, kept)
                                .iter()
                                .all(|&b| b == 0xab)
                        );
                        q.write_bytes(0xab, new);
                        block = (q, new);
                    }
                    let (q, last) = block;
                    a.dealloc(q, Layout::from_size_align(last, align).unwrap());
                }
            }
        }
    }

    /// A layout whose size is not a multiple of its alignment takes the aligned calls; grown
    /// to one that is, it moves to the plain ones, keeping its bytes and its alignment.
    #[test]
    fn blocks_move_between_the_aligned_and_the_plain_calls() {
        let a = MiMalloc;
        for (size, align) in [(12, 8), (24, 16), (40, 16), (1000, 16), (3004, 8), (5, 4)] {
            let layout = Layout::from_size_align(size, align).unwrap();
            assert!(!plain(size, align));
            // SAFETY: each block is used within its size and freed once, with its layout.
            unsafe {
                let p = a.alloc(layout);
                assert_eq!(p as usize % align, 0);
                p.write_bytes(0x5a, size);
                let new = (size * 3).next_multiple_of(align);
                assert!(plain(new, align));
                let q = a.realloc(p, layout, new);
                assert_eq!(q as usize % align, 0, "{size}/{align} → {new}");
                assert!(
                    std::slice::from_raw_parts(q, size)
                        .iter()
                        .all(|&b| b == 0x5a)
                );
                let back = a.realloc(q, Layout::from_size_align(new, align).unwrap(), size);
                assert_eq!(back as usize % align, 0);
                assert!(
                    std::slice::from_raw_parts(back, size)
                        .iter()
                        .all(|&b| b == 0x5a)
                );
                a.dealloc(back, layout);
            }
        }
    }
}
