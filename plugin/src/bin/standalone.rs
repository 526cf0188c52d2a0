//! Timbrel as a standalone application (JACK, ALSA, or `--backend dummy` without a sound card).

fn main() {
    nice_plug::prelude::nice_export_standalone::<timbrel::Timbrel>();
}
