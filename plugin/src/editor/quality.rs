//! Model quality at a glance (held-out accuracy, confusion matrix, doubtful hits with one-click
//! removal, advice) and the selected hit's panel (play, relabel, delete).

use super::{TimbrelEditor, WARN};
use crate::worker::{Command, ExampleKey};
use egui::{Color32, RichText};

/// Held-out accuracy, the confusion matrix, doubtful hits and advice.
pub(super) fn quality_panel(ui: &mut egui::Ui, ed: &mut TimbrelEditor) {
    ui.label(RichText::new("Model quality").strong());
    let (quality, evaluating) = {
        let state = ed.shared.view.load();
        (state.quality.clone(), state.evaluating)
    };
    if evaluating {
        ui.label("Evaluating the new model...");
    }
    let Some(q) = quality else {
        if !evaluating {
            ui.label("Train two classes to see how well they are told apart.");
        }
        return;
    };
    let e = &q.evaluation;
    let method = if e.folds == e.examples.len() {
        "leave-one-out".to_owned()
    } else {
        format!("{}-fold", e.folds)
    };
    let accuracy = e.accuracy * 100.0;
    let verdict = if accuracy >= 95.0 {
        "good"
    } else if accuracy >= 85.0 {
        "fair"
    } else {
        "poor"
    };
    ui.label(
        RichText::new(format!("Accuracy {accuracy:.0} % ({verdict})"))
            .size(16.0)
            .strong(),
    );
    ui.label(
        RichText::new(format!(
            "{method} on {} hits, {:?}, calibration error {:.1} %",
            e.examples.len(),
            e.kind,
            e.ece * 100.0
        ))
        .small(),
    );

    // Confusion matrix: rows are the true classes, columns what they were taken for.
    let trained: Vec<usize> = (0..e.confusion.len())
        .filter(|&c| e.confusion[c].iter().sum::<u32>() > 0)
        .collect();
    if trained.len() >= 2 {
        ui.label(RichText::new("Confusion (rows: played, columns: heard as)").small());
        egui::Grid::new("confusion")
            .spacing([4.0, 2.0])
            .show(ui, |ui| {
                ui.label("");
                for &c in &trained {
                    ui.label(RichText::new(short(&q.class_names[c])).small());
                }
                ui.end_row();
                for &r in &trained {
                    ui.label(RichText::new(short(&q.class_names[r])).small());
                    let total = e.confusion[r].iter().sum::<u32>().max(1) as f32;
                    for &c in &trained {
                        let n = e.confusion[r][c];
                        let share = n as f32 / total;
                        let color = if r == c {
                            Color32::from_rgb(40, (60.0 + 140.0 * share) as u8, 60)
                        } else if n > 0 {
                            Color32::from_rgb((80.0 + 170.0 * share) as u8, 40, 40)
                        } else {
                            Color32::from_gray(30)
                        };
                        egui::Frame::new()
                            .fill(color)
                            .inner_margin(egui::Margin::symmetric(4, 1))
                            .show(ui, |ui| {
                                ui.label(RichText::new(n.to_string()).color(Color32::WHITE));
                            });
                    }
                    ui.end_row();
                }
            });
    }

    if !q.outliers.is_empty() {
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("{} doubtful hits", q.outliers.len())).color(WARN));
            if ui
                .button("Remove all")
                .on_hover_text("Delete every doubtful hit and retrain")
                .clicked()
            {
                let keys: Vec<ExampleKey> = q.outliers.iter().map(|o| o.0).collect();
                remove_examples(ed, &keys, |removed| {
                    format!("Removed {removed} doubtful hits; retraining.")
                });
            }
        });
        for (k, (key, predicted)) in q.outliers.iter().enumerate().take(8) {
            ui.horizontal(|ui| {
                let name = |c: usize| q.class_names.get(c).cloned().unwrap_or_default();
                ui.label(
                    RichText::new(format!(
                        "{:.1} s {} heard as {}",
                        key.time_s,
                        name(key.class),
                        name(*predicted)
                    ))
                    .small(),
                );
                if ui.small_button("Play").clicked() {
                    ed.audition(*key);
                }
                if ui.small_button("Select").clicked() {
                    ed.selected = Some(*key);
                }
                if ui.small_button("Remove").clicked() {
                    remove_examples(ed, &[*key], |_| String::new());
                }
            });
            if k == 7 && q.outliers.len() > 8 {
                ui.label(format!("and {} more", q.outliers.len() - 8));
            }
        }
    }
    if !q.doubts.is_empty() {
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            let left = q.doubts.iter().filter(|d| d.2).count();
            ui.label(
                RichText::new(format!(
                    "{} hits doubtful when recorded ({left} left out of training)",
                    q.doubts.len()
                ))
                .color(WARN),
            );
            if ui
                .button("Remove these")
                .on_hover_text("Delete every hit doubtful when recorded and retrain")
                .clicked()
            {
                let keys: Vec<ExampleKey> = q.doubts.iter().map(|d| d.0).collect();
                remove_examples(ed, &keys, |removed| {
                    format!("Removed {removed} doubtful hits; retraining.")
                });
            }
        });
        for (key, why, _) in q.doubts.iter().take(8) {
            ui.horizontal(|ui| {
                let name = q.class_names.get(key.class).cloned().unwrap_or_default();
                ui.label(RichText::new(format!("{:.1} s {name}: {why}", key.time_s)).small());
                if ui.small_button("Play").clicked() {
                    ed.audition(*key);
                }
                if ui.small_button("Remove").clicked() {
                    remove_examples(ed, &[*key], |_| String::new());
                }
            });
        }
        if q.doubts.len() > 8 {
            ui.label(format!("and {} more", q.doubts.len() - 8));
        }
    }
    if e.advice.is_empty() {
        ui.label("No advice: the classes are well separated.");
    } else {
        for advice in e.advice.iter().take(4) {
            ui.label(RichText::new(format!("- {advice}")).small());
        }
    }
}

