//! End-to-end tests of the `timbrel` binary: WAV files written to a temp dir, the real
//! executable run on them, its CSV output parsed and checked against ground truth.

mod common;

use common::{stdout, timbrel};
use std::path::{Path, PathBuf};

use hound::{SampleFormat, WavSpec, WavWriter};
use timbrel_core::analysis::descriptor::NAMES;
use timbrel_core::synth::sources::{mix_into, noise_burst};
use timbrel_core::synth::Membrane;

/// Sample rate of the test audio, in Hz.
const RATE: u32 = 48_000;
/// Allowed onset error against ground truth, in seconds (the brief's ±1 ms).
const ONSET_TOLERANCE_S: f64 = 0.001;
/// Hit times of the standard test file, in seconds.
const HIT_TIMES: [f64; 6] = [0.100, 0.350, 0.600, 0.957, 1.250, 1.600];

/// Snare hits from the core's seeded synthesizer, each starting exactly at a time in `hits`
/// (seconds), with varying strike radius and velocity, over background noise at -80 dBFS.
fn drum_track(hits: &[f64], seconds: f64, seed: u64) -> Vec<f32> {
    let rate = RATE as f32;
    let len = (seconds * f64::from(RATE)) as usize;
    let mut audio = noise_burst(seconds as f32, 1e-4, rate, seed);
    audio.resize(len, 0.0);
    let snare = Membrane::snare();
    for (k, &t) in hits.iter().enumerate() {
        let radius = 0.15 * (k % 6) as f32;
        let velocity = 1.0 - 0.12 * (k % 4) as f32;
        let hit = snare.hit(radius, velocity, rate, seed * 1000 + k as u64);
        mix_into(
            &mut audio,
            &hit,
            (t * f64::from(RATE)).round() as usize,
            0.5,
        );
    }
    audio
}

/// Writes `channels` (each a full mono signal, -1..1) as a WAV of the given encoding.
fn write_wav(path: &Path, bits: u16, format: SampleFormat, channels: &[&[f32]]) {
    let spec = WavSpec {
        channels: channels.len() as u16,
        sample_rate: RATE,
        bits_per_sample: bits,
        sample_format: format,
    };
    let mut writer = WavWriter::create(path, spec).unwrap();
    let scale = (1u64 << (bits - 1)) as f32;
    for i in 0..channels[0].len() {
        for channel in channels {
            let s = channel[i].clamp(-1.0, 1.0);
            match (format, bits) {
                (SampleFormat::Float, _) => writer.write_sample(s).unwrap(),
                (SampleFormat::Int, 16) => writer
                    .write_sample((s * scale).round().min(scale - 1.0) as i16)
                    .unwrap(),
                (SampleFormat::Int, _) => writer
                    .write_sample(
                        (f64::from(s) * f64::from(scale))
                            .round()
                            .min(f64::from(scale) - 1.0) as i32,
                    )
                    .unwrap(),
            }
        }
    }
    writer.finalize().unwrap();
}

/// Writes the standard mono float test file into `dir` and returns its path.
fn standard_file(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    write_wav(
        &path,
        32,
        SampleFormat::Float,
        &[&drum_track(&HIT_TIMES, 2.0, 7)],
    );
    path
}

/// A well-formed mono 64-bit float WAV of `frames` zeros (a format we do not decode).
fn float64_wav(frames: u32) -> Vec<u8> {
    let data_len = frames * 8;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
    out.extend_from_slice(&1u16.to_le_bytes()); // channels
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 8).to_le_bytes()); // bytes per second
    out.extend_from_slice(&8u16.to_le_bytes()); // block align
    out.extend_from_slice(&64u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.resize(out.len() + data_len as usize, 0);
    out
}

