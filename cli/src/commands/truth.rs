//! `timbrel onsets --truth`: detections scored against a ground-truth file.
//!
//! The ground truth is a CSV file with a header. Its `onset_s` column (seconds) gives every
//! event's onset; an optional `target` column (1 or 0) says which events are strokes of the
//! drum the file is about (the snare a close mic is on) and which are other pieces heard in it
//! (bleed). Without it every event is a target. Other columns are ignored (the realistic
//! material of `tests/src/kit` writes this format).
//!
//! Detections are matched one-to-one to events within a tolerance, target events first, each to
//! the closest free detection. A detection matched to a target is a hit found; one matched only
//! to another piece's stroke is bleed; one matched to nothing is false (a retrigger on ringing,
//! reflections or wash).

use std::path::{Path, PathBuf};

/// A ground-truth file that cannot be used; each variant carries what was wrong.
#[derive(Debug, thiserror::Error)]
pub enum TruthError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The header has no `onset_s` column.
    #[error("{path}: the header {header:?} has no onset_s column")]
    NoOnsetColumn {
        /// The file.
        path: PathBuf,
        /// The header line.
        header: String,
    },
    /// A value could not be read.
    #[error("{path}, line {line}: {what} {value:?} is not {expected}")]
    BadValue {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// Which column.
        what: &'static str,
        /// The text found.
        value: String,
        /// What it should be.
        expected: &'static str,
    },
}

/// One ground-truth event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    /// Onset, in seconds.
    pub onset_s: f64,
    /// Whether it is a stroke of the drum the file is about.
    pub target: bool,
}

/// Reads a ground-truth CSV file (see the module docs).
pub fn read(path: &Path) -> Result<Vec<Event>, TruthError> {
    let text = std::fs::read_to_string(path).map_err(|source| TruthError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(&text, path)
}

fn parse(text: &str, path: &Path) -> Result<Vec<Event>, TruthError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let header = lines.next().map_or("", |(_, l)| l);
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    let onset = columns
        .iter()
        .position(|c| *c == "onset_s")
        .ok_or_else(|| TruthError::NoOnsetColumn {
            path: path.to_owned(),
            header: header.to_owned(),
        })?;
    let target = columns.iter().position(|c| *c == "target");
    let bad = |line: usize, what, value: &str, expected| TruthError::BadValue {
        path: path.to_owned(),
        line: line + 1,
        what,
        value: value.to_owned(),
        expected,
    };
    let mut events = Vec::new();
    for (n, line) in lines {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let text = fields.get(onset).copied().unwrap_or("");
        let onset_s: f64 = text
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| bad(n, "onset_s", text, "a time in seconds"))?;
        let target = match target.map(|t| fields.get(t).copied().unwrap_or("")) {
            None => true,
            Some("1") | Some("true") => true,
            Some("0") | Some("false") => false,
            Some(other) => return Err(bad(n, "target", other, "1 or 0")),
        };
        events.push(Event { onset_s, target });
    }
    Ok(events)
}

/// How the detections compare with the ground truth.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Score {
    /// Target events.
    pub targets: usize,
    /// Target events with a detection.
    pub found: usize,
    /// Detections matched only to another piece's stroke.
    pub bleed: usize,
    /// Detections matched to no event.
    pub false_detections: usize,
    /// Signed timing errors of the targets found (detection minus truth), in milliseconds.
    pub errors_ms: Vec<f64>,
}

impl Score {
    /// Found targets over all targets (1 when there are none).
    pub fn recall(&self) -> f64 {
        if self.targets == 0 {
            1.0
        } else {
            self.found as f64 / self.targets as f64
        }
    }

    /// Median absolute timing error, in milliseconds (0 when nothing was found).
    pub fn median_abs_error_ms(&self) -> f64 {
        let mut e: Vec<f64> = self.errors_ms.iter().map(|e| e.abs()).collect();
        e.sort_by(f64::total_cmp);
        e.get(e.len() / 2).copied().unwrap_or(0.0)
    }

    /// Largest absolute timing error, in milliseconds.
    pub fn max_abs_error_ms(&self) -> f64 {
        self.errors_ms.iter().fold(0.0, |m, e| m.max(e.abs()))
    }

