//! Reductions over slices with eight independent accumulators, written on an eight-lane vector
//! type ([`F8`]: two SSE registers on x86-64, a plain array elsewhere) because the compiler's
//! auto-vectoriser handles these loops poorly. Element `i` of a slice always goes to lane
//! `i % 8` (the last `len % 8` elements to a serial tail), and the lanes are folded in a fixed
//! order, so both implementations give the same bits, and results depend only on the values,
//! never on how audio arrived: they stay bit-identical for any block size. The `*_pair` variants
//! treat two slices as one (a window split by the history ring) and give exactly the
//! single-slice result.

const L: usize = 8;

/// Bits of √½ as an f32: [`split_exp`] puts the mantissa in [√½, √2).
const SQRT_HALF_BITS: u32 = 0x3f35_04f3;

/// `x = m 2^e` with `m` in [√½, √2), for a positive normal `x`: returns (`e` as f32, `m`).
/// [`F8::split_exp`] does the same on eight lanes.
#[inline(always)]
pub(crate) fn split_exp(x: f32) -> (f32, f32) {
    let bits = x.to_bits();
    let e = (bits.wrapping_sub(SQRT_HALF_BITS) as i32) >> 23;
    (
        e as f32,
        f32::from_bits(bits.wrapping_sub((e as u32) << 23)),
    )
}

#[cfg(target_arch = "x86_64")]
mod f8 {
    use super::SQRT_HALF_BITS;
    use std::arch::x86_64::*;

    /// Eight f32 lanes (SSE2, part of every x86-64 CPU).
    #[derive(Clone, Copy)]
    pub(crate) struct F8(__m128, __m128);