/// Shortens a class name for the matrix headers.
fn short(name: &str) -> String {
    name.chars().take(6).collect()
}

/// Has the worker delete the examples `keys` name (those still there) and retrain;
/// `message(n)` says what happened when `n` went (empty: nothing to say).
fn remove_examples(
    ed: &mut TimbrelEditor,
    keys: &[ExampleKey],
    message: impl FnOnce(usize) -> String + Send + 'static,
) {
    let keys = keys.to_vec();
    if ed.selected.is_some_and(|selected| keys.contains(&selected)) {
        ed.selected = None;
    }
    ed.commands().send(Command::Edit(Box::new(move |data| {
        let mut removed = 0;
        for key in &keys {
            if let Some(i) = key.find(data) {
                if data.remove_example(i).is_ok() {
                    removed += 1;
                }
            }
        }
        if removed > 0 {
            Ok(message(removed))
        } else {
            Err(String::new())
        }
    })));
}

/// The selected hit: details, play, relabel, delete.
pub(super) fn selected_panel(ui: &mut egui::Ui, ed: &mut TimbrelEditor) {
    ui.label(RichText::new("Selected hit").strong());
    let Some(key) = ed.selected else {
        ui.label("Click a hit on the map to select it.");
        return;
    };
    let (example, classes) = {
        let project = ed.shared.params.dataset.project();
        let data = &project.dataset;
        let example = key
            .find(data)
            .map(|i| (i, data.examples[i].class, data.examples[i].level_dbfs));
        (example, data.classes.clone())
    };
    let Some((_index, class, level)) = example else {
        ed.selected = None;
        return;
    };
    ui.label(format!(
        "{} hit at {:.2} s, {level:.1} dBFS",
        classes[class].name, key.time_s
    ));
    ui.horizontal(|ui| {
        if ui
            .button("Play")
            .on_hover_text("Hear it through the plugin's output")
            .clicked()
        {
            ed.audition(key);
        }
        if ui
            .button("Delete")
            .on_hover_text("Remove it from the training set and retrain")
            .clicked()
        {
            remove_examples(ed, &[key], |_| {
                "Deleted the selected hit; retraining.".to_owned()
            });
        }
    });
    ui.horizontal(|ui| {
        ui.label("Relabel as");
        let mut new_class = class;
        egui::ComboBox::from_id_salt("relabel")
            .selected_text(classes[class].name.clone())
            .show_ui(ui, |ui| {
                for (i, c) in classes.iter().enumerate() {
                    ui.selectable_value(&mut new_class, i, c.name.clone());
                }
            });
        if new_class != class {
            let name = classes[new_class].name.clone();
            ed.commands().send(Command::Edit(Box::new(move |data| {
                // The example is found again by its key: indices shift with edits.
                let index = key.find(data).ok_or_else(String::new)?;
                data.relabel_example(index, new_class)
                    .map(|_| format!("Relabelled as {name}; retraining."))
                    .map_err(|_| String::new())
            })));
            ed.selected = Some(ExampleKey {
                class: new_class,
                ..key
            });
        }
    });
}
