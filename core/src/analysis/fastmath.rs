//! Fast logarithms for the analysis hot paths (f32, branch-free, vectorisable).
//!
//! `ln(x) = e ln 2 + ln(m)` with `x = m 2^e`, `m` in [√½, √2), and
//! `ln(m) = 2 atanh(t)`, `t = (m - 1) / (m + 1)`, by its series to t⁹ (|t| < 0.172):
//! error below 2e-6 + 1e-7 |ln x| for every positive normal `x`. Callers keep inputs positive and
//! normal (floors such as 1e-30). The same polynomial, in the same order of operations, runs on
//! eight lanes at a time (`db10_floored`, [`sum_ln`]) and gives the same bits per value.

use super::lanes::{split_exp, F8};

const LN_2: f32 = std::f32::consts::LN_2;

/// The arithmetic [`ln_parts`] needs, on one value or on eight lanes.
trait Arith: Copy {
    fn splat(v: f32) -> Self;
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
}

impl Arith for f32 {
    #[inline(always)]
    fn splat(v: f32) -> Self {
        v
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        self + o
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        self - o
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        self * o
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        self / o
    }
}

impl Arith for F8 {
    #[inline(always)]
    fn splat(v: f32) -> Self {
        F8::splat(v)
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        F8::add(self, o)
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        F8::sub(self, o)
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        F8::mul(self, o)
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        F8::div(self, o)
    }
}

/// `e ln 2 + ln(m)` for `m` in [√½, √2): the one ln polynomial (module docs), the same
/// operations in the same order for a scalar and for eight lanes, so both give the same bits.
#[inline(always)]
fn ln_parts<T: Arith>(e: T, m: T) -> T {
    let one = T::splat(1.0);
    let t = m.sub(one).div(m.add(one));
    let t2 = t.mul(t);
    let p = T::splat(2.0 / 7.0).add(t2.mul(T::splat(2.0 / 9.0)));
    let p = T::splat(2.0 / 5.0).add(t2.mul(p));
    let p = T::splat(2.0 / 3.0).add(t2.mul(p));
    let p = T::splat(2.0).add(t2.mul(p));
    e.mul(T::splat(LN_2)).add(t.mul(p))
}

/// Natural logarithm of a positive normal `x`.
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    let (e, m) = split_exp(x);
    ln_parts(e, m)
}

/// Lane-wise [`ln`] of eight positive normal values (the same bits as [`ln`] per lane).
#[inline(always)]
pub(crate) fn ln8(x: F8) -> F8 {
    let (e, m) = x.split_exp();
    ln_parts(e, m)
}

/// `out[i] = 10 log10(max(x[i], floor))` (power to dB), eight lanes at a time; `floor` must be
/// positive and normal.
#[inline(always)]
pub(crate) fn db10_floored(x: &[f32], floor: f32, out: &mut [f32]) {
    const K: f32 = 10.0 / std::f32::consts::LN_10;
    let n = x.len().min(out.len());
    let (cx, tx) = x[..n].as_chunks::<8>();
    let (co, to) = out[..n].as_chunks_mut::<8>();
    let (fl, k) = (F8::splat(floor), F8::splat(K));
    for (x, o) in cx.iter().zip(co) {
        ln8(F8::load(x).max(fl)).mul(k).store(o);
    }
    for (x, o) in tx.iter().zip(to) {
        *o = ln(x.max(floor)) * K;
    }
}

/// Σ ln(x_i) over positive normal values, with about one logarithm per eight values: the
/// exponents are summed exactly and the mantissas (each in [√½, √2)) multiplied, eight lanes at a
/// time (SSE2 on x86-64), for eight rounds (a product stays within [2^-4, 2^4]) before one
/// logarithm per lane.
#[inline(always)]
pub fn sum_ln(x: &[f32]) -> f32 {
    sum_ln_floored(x, f32::MIN_POSITIVE)
}

/// Σ ln(max(x_i, floor)) (see [`sum_ln`]); `floor` must be positive and normal.
#[inline(always)]
pub fn sum_ln_floored(x: &[f32], floor: f32) -> f32 {
    let (chunks, rem) = x.as_chunks::<8>();
    let fl = F8::splat(floor);
    let (mut exps, mut prods, mut lns) = (F8::zero(), F8::splat(1.0), F8::zero());
    let mut rounds = 0;
    for c in chunks {
        let (e, m) = F8::load(c).max(fl).split_exp();
        exps = exps.add(e);
        prods = prods.mul(m);
        rounds += 1;
        if rounds == 8 {
            lns = lns.add(ln8(prods));
            prods = F8::splat(1.0);
            rounds = 0;
        }
    }
    if rounds > 0 {
        lns = lns.add(ln8(prods));
    }
    // Exponent sums are small integers, exact in f32.
    lns.fold() + exps.fold() * LN_2 + rem.iter().map(|&v| ln(v.max(floor))).sum::<f32>()
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
        let (r, q) = (std::f32::consts::FRAC_1_SQRT_2, std::f32::consts::SQRT_2);
        let next = |v: f32, d: i32| f32::from_bits((v.to_bits() as i32 + d) as u32);
        for x in [
            0.5f32,
            r,
            next(r, 1),
            next(r, -1),
            1.0,
            q,
            next(q, 1),
            next(q, -1),
            2.0,
            3.0,
        ] {
            worst = worst.max((ln(x) - x.ln()).abs());
        }
        assert!(worst < 2e-6, "{worst}");
        assert!((db10(100.0) - 20.0).abs() < 1e-4);
        let v: Vec<f32> = (0..200)
            .map(|i| 1e-20 + (i as f32 * 0.37).sin().abs() * 10f32.powi(i % 9 - 4))
            .collect();
        let want: f64 = v.iter().map(|&x| (x as f64).ln()).sum();
        assert!(
            (sum_ln(&v) as f64 - want).abs() < 1e-3 * want.abs().max(1.0),
            "{} {want}",
            sum_ln(&v)
        );
        assert!((log2(8.0) - 3.0).abs() < 1e-5);
    }

    #[test]
    fn lane_ln_matches_std_and_the_scalar_ln() {
        let mut x = 1e-30f32;
        let mut out = [0.0f32; 8];
        while x < 1e30 {
            let v = [
                x,
                x * 1.1,
                x * 1.3,
                x * 1.5,
                x * 1.7,
                x * 1.9,
                x * 2.3,
                x * 2.9,
            ];
            ln8(F8::load(&v)).store(&mut out);
            for (o, v) in out.iter().zip(&v) {
                assert!((o - v.ln()).abs() < 2e-6 + 1e-7 * v.ln().abs(), "{v}");
                assert_eq!(o.to_bits(), ln(*v).to_bits(), "{v}");
            }
            x *= 3.7;
        }
    }
}