    // SAFETY (every block below): SSE and SSE2 are part of the x86-64 baseline, and loads and
    // stores go through references to exactly eight f32 values.
    impl F8 {
        #[inline(always)]
        pub(crate) fn splat(v: f32) -> Self {
            unsafe { F8(_mm_set1_ps(v), _mm_set1_ps(v)) }
        }
        #[inline(always)]
        pub(crate) fn load(x: &[f32; 8]) -> Self {
            unsafe { F8(_mm_loadu_ps(x.as_ptr()), _mm_loadu_ps(x.as_ptr().add(4))) }
        }
        #[inline(always)]
        pub(crate) fn store(self, x: &mut [f32; 8]) {
            unsafe {
                _mm_storeu_ps(x.as_mut_ptr(), self.0);
                _mm_storeu_ps(x.as_mut_ptr().add(4), self.1);
            }
        }
        #[inline(always)]
        pub(crate) fn add(self, o: Self) -> Self {
            unsafe { F8(_mm_add_ps(self.0, o.0), _mm_add_ps(self.1, o.1)) }
        }
        #[inline(always)]
        pub(crate) fn sub(self, o: Self) -> Self {
            unsafe { F8(_mm_sub_ps(self.0, o.0), _mm_sub_ps(self.1, o.1)) }
        }
        #[inline(always)]
        pub(crate) fn mul(self, o: Self) -> Self {
            unsafe { F8(_mm_mul_ps(self.0, o.0), _mm_mul_ps(self.1, o.1)) }
        }
        /// Lane-wise maximum (inputs are never NaN here).
        #[inline(always)]
        pub(crate) fn max(self, o: Self) -> Self {
            unsafe { F8(_mm_max_ps(self.0, o.0), _mm_max_ps(self.1, o.1)) }
        }
        #[inline(always)]
        pub(crate) fn abs(self) -> Self {
            unsafe {
                let m = _mm_castsi128_ps(_mm_set1_epi32(0x7fff_ffff));
                F8(_mm_and_ps(self.0, m), _mm_and_ps(self.1, m))
            }
        }
        #[inline(always)]
        pub(crate) fn sqrt(self) -> Self {
            unsafe { F8(_mm_sqrt_ps(self.0), _mm_sqrt_ps(self.1)) }
        }
        #[inline(always)]
        pub(crate) fn div(self, o: Self) -> Self {
            unsafe { F8(_mm_div_ps(self.0, o.0), _mm_div_ps(self.1, o.1)) }
        }
        /// Splits eight interleaved complex values `[re, im, re, im, ...]` into (re, im).
        #[inline(always)]
        pub(crate) fn deinterleave(x: &[f32; 16]) -> (Self, Self) {
            unsafe {
                let p = x.as_ptr();
                let (a, b) = (_mm_loadu_ps(p), _mm_loadu_ps(p.add(4)));
                let (c, d) = (_mm_loadu_ps(p.add(8)), _mm_loadu_ps(p.add(12)));
                (
                    F8(
                        _mm_shuffle_ps::<0b10_00_10_00>(a, b),
                        _mm_shuffle_ps::<0b10_00_10_00>(c, d),
                    ),
                    F8(
                        _mm_shuffle_ps::<0b11_01_11_01>(a, b),
                        _mm_shuffle_ps::<0b11_01_11_01>(c, d),
                    ),
                )
            }
        }
        /// The lanes in reverse order.
        #[inline(always)]
        pub(crate) fn reverse(self) -> Self {
            unsafe {
                F8(
                    _mm_shuffle_ps::<0b00_01_10_11>(self.1, self.1),
                    _mm_shuffle_ps::<0b00_01_10_11>(self.0, self.0),
                )
            }
        }
        /// [`super::split_exp`] on each lane.
        #[inline(always)]
        pub(crate) fn split_exp(self) -> (Self, Self) {
            #[inline(always)]
            fn one(x: __m128) -> (__m128, __m128) {
                unsafe {
                    let bits = _mm_castps_si128(x);
                    let adj = _mm_sub_epi32(bits, _mm_set1_epi32(SQRT_HALF_BITS as i32));
                    let e = _mm_srai_epi32::<23>(adj);
                    let m = _mm_sub_epi32(bits, _mm_slli_epi32::<23>(e));
                    (_mm_cvtepi32_ps(e), _mm_castsi128_ps(m))
                }
            }
            let ((e0, m0), (e1, m1)) = (one(self.0), one(self.1));
            (F8(e0, e1), F8(m0, m1))
        }
        /// `((l0 + l4) + (l1 + l5)) + ((l2 + l6) + (l3 + l7))`.
        #[inline(always)]
        pub(crate) fn fold(self) -> f32 {
            let mut a = [0.0f32; 4];
            unsafe { _mm_storeu_ps(a.as_mut_ptr(), _mm_add_ps(self.0, self.1)) };
            (a[0] + a[1]) + (a[2] + a[3])
        }
        /// The largest lane.
        #[inline(always)]
        pub(crate) fn max_lane(self) -> f32 {
            let mut a = [0.0f32; 4];
            unsafe { _mm_storeu_ps(a.as_mut_ptr(), _mm_max_ps(self.0, self.1)) };
            a[0].max(a[1]).max(a[2].max(a[3]))
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod f8 {
    /// Eight f32 lanes (plain array; the same operations and fold order as the SSE version).
    #[derive(Clone, Copy)]
    pub(crate) struct F8([f32; 8]);

    impl F8 {
        #[inline(always)]
        fn map2(self, o: Self, f: impl Fn(f32, f32) -> f32) -> Self {
            let mut r = [0.0; 8];
            for j in 0..8 {
                r[j] = f(self.0[j], o.0[j]);
            }
            F8(r)
        }
        #[inline(always)]
        pub(crate) fn splat(v: f32) -> Self {
            F8([v; 8])
        }
        #[inline(always)]
        pub(crate) fn load(x: &[f32; 8]) -> Self {
            F8(*x)
        }
        #[inline(always)]
        pub(crate) fn store(self, x: &mut [f32; 8]) {
            *x = self.0;
        }
        #[inline(always)]
        pub(crate) fn add(self, o: Self) -> Self {
            self.map2(o, |a, b| a + b)
        }
        #[inline(always)]
        pub(crate) fn sub(self, o: Self) -> Self {
            self.map2(o, |a, b| a - b)
        }
        #[inline(always)]
        pub(crate) fn mul(self, o: Self) -> Self {
            self.map2(o, |a, b| a * b)
        }
        #[inline(always)]
        pub(crate) fn max(self, o: Self) -> Self {
            self.map2(o, f32::max)
        }
        #[inline(always)]
        pub(crate) fn abs(self) -> Self {
            F8(self.0.map(f32::abs))
        }
        #[inline(always)]
        pub(crate) fn sqrt(self) -> Self {
            F8(self.0.map(f32::sqrt))
        }
        #[inline(always)]
        pub(crate) fn div(self, o: Self) -> Self {
            self.map2(o, |a, b| a / b)
        }
        #[inline(always)]
        pub(crate) fn deinterleave(x: &[f32; 16]) -> (Self, Self) {
            let (mut re, mut im) = ([0.0f32; 8], [0.0f32; 8]);
            for j in 0..8 {
                re[j] = x[2 * j];
                im[j] = x[2 * j + 1];
            }
            (F8(re), F8(im))
        }
        #[inline(always)]
        pub(crate) fn reverse(self) -> Self {
            let mut r = self.0;
            r.reverse();
            F8(r)
        }
        #[inline(always)]
        pub(crate) fn split_exp(self) -> (Self, Self) {
            let (mut e, mut m) = ([0.0f32; 8], [0.0f32; 8]);
            for j in 0..8 {
                (e[j], m[j]) = super::split_exp(self.0[j]);
            }
            (F8(e), F8(m))
        }
        #[inline(always)]
        pub(crate) fn fold(self) -> f32 {
            let a = self.0;
            ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]))
        }
        #[inline(always)]
        pub(crate) fn max_lane(self) -> f32 {
            let a = self.0;
            let m = [
                a[0].max(a[4]),
                a[1].max(a[5]),
                a[2].max(a[6]),
                a[3].max(a[7]),
            ];
            m[0].max(m[1]).max(m[2].max(m[3]))
        }
    }
}

