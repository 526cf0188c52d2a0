//! Bessel functions of the first kind and the zeros that give a circular membrane's modes.

/// Highest Bessel order in [`ZEROS`] (orders 0..=MAX_ORDER).
pub const MAX_ORDER: usize = 5;
/// Number of zeros per order in [`ZEROS`].
pub const ZEROS_PER_ORDER: usize = 4;

/// `ZEROS[m][n - 1]` is j_mn, the n-th positive zero of J_m (dimensionless).
pub const ZEROS: [[f64; ZEROS_PER_ORDER]; MAX_ORDER + 1] = [
    [
        2.404_825_557_695_773,
        5.520_078_110_286_311,
        8.653_727_912_911_013,
        11.791_534_439_014_28,
    ],
    [
        3.831_705_970_207_512,
        7.015_586_669_815_619,
        10.173_468_135_062_72,
        13.323_691_936_314_22,
    ],
    [
        5.135_622_301_840_683,
        8.417_244_140_399_855,
        11.619_841_172_149_06,
        14.795_951_782_351_26,
    ],
    [
        6.380_161_895_923_984,
        9.761_023_129_981_67,
        13.015_200_721_698_43,
        16.223_466_160_318_77,
    ],
    [
        7.588_342_434_503_805,
        11.064_709_488_501_19,
        14.372_536_671_617_59,
        17.615_966_049_804_83,
    ],
    [
        8.771_483_815_959_954,
        12.338_604_197_466_93,
        15.700_174_079_711_67,
        18.980_133_875_179_92,
    ],
];

/// Bessel function of the first kind J_m(x), by its power series (accurate to about 1e-9 for
/// 0 <= x <= 25, the range a membrane needs).
pub fn j(m: u32, x: f64) -> f64 {
    let half = 0.5 * x;
    // First term (x/2)^m / m!
    let mut term = 1.0;
    for k in 1..=m {
        term *= half / k as f64;
    }
    let mut sum = term;
    let h2 = half * half;
    for k in 1..200u32 {
        term *= -h2 / (k as f64 * (k + m) as f64);
        sum += term;
        if term.abs() < 1e-17 * sum.abs().max(1e-300) && k > 2 {
            break;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_holds_zeros_of_j() {
        for (m, row) in ZEROS.iter().enumerate() {
            for &z in row {
                assert!(
                    j(m as u32, z).abs() < 1e-7,
                    "J_{m}({z}) = {}",
                    j(m as u32, z)
                );
            }
            for w in row.windows(2) {
                assert!(w[0] < w[1]);
            }
        }
    }

    #[test]
    fn known_values() {
        assert!((j(0, 0.0) - 1.0).abs() < 1e-15);
        assert!(j(3, 0.0).abs() < 1e-15);
        // J_0(1) and J_1(1) from tables.
        assert!((j(0, 1.0) - 0.765_197_686_557_966_6).abs() < 1e-12);
        assert!((j(1, 1.0) - 0.440_050_585_744_933_5).abs() < 1e-12);
        assert!((j(2, 10.0) - 0.254_630_313_685_120_6).abs() < 1e-9);
    }
}
