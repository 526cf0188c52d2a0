//! Single-hit files of real kits through a model trained on every velocity layer of the snare
//! and of its rimshot or side stick (`timbrel_host_tests::kit::singles`, as
//! `examples/single_hit_notes.rs` prints it): the snare's hit is sent as the snare at every
//! velocity, whatever the kit. Guards the training's doubtful-example rule: the loudest layer
//! of a snare lies nearer its rimshot than its soft layers do, and when training left such hits
//! out as "sounds like another class", every loud centre hit became a rimshot (ForzeeStereo:
//! 19.5 % of its snare files). Today, 400 seeds per kit (324 snare files): sent as the snare
//! 95.4 %, as the rimshot or side stick 0.6 %, other notes 5.0 per 100 files. Needs the
//! Hydrogen kits (`tests/run.sh` installs them).

use timbrel_core::analysis::AnalysisSettings;
use timbrel_host_tests::kit::material::{drumkits_or_skip, kits, ONESHOT_KITS};
use timbrel_host_tests::kit::singles::{kit_rows, Notes, SAMPLE_RATE};
use timbrel_learn::NewStroke;

#[test]
fn a_real_snare_is_sent_as_the_snare_at_every_velocity() {
    if drumkits_or_skip("a_real_snare_is_sent_as_the_snare_at_every_velocity").is_none() {
        return;
    }
    let kits = kits(&ONESHOT_KITS, SAMPLE_RATE).expect("kits load");
    let rows = kit_rows(
        &kits,
        400,
        NewStroke::Auto,
        AnalysisSettings::default(),
        false,
    );
    assert!(rows.len() >= 5, "{} kits", rows.len());
    let mut total = Notes::default();
    let share = |n: usize, of: &Notes| n as f64 / of.files.max(1) as f64;
    for (name, notes) in &rows {
        eprintln!("{}", notes.row(name));
        total.add(notes);
    }
    eprintln!("{}", total.row("all"));
    for (name, notes) in &rows {
        assert!(
            share(notes.hit[0], notes) >= 0.85,
            "{name}: the snare sent as the snare in {:.1} % of its files",
            100.0 * share(notes.hit[0], notes)
        );
    }
    assert!(share(total.hit[0], &total) >= 0.93, "{total:?}");
    assert!(share(total.hit[1], &total) <= 0.02, "{total:?}");
    let others = total.others[0] + total.others[1];
    assert!(share(others, &total) <= 0.07, "{total:?}");
}