pub(crate) use f8::F8;

impl F8 {
    #[inline(always)]
    pub(crate) fn zero() -> Self {
        Self::splat(0.0)
    }
}

/// Σ x.
#[inline(always)]
pub(crate) fn sum(x: &[f32]) -> f32 {
    let (chunks, tail) = x.as_chunks::<L>();
    let mut acc = F8::zero();
    for c in chunks {
        acc = acc.add(F8::load(c));
    }
    acc.fold() + tail.iter().fold(0.0, |s, v| s + v)
}

/// Σ a·b over the shorter length.
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (ca, ta) = a[..n].as_chunks::<L>();
    let (cb, tb) = b[..n].as_chunks::<L>();
    let mut acc = F8::zero();
    for (x, y) in ca.iter().zip(cb) {
        acc = acc.add(F8::load(x).mul(F8::load(y)));
    }
    acc.fold() + ta.iter().zip(tb).fold(0.0, |s, (x, y)| s + x * y)
}

/// (Σ p, Σ p·x) over the shorter length, in one pass.
#[inline(always)]
pub(crate) fn sum_and_dot(p: &[f32], x: &[f32]) -> (f32, f32) {
    let n = p.len().min(x.len());
    let (cp, tp) = p[..n].as_chunks::<L>();
    let (cx, tx) = x[..n].as_chunks::<L>();
    let (mut s, mut d) = (F8::zero(), F8::zero());
    for (p, x) in cp.iter().zip(cx) {
        let p = F8::load(p);
        s = s.add(p);
        d = d.add(p.mul(F8::load(x)));
    }
    let (mut ts, mut td) = (0.0f32, 0.0f32);
    for (p, x) in tp.iter().zip(tx) {
        ts += p;
        td += p * x;
    }
    (s.fold() + ts, d.fold() + td)
}