/// Parses `onsets` output into (onset_s, ready_s, peak_dbfs) rows, checking the header, that
/// the detector's columns are there (the detection envelope above the mask and risen over its
/// average), and skipping the `#` lines of a ground-truth score.
fn parse_onsets(text: &str) -> Vec<(f64, f64, f64)> {
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    assert_eq!(
        lines.next(),
        Some("onset_s,ready_s,peak_dbfs,detection_dbfs,rise_db,mask_dbfs"),
        "header of:\n{text}"
    );
    lines
        .map(|line| {
            let fields: Vec<f64> = line.split(',').map(|f| f.parse().unwrap()).collect();
            assert_eq!(fields.len(), 6, "row {line:?}");
            let (level, rise, mask) = (fields[3], fields[4], fields[5]);
            assert!(
                rise == -200.0 || (level > mask && rise > 0.0),
                "row {line:?}"
            );
            (fields[0], fields[1], fields[2])
        })
        .collect()
}

#[test]
fn onsets_scores_against_a_ground_truth_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = standard_file(dir.path(), "track.wav");
    // Every hit is a target, plus a "hat" at 1.9 s that never sounded.
    let mut csv = String::from("onset_s,piece,target\n");
    for t in HIT_TIMES {
        csv.push_str(&format!("{t},snare,1\n"));
    }
    csv.push_str("1.9,hat,0\n");
    std::fs::write(dir.path().join("truth.csv"), &csv).unwrap();
    let text = stdout(&timbrel(
        &["onsets", path.to_str().unwrap(), "--truth", "truth.csv"],
        dir.path(),
    ));
    assert_eq!(parse_onsets(&text).len(), HIT_TIMES.len());
    let n = HIT_TIMES.len();
    assert!(
        text.contains(&format!(
            "# truth: {n} target strokes, {n} found (recall 1.0000)"
        )),
        "{text}"
    );
    assert!(
        text.contains("# false detections (at no event): 0 "),
        "{text}"
    );
    // A truth file without the target column: every event is a target; a hit missing from it
    // makes a false detection.
    std::fs::write(dir.path().join("plain.csv"), "onset_s\n0.25\n").unwrap();
    let text = stdout(&timbrel(
        &[
            "onsets",
            path.to_str().unwrap(),
            "--truth",
            "plain.csv",
            "--tolerance",
            "5",
        ],
        dir.path(),
    ));
    assert!(text.contains("within ±5 ms"), "{text}");
    // A bad truth file is an error that names it, before any output.
    std::fs::write(dir.path().join("bad.csv"), "time\n1\n").unwrap();
    let out = timbrel(
        &["onsets", path.to_str().unwrap(), "--truth", "bad.csv"],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no onset_s column"));
}

