//! One line per material for one set of detector settings, to compare settings quickly on the
//! realistic material of `timbrel_host_tests::kit` (a smaller run than `detection_report`).
//!
//! `cargo run --release -p timbrel-host-tests --example detector_sweep -- THRESHOLD_DB FLOOR_DBFS
//! RETRIGGER_DECAY_MS [SEEDS] [FILES]` (defaults: 2 seeds per kit and rate, 400 single-hit files).
//! Prints, for the membrane snare and the real-kit grooves: F-measure, snare recall (all,
//! backbeats, ghosts, rolls, flam graces, flams with both hits), retriggers and detections on
//! other pieces per 100 snare hits, median timing error (ms); then the single-hit files (found %,
//! extra detections per 100 files) and detections per dry stroke.
use timbrel_core::analysis::AnalysisSettings;
use timbrel_host_tests::kit::groove::{GrooveSpec, Target};
use timbrel_host_tests::kit::hydrogen::Group;
use timbrel_host_tests::kit::material::{
    drumkits_or_skip, evaluate_dry_strokes, evaluate_grooves, evaluate_single_hits, GROOVE_KITS,
    ONESHOT_KITS, RATES,
};
use timbrel_host_tests::kit::score::TakeScore;

fn main() {
    if drumkits_or_skip("detector_sweep").is_none() {
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, default: f32| -> f32 {
        args.get(i)
            .map(|v| v.parse().expect("a number"))
            .unwrap_or(default)
    };
    let mut s = AnalysisSettings::default();
    s.detector.threshold_db = num(0, s.detector.threshold_db);
    s.detector.floor_dbfs = num(1, s.detector.floor_dbfs);
    s.detector.retrigger_decay_ms = num(2, s.detector.retrigger_decay_ms);
    let seeds = num(3, 2.0) as u64;
    let files = num(4, 400.0) as usize;
    s.validate().expect("settings in range");
    let spec = GrooveSpec::default();
    let membrane = evaluate_grooves(
        &GROOVE_KITS[..2],
        Target::Membrane,
        1..1 + seeds,
        &RATES,
        &spec,
        s,
    )
    .expect("kits load");
    let real = evaluate_grooves(&GROOVE_KITS, Target::Kit, 1..1 + seeds, &RATES, &spec, s)
        .expect("kits load");
    let single = evaluate_single_hits(&ONESHOT_KITS, &RATES, files, 1, s).expect("kits load");
    let dry = evaluate_dry_strokes(&ONESHOT_KITS, &RATES, s).expect("kits load");
    println!("{:?}", s.detector);
    for (name, t) in [("membrane", &membrane), ("real kit", &real)] {
        line(name, t);
    }
    let per_stroke: Vec<String> = dry
        .by_group
        .iter()
        .map(|(g, c)| format!("{g:?} {:.2}", c.detections as f64 / c.strokes.max(1) as f64))
        .collect();
    println!(
        "single hits: found {:.2} %, extra {:.1} per 100 files; dry detections per stroke: {}",
        single.found_percent(),
        single.extra_per_100(),
        per_stroke.join(", ")
    );
}

fn line(name: &str, t: &TakeScore) {
    println!(
        "{name}: F {:.3}, recall {:.3} (backbeats {:.3}, ghosts {:.3}, rolls {:.3}, graces {:.3}, \
         flams {:.3}), retriggers {:.1}/100, hat {:.0} cymbal {:.0} tom {:.0} kick {:.0} per 100, \
         median error {:.2} ms",
        t.f_measure(),
        t.target.rate(),
        t.main.rate(),
        t.ghost.rate(),
        t.roll.rate(),
        t.flam_grace.rate(),
        t.flams.rate(),
        t.retriggers_per_100(),
        t.bleed_detections_per_100(Group::Hat),
        t.bleed_detections_per_100(Group::Cymbal),
        t.bleed_detections_per_100(Group::Tom),
        t.bleed_detections_per_100(Group::Kick),
        t.median_error_ms()
    );
}