/// Σ (x - c)² p over the shorter length.
#[inline(always)]
pub(crate) fn central_sq(p: &[f32], x: &[f32], c: f32) -> f32 {
    let n = p.len().min(x.len());
    let (cp, tp) = p[..n].as_chunks::<L>();
    let (cx, tx) = x[..n].as_chunks::<L>();
    let cc = F8::splat(c);
    let mut acc = F8::zero();
    for (p, x) in cp.iter().zip(cx) {
        let d = F8::load(x).sub(cc);
        acc = acc.add(d.mul(d).mul(F8::load(p)));
    }
    acc.fold()
        + tp.iter().zip(tx).fold(0.0, |s, (p, x)| {
            let d = x - c;
            s + d * d * p
        })
}

/// Central moments Σ d²p, Σ d³p, Σ d⁴p with d = x - c, in one pass.
#[inline(always)]
pub(crate) fn moments(p: &[f32], x: &[f32], c: f32) -> (f32, f32, f32) {
    let n = p.len().min(x.len());
    let (cp, tp) = p[..n].as_chunks::<L>();
    let (cx, tx) = x[..n].as_chunks::<L>();
    let cc = F8::splat(c);
    let (mut a2, mut a3, mut a4) = (F8::zero(), F8::zero(), F8::zero());
    for (p, x) in cp.iter().zip(cx) {
        let d = F8::load(x).sub(cc);
        let d2p = d.mul(d).mul(F8::load(p));
        a2 = a2.add(d2p);
        a3 = a3.add(d2p.mul(d));
        a4 = a4.add(d2p.mul(d).mul(d));
    }
    let (mut t2, mut t3, mut t4) = (0.0f32, 0.0f32, 0.0f32);
    for (p, x) in tp.iter().zip(tx) {
        let d = x - c;
        let d2p = d * d * p;
        t2 += d2p;
        t3 += d2p * d;
        t4 += d2p * d * d;
    }
    (a2.fold() + t2, a3.fold() + t3, a4.fold() + t4)
}

/// max |x| (0 for an empty slice).
#[inline(always)]
pub(crate) fn max_abs(x: &[f32]) -> f32 {
    let (chunks, tail) = x.as_chunks::<L>();
    let mut acc = F8::zero();
    for c in chunks {
        acc = acc.max(F8::load(c).abs());
    }
    tail.iter().fold(acc.max_lane(), |m, v| m.max(v.abs()))
}

/// Writes `m = √p` and returns (Σ m, Σ m·f, max m) over the shorter of `p` and `f`; `m` must be
/// at least as long.
#[inline(always)]
pub(crate) fn sqrt_sum_dot_max(p: &[f32], f: &[f32], m: &mut [f32]) -> (f32, f32, f32) {
    let n = p.len().min(f.len());
    let (cp, tp) = p[..n].as_chunks::<L>();
    let (cf, tf) = f[..n].as_chunks::<L>();
    let (cm, tm) = m[..n].as_chunks_mut::<L>();
    let (mut s, mut d, mut hi) = (F8::zero(), F8::zero(), F8::zero());
    for ((p, f), m) in cp.iter().zip(cf).zip(cm) {
        let v = F8::load(p).sqrt();
        v.store(m);
        s = s.add(v);
        d = d.add(v.mul(F8::load(f)));
        hi = hi.max(v);
    }
    let (mut ts, mut td, mut th) = (0.0f32, 0.0f32, hi.max_lane());
    for ((p, f), m) in tp.iter().zip(tf).zip(tm) {
        let v = p.sqrt();
        *m = v;
        ts += v;
        td += v * f;
        th = th.max(v);
    }
    (s.fold() + ts, d.fold() + td, th)
}

/// `acc[i] += x[i]` over the shorter length.
#[inline(always)]
pub(crate) fn add_assign(acc: &mut [f32], x: &[f32]) {
    let n = acc.len().min(x.len());
    let (ca, ta) = acc[..n].as_chunks_mut::<L>();
    let (cx, tx) = x[..n].as_chunks::<L>();
    for (a, x) in ca.iter_mut().zip(cx) {
        F8::load(a).add(F8::load(x)).store(a);
    }
    for (a, x) in ta.iter_mut().zip(tx) {
        *a += x;
    }
}

