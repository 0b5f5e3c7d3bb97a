//! Wider vector instructions for the stepper's hottest loops, chosen at run time.
//!
//! Those loops are written once, as plain Rust that the compiler vectorises, and compiled twice by
//! [`multiversion!`]: for the x86-64 baseline (SSE2, two values per instruction) and for AVX2
//! (four). The AVX2 copy runs where the CPU has it. Both copies do the same IEEE operations in the
//! same order on every value (Rust never fuses a multiply and an add by itself), so results are
//! bit-identical either way: only the number of values per instruction changes.

use std::sync::atomic::{AtomicU8, Ordering};

/// 0: not yet checked; 1: baseline copies; 2: AVX2 copies.
static STATE: AtomicU8 = AtomicU8::new(0);

/// Whether the AVX2 copies run.
#[inline]
pub fn wide() -> bool {
    match STATE.load(Ordering::Relaxed) {
        0 => {
            let on = detect();
            STATE.store(if on { 2 } else { 1 }, Ordering::Relaxed);
            on
        }
        s => s == 2,
    }
}

/// Uses the AVX2 copies where the CPU has them (`true`, the default) or never (`false`). Results
/// do not change; tests use this to check exactly that.
pub fn set_wide(on: bool) {
    STATE.store(if on && detect() { 2 } else { 1 }, Ordering::Relaxed);
}

fn detect() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
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
