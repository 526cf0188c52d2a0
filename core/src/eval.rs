//! Onset evaluation against ground truth: precision, recall, F-measure and timing errors.

/// Scores of detected onsets against ground-truth onsets.
#[derive(Debug, Clone, PartialEq)]
pub struct OnsetScores {
    /// Ground-truth onsets matched by a detection.
    pub true_positives: usize,
    /// Detections that match no ground-truth onset.
    pub false_positives: usize,
    /// Ground-truth onsets no detection matched.
    pub false_negatives: usize,
    /// TP / (TP + FP), 0..1 (1 when nothing was detected and nothing expected).
    pub precision: f64,
    /// TP / (TP + FN), 0..1.
    pub recall: f64,
    /// Harmonic mean of precision and recall, 0..1.
    pub f_measure: f64,
    /// Median of |detected - true| over matches, in milliseconds.
    pub median_abs_error_ms: f64,
    /// Largest |detected - true| over matches, in milliseconds.
    pub max_abs_error_ms: f64,
    /// For each ground-truth onset, the index of the detection matched to it.
    pub matches: Vec<Option<usize>>,
}

/// Matches `detected` to `truth` (both in samples at `sample_rate` Hz) one-to-one within
/// ±`tolerance_ms`, closest pairs first, and scores the result.
pub fn score_onsets(
    detected: &[u64],
    truth: &[u64],
    sample_rate: f32,
    tolerance_ms: f32,
) -> OnsetScores {
    let tol = (tolerance_ms as f64 * 0.001 * sample_rate as f64).round() as i64;
    let mut pairs = Vec::new();
    for (t, &ts) in truth.iter().enumerate() {
        for (d, &ds) in detected.iter().enumerate() {
            let e = ds as i64 - ts as i64;
            if e.abs() <= tol {
                pairs.push((e.abs(), t, d));
            }
        }
    }
    pairs.sort();
    let mut matches = vec![None; truth.len()];
    let mut used = vec![false; detected.len()];
    let mut errors = Vec::new();
    for (e, t, d) in pairs {
        if matches[t].is_none() && !used[d] {
            matches[t] = Some(d);
            used[d] = true;
            errors.push(e as f64 * 1000.0 / sample_rate as f64);
        }
    }
    let tp = errors.len();
    let fp = detected.len() - tp;
    let fn_ = truth.len() - tp;
    let precision = if tp + fp == 0 {
        1.0
    } else {
        tp as f64 / (tp + fp) as f64
    };
    let recall = if tp + fn_ == 0 {
        1.0
    } else {
        tp as f64 / (tp + fn_) as f64
    };
    let f_measure = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    errors.sort_by(f64::total_cmp);
    let median = if errors.is_empty() {
        0.0
    } else {
        errors[errors.len() / 2]
    };
    OnsetScores {
        true_positives: tp,
        false_positives: fp,
        false_negatives: fn_,
        precision,
        recall,
        f_measure,
        median_abs_error_ms: median,
        max_abs_error_ms: errors.last().copied().unwrap_or(0.0),
        matches,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_simple_cases() {
        let s = score_onsets(&[100, 1000, 5000], &[102, 1441, 4990], 1000.0, 10.0);
        assert_eq!(
            (s.true_positives, s.false_positives, s.false_negatives),
            (2, 1, 1)
        );
        assert_eq!(s.matches, vec![Some(0), None, Some(2)]);
        assert!((s.max_abs_error_ms - 10.0).abs() < 1e-9);
        let s = score_onsets(&[], &[], 1000.0, 10.0);
        assert_eq!(s.f_measure, 1.0);
    }

    #[test]
    fn close_pairs_match_one_to_one() {
        // A flam 20 ms apart, both within tolerance of one detection: only one matches.
        let s = score_onsets(&[1005], &[1000, 1020], 1000.0, 25.0);
        assert_eq!(s.matches, vec![Some(0), None]);
    }
}
