//! Training with the kit playing (`TrainConfig::kit_playing`): the armed class's hits that are
//! much softer than its loud ones and unlike them are bleed, left out however many; off, they
//! are only ordinary (capped) doubts. On the synthetic drum (`timbrel_learn::synthetic`).

use timbrel_learn::doubt::{Reason, BLEED_SOFTER_DB};
use timbrel_learn::synthetic::{self, SynthSpec};
use timbrel_learn::{train, Example, TrainConfig};

/// Centre and edge hits (velocity 0.8..1), then the synthesizer's toms, kicks, noise bursts and
/// cymbals filed into the centre class 18 dB under it, as if heard while it was armed. Returns
/// the dataset and the indices of those bleed examples.
fn armed_with_the_kit_playing() -> (timbrel_learn::Dataset, Vec<usize>) {
    let spec = SynthSpec {
        velocity: (0.8, 1.0),
        ..SynthSpec::default()
    };
    let (center, _) = synthetic::snare_hits(16, (0.0, 0.1), &spec, &[256], 1);
    let (edge, _) = synthetic::snare_hits(16, (0.85, 0.95), &spec, &[256], 2);
    let mut data = synthetic::center_edge_dataset(&center, &edge, 0);
    let loudest = data
        .examples
        .iter()
        .map(|e| e.level_dbfs)
        .fold(f32::MIN, f32::max);
    let mut bleed = Vec::new();
    for (i, h) in synthetic::other_sounds(5, &spec, &[256], 3)
        .iter()
        .enumerate()
    {
        let example = Example::new(&h.descriptors[0], 0, loudest - 18.0, 100.0 + i as f64);
        bleed.push(data.add_example(example).expect("valid"));
    }
    (data, bleed)
}

#[test]
fn with_the_kit_playing_soft_unlike_hits_are_bleed_and_left_out() {
    let (data, bleed) = armed_with_the_kit_playing();
    let cfg = TrainConfig {
        kit_playing: true,
        ..TrainConfig::default()
    };
    let model = train(&data, &cfg).expect("trains");
    let flagged: Vec<usize> = model
        .doubtful()
        .iter()
        .filter(|d| matches!(d.reason, Reason::Bleed { .. }))
        .inspect(|d| assert!(d.left_out, "bleed is always left out"))
        .map(|d| d.index)
        .collect();
    let caught = bleed.iter().filter(|i| flagged.contains(i)).count();
    eprintln!(
        "{caught} of {} bleed examples caught, {} flagged in all",
        bleed.len(),
        flagged.len()
    );
    assert!(
        flagged.iter().all(|i| bleed.contains(i)),
        "no drum hit is taken for bleed: {flagged:?}"
    );
    assert!(
        caught * 10 >= bleed.len() * 9,
        "{caught} of {} bleed examples caught",
        bleed.len()
    );
    for d in model
        .doubtful()
        .iter()
        .filter(|d| flagged.contains(&d.index))
    {
        if let Reason::Bleed { softer_db, .. } = d.reason {
            assert!(softer_db >= BLEED_SOFTER_DB);
        }
        assert!(d.reason.to_string().starts_with("bleed?"));
    }
}

#[test]
fn without_the_kit_playing_nothing_is_called_bleed() {
    let (data, _) = armed_with_the_kit_playing();
    let model = train(&data, &TrainConfig::default()).expect("trains");
    assert!(model
        .doubtful()
        .iter()
        .all(|d| !matches!(d.reason, Reason::Bleed { .. })));
}

#[test]
fn with_the_kit_playing_a_class_of_the_drum_alone_loses_nothing_to_bleed() {
    // One-shots over the whole velocity range: the soft ones are the drum's own strokes.
    let spec = SynthSpec {
        velocity: (0.3, 1.0),
        ..SynthSpec::default()
    };
    let (center, _) = synthetic::snare_hits(20, (0.0, 0.1), &spec, &[256], 4);
    let (edge, _) = synthetic::snare_hits(20, (0.85, 0.95), &spec, &[256], 5);
    let data = synthetic::center_edge_dataset(&center, &edge, 0);
    let cfg = TrainConfig {
        kit_playing: true,
        ..TrainConfig::default()
    };
    let model = train(&data, &cfg).expect("trains");
    let bleed: Vec<_> = model
        .doubtful()
        .iter()
        .filter(|d| matches!(d.reason, Reason::Bleed { .. }))
        .collect();
    assert!(bleed.is_empty(), "{bleed:?}");
}
