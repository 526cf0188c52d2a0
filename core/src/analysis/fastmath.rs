//! Fast logarithms for the analysis hot paths (f32, branch-free, vectorisable).
//!
//! `ln(x) = e ln 2 + ln(m)` with `x = m 2^e`, `m` in [√½, √2), and
//! `ln(m) = 2 atanh(t)`, `t = (m - 1) / (m + 1)`, by its series to t⁹ (|t| < 0.172):
//! error below 2e-6 + 1e-7 |ln x| for every positive normal `x`. Callers keep inputs positive and
//! normal (floors such as 1e-30).

const LN_2: f32 = std::f32::consts::LN_2;

/// Natural logarithm of a positive normal `x`.
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    let bits = x.to_bits();
    // Exponent relative to a mantissa in [√½, √2).
    let adj = bits.wrapping_sub(0x3f35_04f3); // bits of √½
    let e = (adj as i32) >> 23;
    let m = f32::from_bits(bits.wrapping_sub((e as u32) << 23));
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let p = t * (2.0 + t2 * (2.0 / 3.0 + t2 * (2.0 / 5.0 + t2 * (2.0 / 7.0 + t2 * (2.0 / 9.0)))));
    e as f32 * LN_2 + p
}

/// `10 log10(x)` of a positive normal `x` (power to dB).
#[inline(always)]
pub fn db10(x: f32) -> f32 {
    ln(x) * (10.0 / std::f32::consts::LN_10)
}

/// `log2(x)` of a positive normal `x`.
#[inline(always)]
pub fn log2(x: f32) -> f32 {
    ln(x) * std::f32::consts::LOG2_E
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_std_ln() {
        let mut x = 1e-30f32;
        let mut worst = 0.0f32;
        while x < 1e30 {
            worst = worst.max((ln(x) - x.ln()).abs() - 1e-7 * x.ln().abs());
            x *= 1.0137;
        }
        for x in [0.5f32, 0.7071, 0.70710677, 0.7071068, 1.0, 1.4142135, 1.4142137, 2.0, 3.0] {
            worst = worst.max((ln(x) - x.ln()).abs());
        }
        assert!(worst < 2e-6, "{worst}");
        assert!((db10(100.0) - 20.0).abs() < 1e-4);
        assert!((log2(8.0) - 3.0).abs() < 1e-5);
    }
}