#[test]
fn learned_levels_find_the_hits_of_a_quiet_file() {
    let dir = tempfile::tempdir().unwrap();
    // The standard track 30 dB lower: its hits fall below the default gate.
    let quiet: Vec<f32> = drum_track(&HIT_TIMES, 2.0, 7)
        .iter()
        .map(|x| x * 10f32.powf(-30.0 / 20.0))
        .collect();
    let path = dir.path().join("quiet.wav");
    write_wav(&path, 32, SampleFormat::Float, &[&quiet]);
    let plain = parse_onsets(&stdout(&timbrel(&["onsets", "quiet.wav"], dir.path())));
    assert!(plain.len() < HIT_TIMES.len(), "{plain:?}");
    let out = timbrel(&["onsets", "quiet.wav", "--learn-levels"], dir.path());
    let learned = parse_onsets(&stdout(&out));
    assert_eq!(learned.len(), HIT_TIMES.len(), "{learned:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("learned from"));
}

#[test]
fn onsets_match_known_hit_times() {
    let dir = tempfile::tempdir().unwrap();
    let path = standard_file(dir.path(), "track.wav");
    let rows = parse_onsets(&stdout(&timbrel(
        &["onsets", path.to_str().unwrap()],
        dir.path(),
    )));
    assert_eq!(rows.len(), HIT_TIMES.len(), "rows: {rows:?}");
    for (&(onset, ready, peak), &truth) in rows.iter().zip(&HIT_TIMES) {
        assert!(
            (onset - truth).abs() <= ONSET_TOLERANCE_S,
            "onset {onset} vs {truth}"
        );
        assert!(ready >= onset, "ready {ready} before onset {onset}");
        assert!(peak <= 0.0 && peak > -40.0, "peak {peak} dBFS");
    }
}

#[test]
fn flux_detector_finds_the_same_hits() {
    let dir = tempfile::tempdir().unwrap();
    let path = standard_file(dir.path(), "track.wav");
    let args = ["onsets", "--detector", "flux", path.to_str().unwrap()];
    let rows = parse_onsets(&stdout(&timbrel(&args, dir.path())));
    assert_eq!(rows.len(), HIT_TIMES.len(), "rows: {rows:?}");
    for (&(onset, _, _), &truth) in rows.iter().zip(&HIT_TIMES) {
        // NOTE: flux works on hops; a few ms is its documented accuracy, not ±1 ms.
        assert!((onset - truth).abs() <= 0.005, "onset {onset} vs {truth}");
    }
}

#[test]
fn block_size_does_not_change_output() {
    let dir = tempfile::tempdir().unwrap();
    let path = standard_file(dir.path(), "track.wav");
    let file = path.to_str().unwrap();
    for command in ["onsets", "features"] {
        for detector in ["envelope", "flux"] {
            let run = |block: &str| {
                stdout(&timbrel(
                    &[command, "--detector", detector, "--block", block, file],
                    dir.path(),
                ))
            };
            let reference = run("512");
            assert!(reference.lines().count() > 1, "no hits: {reference}");
            for block in ["1", "37", "4096"] {
                assert_eq!(
                    run(block),
                    reference,
                    "{command} --detector {detector} --block {block}"
                );
            }
        }
    }
}

#[test]
fn all_sample_formats_give_the_same_hits() {
    let dir = tempfile::tempdir().unwrap();
    let mono = drum_track(&HIT_TIMES, 2.0, 7);
    let quieter: Vec<f32> = mono.iter().map(|s| 0.5 * s).collect();
    let cases: [(&str, u16, SampleFormat, Vec<&[f32]>); 6] = [
        ("f32.wav", 32, SampleFormat::Float, vec![&mono]),
        ("i16.wav", 16, SampleFormat::Int, vec![&mono]),
        ("i24.wav", 24, SampleFormat::Int, vec![&mono]),
        ("i32.wav", 32, SampleFormat::Int, vec![&mono]),
        ("stereo.wav", 16, SampleFormat::Int, vec![&mono, &mono]),
        (
            "quad.wav",
            32,
            SampleFormat::Float,
            vec![&mono, &quieter, &mono, &quieter],
        ),
    ];
    let mut reference: Option<Vec<(f64, f64, f64)>> = None;
    for (name, bits, format, channels) in &cases {
        let path = dir.path().join(name);
        write_wav(&path, *bits, *format, channels);
        let rows = parse_onsets(&stdout(&timbrel(&["onsets", name], dir.path())));
        assert_eq!(rows.len(), HIT_TIMES.len(), "{name}: {rows:?}");
        match &reference {
            None => reference = Some(rows),
            Some(reference) => {
                for (row, reference) in rows.iter().zip(reference) {
                    // One sample of slack for quantisation moving the refined onset.
                    assert!(
                        (row.0 - reference.0).abs() <= 1.5 / f64::from(RATE),
                        "{name}: {row:?} vs {reference:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn one_shot_at_sample_zero_gives_one_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oneshot.wav");
    let mut audio = drum_track(&[0.0], 0.5, 3);
    audio.truncate(RATE as usize / 4);
    write_wav(&path, 24, SampleFormat::Int, &[&audio]);
    let rows = parse_onsets(&stdout(&timbrel(&["onsets", "oneshot.wav"], dir.path())));
    assert_eq!(rows.len(), 1, "rows: {rows:?}");
    assert!(rows[0].0 <= ONSET_TOLERANCE_S, "onset {}", rows[0].0);
    let features = stdout(&timbrel(&["features", "oneshot.wav"], dir.path()));
    assert_eq!(features.lines().count(), 2, "{features}");
}

#[test]
fn hit_at_the_very_end_of_a_file_is_still_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut audio = drum_track(&[0.2], 0.5, 5);
    // The file stops 1 ms into the hit: its window must be completed with silence.
    audio.truncate((0.201 * f64::from(RATE)) as usize);
    write_wav(
        &dir.path().join("end.wav"),
        32,
        SampleFormat::Float,
        &[&audio],
    );
    for detector in ["envelope", "flux"] {
        let args = [
            "onsets",
            "--detector",
            detector,
            "--window",
            "4096",
            "end.wav",
        ];
        let rows = parse_onsets(&stdout(&timbrel(&args, dir.path())));
        assert_eq!(rows.len(), 1, "{detector}: {rows:?}");
        assert!((rows[0].0 - 0.2).abs() <= 0.005, "{detector}: {rows:?}");
        assert!(
            rows[0].1 > 0.201,
            "{detector}: ready inside the file: {rows:?}"
        );
    }
}

#[test]
fn unreadable_files_fail_cleanly_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("notes.wav"),
        "this is not a WAV file, just text\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("empty.wav"), "").unwrap();
    let good = standard_file(dir.path(), "good.wav");
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(dir.path().join("cut.wav"), &bytes[..bytes.len() / 2]).unwrap();
    std::fs::write(dir.path().join("header.wav"), &bytes[..30]).unwrap();
    std::fs::write(dir.path().join("double.wav"), float64_wav(8)).unwrap();

    for name in [
        "notes.wav",
        "empty.wav",
        "cut.wav",
        "header.wav",
        "double.wav",
        "missing.wav",
    ] {
        for command in ["onsets", "features"] {
            let output = timbrel(&[command, name], dir.path());
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(!output.status.success(), "{command} {name} succeeded");
            assert!(stderr.contains(name), "{command} {name}: stderr {stderr:?}");
            assert!(!stderr.contains("panicked"), "{command} {name}: {stderr}");
            assert_eq!(
                stderr.trim_end().lines().count(),
                1,
                "{command} {name}: {stderr}"
            );
        }
    }
}

#[test]
fn features_skips_bad_files_but_reports_them() {
    let dir = tempfile::tempdir().unwrap();
    standard_file(dir.path(), "good.wav");
    let output = timbrel(&["features", "good.wav", "missing.wav"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(text.lines().count(), 1 + HIT_TIMES.len(), "{text}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("missing.wav"));
}

#[test]
fn features_has_all_names_and_one_row_per_hit_in_argument_order() {
    let dir = tempfile::tempdir().unwrap();
    standard_file(dir.path(), "a.wav");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let one = dir.path().join("sub").join("one, \"two\".wav");
    write_wav(&one, 16, SampleFormat::Int, &[&drum_track(&[0.05], 0.5, 9)]);
    let one_arg = "./sub/one, \"two\".wav";
    let text = stdout(&timbrel(
        &["features", "a.wav", one_arg, "a.wav"],
        dir.path(),
    ));

    let mut lines = text.lines();
    let expected_header = format!("file,onset_s,{}", NAMES.join(","));
    assert_eq!(lines.next(), Some(expected_header.as_str()));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2 * HIT_TIMES.len() + 1, "{text}");
    let quoted = "\"./sub/one, \"\"two\"\".wav\"";
    for (i, row) in rows.iter().enumerate() {
        let (file, rest) = if i == HIT_TIMES.len() {
            let rest = row
                .strip_prefix(quoted)
                .unwrap_or_else(|| panic!("row {row:?}"));
            (one_arg, &rest[1..])
        } else {
            row.split_once(',').unwrap()
        };
        let fields: Vec<f64> = rest.split(',').map(|f| f.parse().unwrap()).collect();
        assert_eq!(fields.len(), 1 + NAMES.len(), "row {row:?}");
        if i < HIT_TIMES.len() {
            assert_eq!(file, "a.wav");
            assert!(
                (fields[0] - HIT_TIMES[i]).abs() <= ONSET_TOLERANCE_S,
                "row {row:?}"
            );
        } else if i > HIT_TIMES.len() {
            assert_eq!(file, "a.wav");
            assert!((fields[0] - HIT_TIMES[i - HIT_TIMES.len() - 1]).abs() <= ONSET_TOLERANCE_S);
        }
    }
}

#[test]
fn window_option_changes_the_latency() {
    let dir = tempfile::tempdir().unwrap();
    standard_file(dir.path(), "track.wav");
    let latency = |window: &str| {
        let rows = parse_onsets(&stdout(&timbrel(
            &["onsets", "--window", window, "track.wav"],
            dir.path(),
        )));
        assert_eq!(rows.len(), HIT_TIMES.len());
        rows[0].1 - rows[0].0
    };
    assert!(
        latency("2048") > latency("256"),
        "a longer window must take longer to be ready"
    );
}

#[test]
fn detector_tuning_options_are_applied() {
    let dir = tempfile::tempdir().unwrap();
    standard_file(dir.path(), "track.wav");
    let count = |args: &[&str]| {
        let mut all = vec!["onsets"];
        all.extend_from_slice(args);
        all.push("track.wav");
        parse_onsets(&stdout(&timbrel(&all, dir.path()))).len()
    };
    assert_eq!(
        count(&["--floor", "-60", "--threshold", "10", "--highpass", "500"]),
        HIT_TIMES.len()
    );
    // A gate above every hit's level silences the detector.
    assert_eq!(count(&["--floor", "0"]), 0);
    // A 1 s minimum interval keeps only the hits at 0.1 s and 1.25 s.
    assert_eq!(count(&["--min-interval", "1000"]), 2);
}

#[test]
fn bad_arguments_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    standard_file(dir.path(), "track.wav");
    for args in [
        &["onsets", "--block", "0", "track.wav"][..],
        &["onsets", "--window", "32", "track.wav"],
        &["onsets", "--detector", "psychic", "track.wav"],
        &["onsets", "--threshold", "50", "track.wav"],
        &["onsets", "--floor", "-200", "track.wav"],
        &["features", "--min-interval", "0", "track.wav"],
        &["features", "--highpass", "nan", "track.wav"],
        &["bench", "--seconds", "-1"],
        &["features"],
    ] {
        let output = timbrel(args, dir.path());
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
    }
}

#[test]
fn help_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let help = stdout(&timbrel(&["--help"], dir.path()));
    for word in ["onsets", "features", "bench"] {
        assert!(help.contains(word), "{help}");
    }
    let help = stdout(&timbrel(&["onsets", "--help"], dir.path()));
    assert!(help.contains("--detector") && help.contains("--block") && help.contains("--window"));
    let version = stdout(&timbrel(&["--version"], dir.path()));
    assert_eq!(
        version.trim(),
        format!("timbrel {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn bench_prints_throughput_and_realtime_factor() {
    let dir = tempfile::tempdir().unwrap();
    let text = stdout(&timbrel(&["bench", "--seconds", "0.2"], dir.path()));
    let number = |prefix: &str| -> f64 {
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in:\n{text}"));
        line.trim()
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(number("descriptor hits/s:") > 0.0, "{text}");
    assert!(number("realtime:") > 1.0, "{text}");
    // 16 x 100 hits with snippets and hat descriptors: about 6.3 MB.
    let mb = number("project state:");
    assert!(mb > 1.0 && mb < 8.0, "{text}");
}