    /// The summary lines `onsets --truth` prints, each starting with `# `.
    pub fn summary(&self, tolerance_ms: f64) -> String {
        let per_100 = |n: usize| 100.0 * n as f64 / self.targets.max(1) as f64;
        format!(
            "# truth: {} target strokes, {} found (recall {:.4}) within ±{tolerance_ms} ms\n\
             # false detections (at no event): {} ({:.2} per 100 target strokes)\n\
             # detections of other pieces' strokes: {} ({:.2} per 100 target strokes)\n\
             # timing error of the strokes found: median {:.3} ms, max {:.3} ms\n",
            self.targets,
            self.found,
            self.recall(),
            self.false_detections,
            per_100(self.false_detections),
            self.bleed,
            per_100(self.bleed),
            self.median_abs_error_ms(),
            self.max_abs_error_ms(),
        )
    }
}

/// Matches `detections` (onsets in seconds) to `events` within `tolerance_s` seconds.
pub fn score(detections: &[f64], events: &[Event], tolerance_s: f64) -> Score {
    let mut used = vec![false; detections.len()];
    let mut s = Score {
        targets: events.iter().filter(|e| e.target).count(),
        ..Score::default()
    };
    let mut matched_bleed = 0;
    for pass_target in [true, false] {
        for e in events.iter().filter(|e| e.target == pass_target) {
            let best = detections
                .iter()
                .enumerate()
                .filter(|(i, d)| !used[*i] && (**d - e.onset_s).abs() <= tolerance_s)
                .min_by(|a, b| (a.1 - e.onset_s).abs().total_cmp(&(b.1 - e.onset_s).abs()));
            if let Some((i, d)) = best {
                used[i] = true;
                if pass_target {
                    s.found += 1;
                    s.errors_ms.push((d - e.onset_s) * 1000.0);
                } else {
                    matched_bleed += 1;
                }
            }
        }
    }
    s.bleed = matched_bleed;
    s.false_detections = used.iter().filter(|u| !**u).count();
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_kit_material_format_and_plain_onset_lists() {
        let p = Path::new("t.csv");
        let e = parse(
            "onset_s,piece,target,velocity_db\n0.5,snare,1,-3\n0.75,hat,0,-15\n\n",
            p,
        )
        .unwrap();
        assert_eq!(
            e,
            vec![
                Event {
                    onset_s: 0.5,
                    target: true
                },
                Event {
                    onset_s: 0.75,
                    target: false
                }
            ]
        );
        assert!(parse("onset_s\n1.25\n", p).unwrap()[0].target);
    }

    #[test]
    fn bad_files_say_where_and_what() {
        let p = Path::new("t.csv");
        let e = parse("time\n1\n", p).unwrap_err();
        assert!(e.to_string().contains("no onset_s column"), "{e}");
        let e = parse("onset_s,target\n1,1\nx,1\n", p).unwrap_err();
        assert!(
            e.to_string().contains("line 3") && e.to_string().contains("\"x\""),
            "{e}"
        );
        let e = parse("onset_s,target\n1,maybe\n", p).unwrap_err();
        assert!(e.to_string().contains("1 or 0"), "{e}");
    }

    #[test]
    fn matching_counts_found_bleed_and_false_detections() {
        let events = [
            Event {
                onset_s: 1.0,
                target: true,
            },
            Event {
                onset_s: 1.002,
                target: false,
            },
            Event {
                onset_s: 2.0,
                target: true,
            },
            Event {
                onset_s: 3.0,
                target: false,
            },
        ];
        // 1.001 -> the target at 1.0 (targets first); 1.003 -> the hat; 2.05 -> nothing
        // (outside 10 ms); 3.004 -> bleed; 3.5 -> false.
        let s = score(&[1.001, 1.003, 2.05, 3.004, 3.5], &events, 0.010);
        assert_eq!(
            (s.targets, s.found, s.bleed, s.false_detections),
            (2, 1, 2, 2)
        );
        assert!((s.median_abs_error_ms() - 1.0).abs() < 1e-9);
        assert_eq!(s.recall(), 0.5);
        assert!(s.summary(10.0).contains("recall 0.5000"));
    }
}
