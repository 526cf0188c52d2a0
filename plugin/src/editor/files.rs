//! Model files: export the model in use with its training hits to a `.timbrel` file (shared with
//! other instances, projects and the `timbrel` CLI), and import one. An import is fully validated
//! by `timbrel_learn::file::load` before anything changes; a bad file leaves everything as it
//! was and says why.

use super::TimbrelEditor;
use crate::params::DetectorChoice;
use crate::worker::Command;
use egui::RichText;
use timbrel_core::analysis::DetectorKind;
use timbrel_learn::{file, Dataset, ModelFile};

/// The default model file: `timbrel-model.timbrel` in the home folder.
pub(super) fn default_path() -> String {
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .unwrap_or_default();
    std::path::Path::new(&home)
        .join("timbrel-model.timbrel")
        .display()
        .to_string()
}

/// The model-file row: path, Export and Import.
pub(super) fn files_panel(ui: &mut egui::Ui, ed: &mut TimbrelEditor) {
    ui.label(RichText::new("Model file").strong());
    ui.add(egui::TextEdit::singleline(&mut ed.model_path).desired_width(f32::INFINITY))
        .on_hover_text("A .timbrel file: the model with its classes, hits and detector settings");
    ui.horizontal(|ui| {
        if ui
            .button("Export")
            .on_hover_text("Write the model in use and its hits to this file")
            .clicked()
        {
            let message = export(ed);
            ed.say_result(message);
        }
        if ui
            .button("Import")
            .on_hover_text("Replace classes, hits and model by this file's (checked first)")
            .clicked()
        {
            let message = import(ed);
            ed.say_result(message);
        }
    });
}

fn export(ed: &TimbrelEditor) -> Result<String, String> {
    let params = &ed.shared.params;
    let state = params.dataset.project().state();
    let Some(model) = state.model else {
        return Err("there is no trained model to export yet".to_owned());
    };
    let mut model_file = ModelFile::new(
        format!("timbrel {}", env!("CARGO_PKG_VERSION")),
        params.analysis_settings(),
        model,
    );
    model_file.dataset = Some(state.dataset);
    let path = std::path::Path::new(&ed.model_path);
    file::save(path, &model_file).map_err(|e| e.to_string())?;
    Ok(format!("Exported the model to {}", path.display()))
}

fn import(ed: &TimbrelEditor) -> Result<String, String> {
    let path = std::path::Path::new(&ed.model_path);
    let model_file = file::load(path).map_err(|e| e.to_string())?;
    let params = &ed.shared.params;
    // The descriptors must be computed as the model's were: take over its analysis settings.
    let a = model_file.analysis;
    if ed.gui.is_none() {
        return Err("the editor is not connected to the host".to_owned());
    }
    let detector = match a.detector.kind {
        DetectorKind::Envelope => DetectorChoice::Envelope,
        DetectorKind::Flux => DetectorChoice::Flux,
    };
    ed.set(&params.detector, detector);
    for (param, value) in [
        (&params.threshold_db, a.detector.threshold_db),
        (&params.floor_dbfs, a.detector.floor_dbfs),
        (&params.highpass_hz, a.detector.highpass_hz),
        (&params.min_interval_ms, a.detector.min_interval_ms),
        (&params.retrigger_decay_ms, a.detector.retrigger_decay_ms),
    ] {
        ed.set(param, value);
    }
    ed.set(&params.window, a.window_ref_samples as i32);
    let model = model_file.model;
    let dataset = model_file.dataset.unwrap_or_else(|| Dataset {
        classes: model.classes().to_vec(),
        examples: Vec::new(),
        pair: model.pair(),
    });
    let hits = dataset.examples.len();
    let classes = dataset.classes.len();
    // An import replaces a kept unreadable state too: the user chose this file.
    ed.commands().send(Command::Import { dataset, model });
    Ok(format!(
        "Imported {}: {classes} classes, {hits} hits",
        path.display()
    ))
}
