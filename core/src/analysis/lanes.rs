//! Reductions over slices with eight independent accumulators, so the compiler vectorises them
//! (a plain `iter().sum()` of floats must stay serial). Results depend only on the slice, never
//! on how audio arrived, so they stay bit-identical for any block size.

const L: usize = 8;

#[inline(always)]
fn fold(acc: [f32; L]) -> f32 {
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// Σ f(i) over `0..n`, where `f` reads element `i` of the caller's slices.
#[inline(always)]
pub(crate) fn sum_by(n: usize, f: impl Fn(usize) -> f32) -> f32 {
    let mut acc = [0.0f32; L];
    let full = n / L * L;
    let mut i = 0;
    while i < full {
        for (j, a) in acc.iter_mut().enumerate() {
            *a += f(i + j);
        }
        i += L;
    }
    let mut tail = 0.0f32;
    for k in full..n {
        tail += f(k);
    }
    fold(acc) + tail
}

/// Σ x.
#[inline(always)]
pub(crate) fn sum(x: &[f32]) -> f32 {
    sum_by(x.len(), |i| x[i])
}

/// Σ a·b over the shorter length.
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    sum_by(n, |i| a[i] * b[i])
}

/// Central moments Σ d²p, Σ d³p, Σ d⁴p with d = x - c, in one pass.
#[inline(always)]
pub(crate) fn moments(p: &[f32], x: &[f32], c: f32) -> (f32, f32, f32) {
    let n = p.len().min(x.len());
    let (p, x) = (&p[..n], &x[..n]);
    let (mut a2, mut a3, mut a4) = ([0.0f32; L], [0.0f32; L], [0.0f32; L]);
    let full = n / L * L;
    let mut i = 0;
    while i < full {
        for j in 0..L {
            let d = x[i + j] - c;
            let d2p = d * d * p[i + j];
            a2[j] += d2p;
            a3[j] += d2p * d;
            a4[j] += d2p * d * d;
        }
        i += L;
    }
    let (mut t2, mut t3, mut t4) = (0.0f32, 0.0f32, 0.0f32);
    for k in full..n {
        let d = x[k] - c;
        let d2p = d * d * p[k];
        t2 += d2p;
        t3 += d2p * d;
        t4 += d2p * d * d;
    }
    (fold(a2) + t2, fold(a3) + t3, fold(a4) + t4)
}

/// max |x| (0 for an empty slice).
#[inline(always)]
pub(crate) fn max_abs(x: &[f32]) -> f32 {
    let mut acc = [0.0f32; L];
    let chunks = x.chunks_exact(L);
    let rem = chunks.remainder();
    for c in chunks {
        for (a, v) in acc.iter_mut().zip(c) {
            *a = a.max(v.abs());
        }
    }
    let mut m = rem.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    for a in acc {
        m = m.max(a);
    }
    m
}

/// max x (0 for an empty slice; inputs are non-negative).
#[inline(always)]
pub(crate) fn max(x: &[f32]) -> f32 {
    max_abs(x)
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
        }
    }
}
