//! The CLI on real drum recordings (Hydrogen kits; skipped with a message when they are not
//! installed, except under CI): one example per one-shot file, doubtful training hits in
//! `timbrel eval`, other instruments of other kits rejected as unknown, and an ignore class
//! (`--ignore`) trained on another kit.

mod common;
#[path = "common/kit.rs"]
mod kit;

use common::{stdout, timbrel};

#[test]
fn one_shot_files_give_one_example_each_and_eval_lists_doubts() {
    if !kit::available("one_shot_files_give_one_example_each_and_eval_lists_doubts") {
        return;
    }
    let k = format!("{}/GMRockKit", kit::KITS_DIR);
    let dir = std::env::temp_dir();
    let center = format!("center={k}/Snare-*.wav");
    let rim = format!("rim={k}/SnareRimshot-*.wav");
    let out = timbrel(&["eval", "-c", &center, "-c", &rim, "--floor", "-70"], &dir);
    let text = stdout(&out);
    let log = String::from_utf8_lossy(&out.stderr);
    // Five layers per class, one example each, whatever the detector finds in their tails.
    assert!(text.contains("on 10 hits"), "{text}");
    assert!(log.contains("center 5 hits, rim 5 hits"), "{log}");
    assert!(text.contains("doubtful training hits ("), "{text}");
    // With --every-hit every detection is an example; the retrigger mask finds exactly one hit
    // in each of these layers, so the count is the same.
    let all = stdout(&timbrel(
        &[
            "eval",
            "-c",
            &center,
            "-c",
            &rim,
            "--floor",
            "-70",
            "--every-hit",
        ],
        &dir,
    ));
    assert!(all.contains("on 10 hits"), "{all}");
}

#[test]
fn other_instruments_of_other_kits_are_unknown() {
    if !kit::available("other_instruments_of_other_kits_are_unknown") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("snare.timbrel");
    let k = format!("{}/GMRockKit", kit::KITS_DIR);
    stdout(&timbrel(
        &[
            "train",
            "-c",
            &format!("center={k}/Snare-*.wav"),
            "-c",
            &format!("rim={k}/SnareRimshot-*.wav"),
            "--floor",
            "-70",
            "-o",
            model.to_str().unwrap(),
        ],
        dir.path(),
    ));
    // Hi-hats and kicks of another kit.
    let f = format!("{}/ForzeeStereo", kit::KITS_DIR);
    let mut args = vec![
        "classify".to_string(),
        "-m".into(),
        model.to_str().unwrap().into(),
    ];
    for name in ["HiHatClosed", "HiHatSemiopen", "Kick"] {
        for l in 0..5 {
            args.push(format!("{f}/{name}-{l}.wav"));
        }
    }
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let text = stdout(&timbrel(&args, dir.path()));
    let rows: Vec<&str> = text.lines().skip(1).filter(|l| !l.is_empty()).collect();
    let unknown = rows.iter().filter(|l| l.contains("unknown")).count();
    assert!(rows.len() >= 15, "{text}");
    assert!(
        unknown as f64 >= 0.9 * rows.len() as f64,
        "{unknown} of {}:\n{text}",
        rows.len()
    );
}

#[test]
fn an_ignore_class_from_another_kit_sends_the_bleed_nowhere() {
    if !kit::available("an_ignore_class_from_another_kit_sends_the_bleed_nowhere") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("snare.timbrel");
    let (f, g) = (
        format!("{}/ForzeeStereo", kit::KITS_DIR),
        format!("{}/GMRockKit", kit::KITS_DIR),
    );
    // The drum: ForzeeStereo's snare and rim shot; the rest of a kit (GMRockKit's hats,
    // cymbals, toms and kick, one layer each): the ignore class.
    let mut args: Vec<String> = [
        "train",
        "-c",
        &format!("center={f}/Snare-*.wav"),
        "-c",
        &format!("rim={f}/SnareRim-*.wav"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for name in ["Hat*", "Crash", "Ride", "Tom*", "Kick"] {
        args.push("-c".into());
        args.push(format!("kit={g}/{name}-Med.wav"));
    }
    for a in [
        "--ignore",
        "kit",
        "--floor",
        "-70",
        "-o",
        model.to_str().unwrap(),
    ] {
        args.push(a.into());
    }
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let out = timbrel(&args, dir.path());
    stdout(&out);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("kit: 10 hits in 10 files (ignore class)"),
        "{log}"
    );
    assert!(
        log.contains("interpolation: center = 0 to rim = 1"),
        "{log}"
    );

    let classify = |files: Vec<String>| -> Vec<(String, String)> {
        let mut args = vec![
            "classify".to_string(),
            "-m".into(),
            model.to_str().unwrap().into(),
        ];
        args.extend(files);
        let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let text = stdout(&timbrel(&args, dir.path()));
        text.lines()
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[0].to_string(), f[2].to_string())
            })
            .collect()
    };
    // A third kit's hi-hats, cymbals and toms: never the drum, mostly ignored.
    let a = format!("{}/Audiophob", kit::KITS_DIR);
    let others: Vec<String> = [
        "101450__menegass__tomh.wav",
        "104227__minorr__hhat-paiste-302-14-open-p.wav",
        "116973__cbeeching__hat-light.wav",
        "124101__connersaw8__crash.wav",
        "86335__zgump__tom-0105.wav",
        "99930__menegass__noise-tom0.wav",
        "99931__menegass__noise-tom1.wav",
    ]
    .iter()
    .map(|n| format!("{a}/{n}"))
    .collect();
    let rows = classify(others);
    assert!(rows.len() >= 7, "{rows:?}");
    assert!(
        rows.iter().all(|(_, c)| c == "ignored" || c == "unknown"),
        "{rows:?}"
    );
    let ignored = rows.iter().filter(|(_, c)| c == "ignored").count();
    assert!(2 * ignored > rows.len(), "{rows:?}");
    // The drum's own layers: each file's first hit is the drum.
    let own: Vec<String> = (0..5)
        .flat_map(|l| {
            [
                format!("{f}/Snare-{l}.wav"),
                format!("{f}/SnareRim-{l}.wav"),
            ]
        })
        .collect();
    let rows = classify(own);
    let mut seen = std::collections::HashSet::new();
    let firsts: Vec<&(String, String)> = rows
        .iter()
        .filter(|(file, _)| seen.insert(file.clone()))
        .collect();
    assert_eq!(firsts.len(), 10, "{rows:?}");
    let drum = firsts
        .iter()
        .filter(|(_, c)| c == "center" || c == "rim")
        .count();
    assert!(drum >= 9, "{rows:?}");

    // An ignore class must exist, and cannot be in the pair.
    let train_ignoring = |ignore: &str| {
        let out = timbrel(
            &[
                "train",
                "-c",
                &format!("center={f}/Snare-*.wav"),
                "-c",
                &format!("rim={f}/SnareRim-*.wav"),
                "--ignore",
                ignore,
                "-o",
                model.to_str().unwrap(),
            ],
            dir.path(),
        );
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = train_ignoring("bleed");
    assert!(err.contains("--ignore: no class named `bleed`"), "{err}");
    let err = train_ignoring("rim");
    assert!(
        err.contains("at least 2 classes that are not ignored"),
        "{err}"
    );
}