/// `out[i] = a[i] * b[i]` over the shortest length.
#[inline(always)]
pub(crate) fn mul_into(out: &mut [f32], a: &[f32], b: &[f32]) {
    let n = out.len().min(a.len()).min(b.len());
    let (co, to) = out[..n].as_chunks_mut::<L>();
    let (ca, ta) = a[..n].as_chunks::<L>();
    let (cb, tb) = b[..n].as_chunks::<L>();
    for ((o, a), b) in co.iter_mut().zip(ca).zip(cb) {
        F8::load(a).mul(F8::load(b)).store(o);
    }
    for ((o, a), b) in to.iter_mut().zip(ta).zip(tb) {
        *o = a * b;
    }
}

/// Σ x² of the concatenation of `a` and `b`, bit-identical to `dot(ab, ab)` on one slice.
#[inline]
pub(crate) fn sum_sq_pair(a: &[f32], b: &[f32]) -> f32 {
    let sq = |c: &[f32; L]| {
        let v = F8::load(c);
        v.mul(v)
    };
    let (ca, ra) = a.as_chunks::<L>();
    let mut acc = F8::zero();
    for c in ca {
        acc = acc.add(sq(c));
    }
    if ra.is_empty() {
        return tail_sq(b, acc);
    }
    // The chunk that straddles the split: whole, or (too few values left) the tail.
    let mut joint = [0.0f32; L];
    let take = (L - ra.len()).min(b.len());
    joint[..ra.len()].copy_from_slice(ra);
    joint[ra.len()..ra.len() + take].copy_from_slice(&b[..take]);
    if ra.len() + take < L {
        return acc.fold() + joint[..ra.len() + take].iter().fold(0.0, |s, v| s + v * v);
    }
    acc = acc.add(sq(&joint));
    tail_sq(&b[take..], acc)
}

/// `fold(acc + Σ chunks of x²) + serial tail` for [`sum_sq_pair`].
#[inline(always)]
fn tail_sq(x: &[f32], mut acc: F8) -> f32 {
    let (c, t) = x.as_chunks::<L>();
    for c in c {
        let v = F8::load(c);
        acc = acc.add(v.mul(v));
    }
    acc.fold() + t.iter().fold(0.0, |s, v| s + v * v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reductions_match_plain_loops() {
        for n in [0usize, 1, 7, 8, 9, 40, 129] {
            let x: Vec<f32> = (0..n).map(|i| ((i * 7919) % 13) as f32 - 6.0).collect();
            let y: Vec<f32> = (0..n).map(|i| (i % 5) as f32 * 0.5).collect();
            assert!((sum(&x) - x.iter().sum::<f32>()).abs() < 1e-4);
            assert!((dot(&x, &y) - x.iter().zip(&y).map(|(a, b)| a * b).sum::<f32>()).abs() < 1e-3);
            assert_eq!(max_abs(&x), x.iter().fold(0.0f32, |m, v| m.max(v.abs())));
            let (s, d) = sum_and_dot(&y, &x);
            assert_eq!((s, d), (sum(&y), dot(&y, &x)));
            let c = 0.3;
            let m2 = y
                .iter()
                .zip(&x)
                .map(|(p, x)| (x - c) * (x - c) * p)
                .sum::<f32>();
            assert!((central_sq(&y, &x, c) - m2).abs() < 1e-3 * (1.0 + m2));
            assert!((moments(&y, &x, c).0 - m2).abs() < 1e-3 * (1.0 + m2));
        }
    }

    #[test]
    fn pair_sums_equal_the_single_slice() {
        for n in [0usize, 1, 5, 8, 13, 16, 129, 256] {
            let x: Vec<f32> = (0..n).map(|i| (i as f32 * 0.731).sin() * 1.3).collect();
            let want = dot(&x, &x);
            for split in 0..=n {
                let (a, b) = x.split_at(split);
                assert_eq!(
                    sum_sq_pair(a, b).to_bits(),
                    want.to_bits(),
                    "n {n} split {split}"
                );
            }
        }
    }
}
