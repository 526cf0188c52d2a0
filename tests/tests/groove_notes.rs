//! Issue #14's groove goals, checked with the library as the plugin uses it
//! (`timbrel_host_tests::kit::notes`): one 40 s groove of each groove kit with a snare and a
//! rimshot or side stick (Colombo, ForzeeStereo, GMRockKit, Millo_MultiLayered2), trained soft to
//! loud in its room, with no ignore class and with the kit played into an armed ignore class.
//! The goals (at most 2 notes per 100 snare hits that are not snare hits, accuracy of at least
//! 0.95, recall of at least 0.98) are printed with the figures; the test asserts the floors
//! reached today so that a regression fails it. Today (seed 500, 487 snare strokes): without an ignore class 10.5
//! wrong class notes per 100 snare strokes, accuracy 0.944 of the noted strokes; with the armed
//! ignore class 0.8 per 100 (1.6 before New stroke), backbeats and accents noted 0.912,
//! accuracy 0.958. `examples/groove_notes.rs` prints
//! the full table over three seeds. Needs the Hydrogen kits (`tests/run.sh` installs them).

use timbrel_host_tests::kit::material::{drumkits_or_skip, kits, GROOVE_KITS};
use timbrel_host_tests::kit::notes::{groove_tallies, Tally, Training};

#[test]
fn an_armed_ignore_class_keeps_a_real_kit_s_bleed_from_sending_class_notes() {
    let test = "an_armed_ignore_class_keeps_a_real_kit_s_bleed_from_sending_class_notes";
    if drumkits_or_skip(test).is_none() {
        return;
    }
    let kits = kits(&GROOVE_KITS, 44_100.0).expect("kits load");
    let mut sum: [Tally; 3] = Default::default();
    let mut grooves = 0;
    for kit in &kits {
        if let Some(t) = groove_tallies(kit, 500, &Training::default()) {
            grooves += 1;
            for (s, t) in sum.iter_mut().zip(&t) {
                s.add(t);
            }
        }
    }
    let [plain, armed, _collected] = &sum;
    eprintln!(
        "{grooves} grooves, {} snare strokes. No ignore class: {:.1} wrong class notes per 100 \
         snare strokes (goal <= 2), accuracy {:.3} of the noted strokes (goal >= 0.95), {:.3} \
         with a class note (goal >= 0.98). Armed ignore class: {:.1} per 100, backbeats and \
         accents noted {:.3}, accuracy {:.3}.",
        plain.strokes,
        plain.elsewhere_per_100(),
        plain.accuracy(),
        plain.noted as f64 / plain.strokes.max(1) as f64,
        armed.elsewhere_per_100(),
        armed.accents_noted(),
        armed.accuracy(),
    );
    assert!(grooves >= 4, "{grooves} grooves");
    assert!(plain.accuracy() >= 0.90, "accuracy {:.3}", plain.accuracy());
    // The goal itself (<= 2) since New stroke (auto: on with the ignore class).
    assert!(
        armed.elsewhere_per_100() <= 2.0,
        "{:.1} wrong class notes per 100 snare strokes with an ignore class",
        armed.elsewhere_per_100()
    );
    assert!(
        armed.elsewhere_per_100() <= 0.25 * plain.elsewhere_per_100(),
        "the ignore class took {:.1} -> {:.1} per 100",
        plain.elsewhere_per_100(),
        armed.elsewhere_per_100()
    );
    assert!(
        armed.accents_noted() >= 0.85,
        "backbeats and accents noted {:.3}",
        armed.accents_noted()
    );
}
