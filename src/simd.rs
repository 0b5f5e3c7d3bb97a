//! Wider vector instructions for the stepper's hottest loops, chosen at run time.
//!
//! Those loops are written once, as plain Rust that the compiler vectorises, and compiled twice by
//! [`multiversion!`]: for the x86-64 baseline (SSE2, two values per instruction) and for AVX2
//! (four). The AVX2 copy runs where the CPU has it. Both copies do the same IEEE operations in the
//! same order on every value (Rust never fuses a multiply and an add by itself), so results are
//! bit-identical either way: only the number of values per instruction changes.
//!
//! One kernel, the rule draws (`sim::draws`), is written with AVX-512 instructions, since it needs
//! 64-bit multiplies across lanes; it runs where the CPU has AVX-512 (F and DQ) and the wide
//! copies are on, and its results are the baseline's bit for bit.

use std::sync::atomic::{AtomicU8, Ordering};

/// 0: not yet checked; 1: baseline copies; 2: AVX2 copies; 3: AVX2 copies and the AVX-512
/// kernels.
static STATE: AtomicU8 = AtomicU8::new(0);

#[inline]
fn state() -> u8 {
    match STATE.load(Ordering::Relaxed) {
        0 => {
            let s = detect();
            STATE.store(s, Ordering::Relaxed);
            s
        }
        s => s,
    }
}

/// Whether the AVX2 copies run.
#[inline]
pub fn wide() -> bool {
    state() >= 2
}

/// Whether the AVX-512 kernels run.
#[inline]
pub fn wide512() -> bool {
    state() == 3
}

/// Uses the AVX2 copies and the AVX-512 kernels where the CPU has them (`true`, the default) or
/// never (`false`). Results do not change; tests use this to check exactly that.
pub fn set_wide(on: bool) {
    STATE.store(if on { detect() } else { 1 }, Ordering::Relaxed);
}

fn detect() -> u8 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        match (has!("avx2"), has!("avx512f") && has!("avx512dq")) {
            (true, true) => 3,
            (true, false) => 2,
            _ => 1,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        1
    }
}

/// Defines a function whose body is compiled for the baseline and for AVX2, calling the AVX2
/// copy when [`wide`] says so. Arguments must be plain names.
macro_rules! multiversion {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident $(<$($lt:lifetime),*>)? ($($arg:ident : $ty:ty),* $(,)?)
        $(-> $ret:ty)? $body:block
    ) => {
        $(#[$meta])*
        $vis fn $name $(<$($lt),*>)? ($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body $(<$($lt),*>)? ($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            fn wide_copy $(<$($lt),*>)? ($($arg: $ty),*) $(-> $ret)? {
                body($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            if $crate::simd::wide() {
                // SAFETY: `wide()` is true only where the CPU has AVX2.
                return unsafe { wide_copy($($arg),*) };
            }
            body($($arg),*)
        }
    };
}
pub(crate) use multiversion;

/// Asks for the cache line at `p` to be read into the caches, where the CPU can be asked.
#[inline(always)]
pub(crate) fn prefetch(p: *const f64) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint that reads nothing into the program and cannot fault; SSE
    // is part of the x86-64 baseline.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}
