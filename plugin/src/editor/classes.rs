//! The classes panel: add, rename, recolour and remove classes; mark a class "ignore" (the
//! rest of the kit); arm one for training; the train-count limit; undo the last hit; and the
//! interpolation pair.

use super::widgets::{class_color, marker, marker_name};
use super::{TimbrelEditor, ACCENT};
use crate::worker::{Command, DatasetEdit, TrainStatus};
use egui::{RichText, Sense, Stroke, Vec2};
use nice_plug_egui::widgets::ParamSlider;
use timbrel_learn::dataset::PALETTE;
use timbrel_learn::MAX_CLASSES;

/// Draws the classes panel.
pub(super) fn classes_panel(ui: &mut egui::Ui, ed: &mut TimbrelEditor) {
    ui.label(RichText::new("Classes").strong());
    let params = ed.shared.params.clone();
    let armed = params.train.value();
    let (classes, counts, pair) = {
        let project = params.dataset.project();
        let data = &project.dataset;
        (data.classes.clone(), data.counts(), data.pair)
    };
    let armed_hits = ed
        .shared
        .meters
        .armed_hits
        .load(std::sync::atomic::Ordering::Relaxed);
    let mut edit: Option<DatasetEdit> = None;

    egui::Grid::new("classes")
        .num_columns(4)
        .spacing([6.0, 4.0])
        .show(ui, |ui| {
            for (i, class) in classes.iter().enumerate() {
                // Colour (click to change) with the class's map marker.
                let mut rgb = class.color;
                ui.horizontal(|ui| {
                    let (rect, _) = ui.allocate_exact_size(Vec2::splat(14.0), Sense::hover());
                    ui.painter().add(marker(
                        i,
                        rect.center(),
                        5.0,
                        class_color(rgb),
                        Stroke::NONE,
                    ));
                    if ui
                        .color_edit_button_srgb(&mut rgb)
                        .on_hover_text("Change the colour")
                        .changed()
                    {
                        edit = Some(Box::new(move |d| {
                            d.recolour_class(i, rgb)
                                .map(|_| String::new())
                                .map_err(|e| e.to_string())
                        }));
                    }
                });
                // Name: double-click to rename.
                match &mut ed.renaming {
                    Some((which, text)) if *which == i => {
                        let response = ui.add(egui::TextEdit::singleline(text).desired_width(90.0));
                        response.request_focus();
                        if response.lost_focus() {
                            let name = text.clone();
                            ed.renaming = None;
                            if ui.input(|inp| inp.key_pressed(egui::Key::Enter)) {
                                edit = Some(Box::new(move |d| {
                                    d.rename_class(i, &name)
                                        .map(|_| format!("Renamed to {name}."))
                                        .map_err(|e| e.to_string())
                                }));
                            }
                        }
                    }
                    _ => {
                        let pair_mark = if pair.0 == i {
                            " (A)"
                        } else if pair.1 == i {
                            " (B)"
                        } else {
                            ""
                        };
                        let label = ui
                            .add(
                                egui::Label::new(format!("{}{pair_mark}", class.name))
                                    .sense(Sense::click()),
                            )
                            .on_hover_text(format!(
                                "Double-click to rename. Map marker: {}",
                                marker_name(i)
                            ));
                        if label.double_clicked() {
                            ed.renaming = Some((i, class.name.clone()));
                        }
                    }
                }
                ui.horizontal(|ui| {
                    ui.label(format!("{} hits", counts.get(i).copied().unwrap_or(0)));
                    let mut ignore = class.ignore;
                    let in_pair = pair.0 == i || pair.1 == i;
                    let toggle = ui
                        .add_enabled(
                            !in_pair || ignore,
                            egui::Checkbox::new(&mut ignore, "ignore"),
                        )
                        .on_hover_text(
                            "An ignore class: arm it and play the kit without this drum (or \
                             move hits called unknown into it). Hits that sound like it send \
                             no note, CC or output, and show as ignored.",
                        )
                        .on_disabled_hover_text("The interpolation pair is the drum's own");
                    if toggle.changed() {
                        let name = class.name.clone();
                        edit = Some(Box::new(move |d| {
                            d.set_ignore(i, ignore)
                                .map(|_| {
                                    if ignore {
                                        format!(
                                            "{name} is an ignore class: its sounds send nothing."
                                        )
                                    } else {
                                        format!("{name} is a class of the drum again.")
                                    }
                                })
                                .map_err(|e| e.to_string())
                        }));
                    }
                });
                ui.horizontal(|ui| {
                    let is_armed = armed == i as i32 + 1;
                    let label = if is_armed {
                        format!("Stop ({armed_hits})")
                    } else {
                        "Train".to_owned()
                    };
                    let button = egui::Button::new(RichText::new(label).color(if is_armed {
                        egui::Color32::BLACK
                    } else {
                        ui.visuals().text_color()
                    }))
                    .fill(if is_armed {
                        ACCENT
                    } else {
                        ui.visuals().widgets.inactive.bg_fill
                    });
                    if ui
                        .add(button)
                        .on_hover_text("Arm: every hit joins this class until you click again")
                        .clicked()
                    {
                        ed.set(&params.train, if is_armed { 0 } else { i as i32 + 1 });
                    }
                    let removable = classes.len() > 2 && pair.0 != i && pair.1 != i;
                    let remove = ui
                        .add_enabled(removable, egui::Button::new("x").small())
                        .on_hover_text("Remove this class and its hits")
                        .on_disabled_hover_text(
                            "The pair classes and the last two classes cannot be removed",
                        );
                    if remove.clicked() {
                        let name = class.name.clone();
                        edit = Some(Box::new(move |d| {
                            d.remove_class(i)
                                .map(|gone| format!("Removed {name} and its {} hits.", gone.len()))
                                .map_err(|e| e.to_string())
                        }));
                    }
                });
                ui.end_row();
            }
        });

    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                classes.len() < MAX_CLASSES,
                egui::Button::new("+ Add class"),
            )
            .clicked()
        {
            let n = classes.len();
            edit = Some(Box::new(move |d| {
                let name = (n + 1..)
                    .map(|k| format!("class {k}"))
                    .find(|name| d.class_index(name).is_none())
                    .unwrap_or_default();
                d.add_class(&name, PALETTE[n % PALETTE.len()])
                    .map(|_| format!("Added {name}: double-click to rename."))
                    .map_err(|e| e.to_string())
            }));
        }
        let has_examples = counts.iter().any(|&c| c > 0);
        if ui
            .add_enabled(has_examples, egui::Button::new("Undo last hit"))
            .on_hover_text("Remove the most recently recorded hit")
            .clicked()
        {
            edit = Some(Box::new(|d| {
                let last = d
                    .examples
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.time_s.total_cmp(&b.1.time_s))
                    .map(|(i, _)| i);
                match last {
                    Some(i) => d
                        .remove_example(i)
                        .map(|e| format!("Removed the last hit ({:.2} s).", e.time_s))
                        .map_err(|e| e.to_string()),
                    None => Err("no hits to undo".to_owned()),
                }
            }));
        }
        // On this row so that the panels below keep their places.
        if let Some(gui) = &ed.gui {
            let setter = gui.param_setter();
            let mut collect = params.collect_unknowns.value();
            let toggle = ui.checkbox(&mut collect, "Collect unknowns").on_hover_text(
                "While on (and no class is armed), every hit the model calls unknown is \
                     recorded into the ignore class (made if there is none); switch it off to \
                     retrain. Play the kit without this drum for a few seconds.",
            );
            if toggle.changed() {
                setter.begin_set_parameter(&params.collect_unknowns);
                setter.set_parameter(&params.collect_unknowns, collect);
                setter.end_set_parameter(&params.collect_unknowns);
            }
        }
    });
    if let Some(gui) = &ed.gui {
        let setter = gui.param_setter();
        ui.horizontal(|ui| {
            ui.label("Stop training after");
            ui.add(ParamSlider::for_param(&params.train_limit, &setter).with_width(50.0));
            let mut kit = params.train_with_kit.value();
            let toggle = ui.checkbox(&mut kit, "Kit playing").on_hover_text(
                "Train while the rest of the kit plays (a groove with this drum's strokes): \
                 a class's hits much softer than its loud ones and unlike them are taken for \
                 bleed and left out (listed as doubtful, \"bleed?\"). Leave off for one-shots, \
                 where soft strokes of the drum itself are kept.",
            );
            if toggle.changed() {
                setter.begin_set_parameter(&params.train_with_kit);
                setter.set_parameter(&params.train_with_kit, kit);
                setter.end_set_parameter(&params.train_with_kit);
            }
        });
    }
    ui.horizontal(|ui| {
        ui.label("Interpolation A");
        let mut a = pair.0;
        let mut b = pair.1;
        let name = |i: usize| classes.get(i).map_or("?".to_owned(), |c| c.name.clone());
        egui::ComboBox::from_id_salt("pair-a")
            .width(70.0)
            .selected_text(name(a))
            .show_ui(ui, |ui| {
                for i in 0..classes.len() {
                    ui.selectable_value(&mut a, i, name(i));
                }
            });
        ui.label("B");
        egui::ComboBox::from_id_salt("pair-b")
            .width(70.0)
            .selected_text(name(b))
            .show_ui(ui, |ui| {
                for i in 0..classes.len() {
                    ui.selectable_value(&mut b, i, name(i));
                }
            });
        if (a, b) != pair {
            edit = Some(Box::new(move |d| {
                d.set_pair(a, b)
                    .map(|_| String::new())
                    .map_err(|e| e.to_string())
            }));
        }
    });

    let status = ed.shared.view.load().status.clone();
    let text = match status {
        TrainStatus::Untrained => {
            "Not trained yet: click Train on a class and play about 20 hits, soft to loud."
                .to_owned()
        }
        TrainStatus::Training => "Training...".to_owned(),
        TrainStatus::Trained {
            kind,
            examples,
            millis,
            ..
        } => format!("Model: {kind} on {examples} hits ({millis:.0} ms)"),
        TrainStatus::Failed(message) => format!("Not trained: {message}"),
    };
    ui.label(text);

    // The worker applies the edit; the editor shows its outcome when it arrives.
    if let Some(edit) = edit {
        ed.commands().send(Command::Edit(edit));
    }
}
