//! The auto-zones panel: the free-play take, "Propose zones" with a zone count (or the best
//! split), and for each proposed zone a name (an existing class's name adds to that class) and
//! whether to keep it; "Keep as classes" hands the choices to the worker. The zones themselves
//! are drawn on the map.

use super::widgets::class_color;
use super::{TimbrelEditor, WARN};
use crate::worker::{Command, ZoneRequest};
use crate::zones::{ZoneChoice, ZoneProposal, MAX_ZONES, MIN_TAKE_HITS};
use egui::{Color32, RichText, Sense, Stroke, Vec2};
use timbrel_learn::dataset::PALETTE;
use timbrel_learn::ClassInfo;
use timbrel_map::ClusterCount;

/// What the user has typed and ticked for the shown proposal.
#[derive(Debug, Clone, Default)]
pub(super) struct ZoneEdits {
    /// The proposal these edits belong to.
    id: u64,
    /// Per zone: keep it?
    keep: Vec<bool>,
    /// Per zone: the class name to keep it under.
    names: Vec<String>,
}

impl ZoneEdits {
    /// Fresh edits for `proposal`: every zone kept, named after the class the model heard in it
    /// or "zone N".
    fn for_proposal(proposal: &ZoneProposal, classes: &[ClassInfo]) -> Self {
        let mut names: Vec<String> = Vec::new();
        for (z, zone) in proposal.zones.iter().enumerate() {
            let suggested = zone
                .suggested
                .and_then(|c| classes.get(c))
                .map(|c| c.name.clone())
                .filter(|n| !names.contains(n));
            let name = suggested.unwrap_or_else(|| {
                (z + 1..)
                    .map(|k| format!("zone {k}"))
                    .find(|n| {
                        !names.contains(n)
                            && !classes.iter().any(|c| c.name.eq_ignore_ascii_case(n))
                    })
                    .unwrap_or_default()
            });
            names.push(name);
        }
        Self {
            id: proposal.id,
            keep: vec![true; proposal.zones.len()],
            names,
        }
    }

    /// The choices to send.
    fn choices(&self) -> Vec<ZoneChoice> {
        self.keep
            .iter()
            .zip(&self.names)
            .map(|(&keep, name)| {
                if keep {
                    ZoneChoice::Keep(name.clone())
                } else {
                    ZoneChoice::Skip
                }
            })
            .collect()
    }
}

/// The colour each zone will have once kept: its class's colour when it is named like an
/// existing class, the colour a new class gets otherwise, grey when left out.
pub(super) fn zone_colors(ed: &TimbrelEditor, classes: &[ClassInfo], zones: usize) -> Vec<Color32> {
    let mut next_new = classes.len();
    (0..zones)
        .map(|z| {
            let keep = ed.zone_edits.keep.get(z).copied().unwrap_or(true);
            let name = ed.zone_edits.names.get(z).map_or("", String::as_str).trim();
            if !keep {
                return Color32::GRAY;
            }
            match classes.iter().find(|c| c.name.eq_ignore_ascii_case(name)) {
                Some(c) => class_color(c.color),
                None => {
                    let c = PALETTE[next_new % PALETTE.len()];
                    next_new += 1;
                    class_color(c)
                }
            }
        })
        .collect()
}

/// The name zone `z` will be kept under ("left out" when it is not kept).
pub(super) fn zone_label(ed: &TimbrelEditor, z: usize) -> String {
    match (ed.zone_edits.keep.get(z), ed.zone_edits.names.get(z)) {
        (Some(true), Some(name)) => name.trim().to_owned(),
        (Some(false), _) => format!("zone {} (left out)", z + 1),
        _ => format!("zone {}", z + 1),
    }
}

/// Draws the panel.
pub(super) fn zones_panel(ui: &mut egui::Ui, ed: &mut TimbrelEditor) {
    let (take, proposal, status) = {
        let state = ed.shared.view.load();
        (state.take, state.zones.clone(), state.zone_status.clone())
    };
    let classes = ed.shared.params.dataset.project().dataset.classes.clone();
    if let Some(p) = &proposal {
        if p.id != ed.zone_edits.id || ed.zone_edits.keep.len() != p.zones.len() {
            ed.zone_edits = ZoneEdits::for_proposal(p, &classes);
        }
    }

    ui.label(RichText::new("Auto-zones").strong())
        .on_hover_text(
            "Play freely with no class armed: Timbrel groups the hits by sound and proposes \
         classes. Name the zones you want and keep them.",
        );
    let mut request = None;
    ui.horizontal(|ui| {
        let text = if take.hits == 0 {
            "Free-play take: no hits yet".to_owned()
        } else {
            format!(
                "Free-play take: {} hits ({:.1}–{:.1} s)",
                take.hits, take.first_s, take.last_s
            )
        };
        ui.label(text).on_hover_text(
            "Hits played while no class is armed (the most recent 512). They are not saved.",
        );
        if ui
            .add_enabled(take.hits > 0, egui::Button::new("Clear"))
            .on_hover_text("Forget the take's hits and start a new take")
            .clicked()
        {
            request = Some(ZoneRequest::ClearTake);
        }
    });
    ui.horizontal(|ui| {
        let label = |k: usize| {
            if k == 0 {
                "best split".to_owned()
            } else {
                format!("{k} zones")
            }
        };
        egui::ComboBox::from_id_salt("zone-count")
            .selected_text(label(ed.zone_count))
            .width(92.0)
            .show_ui(ui, |ui| {
                for k in std::iter::once(0).chain(2..=MAX_ZONES) {
                    ui.selectable_value(&mut ed.zone_count, k, label(k));
                }
            })
            .response
            .on_hover_text("How many zones: a number, or the split whose zones are most distinct");
        let enough = take.hits >= MIN_TAKE_HITS;
        if ui
            .add_enabled(enough, egui::Button::new("Propose zones"))
            .on_hover_text("Group the take's hits by sound and show the groups on the map")
            .on_disabled_hover_text(format!("Play at least {MIN_TAKE_HITS} hits first"))
            .clicked()
        {
            let count = match ed.zone_count {
                0 => ClusterCount::AUTO,
                k => ClusterCount::Fixed(k),
            };
            request = Some(ZoneRequest::Propose(count));
        }
    });

    if let Some(p) = &proposal {
        let colors = zone_colors(ed, &classes, p.zones.len());
        egui::Grid::new("zones")
            .num_columns(4)
            .spacing([6.0, 3.0])
            .show(ui, |ui| {
                for (z, zone) in p.zones.iter().enumerate() {
                    ui.horizontal(|ui| {
                        let (rect, _) = ui.allocate_exact_size(Vec2::splat(12.0), Sense::hover());
                        ui.painter()
                            .circle_stroke(rect.center(), 4.5, Stroke::new(2.0, colors[z]));
                        ui.checkbox(&mut ed.zone_edits.keep[z], "")
                            .on_hover_text("Keep this zone");
                    });
                    let keep = ed.zone_edits.keep[z];
                    ui.add_enabled_ui(keep, |ui| {
                        ui.add_sized(
                            [100.0, 20.0],
                            egui::TextEdit::singleline(&mut ed.zone_edits.names[z]),
                        )
                    })
                    .inner
                    .on_hover_text(
                        "Class to keep it as: the name of an existing class adds to it, \
                         a new name makes a class",
                    );
                    ui.menu_button("…", |ui| {
                        for class in &classes {
                            if ui.button(&class.name).clicked() {
                                ed.zone_edits.names[z] = class.name.clone();
                                ed.zone_edits.keep[z] = true;
                                ui.close();
                            }
                        }
                    })
                    .response
                    .on_hover_text("Add it to an existing class");
                    ui.label(format!("{} hits", zone.hits))
                        .on_hover_text(format!("mean level {:.1} dBFS", zone.level_dbfs));
                    ui.end_row();
                }
            });
        if let Some(s) = p.silhouette {
            let verdict = if s >= 0.5 {
                "clearly distinct"
            } else if s >= 0.25 {
                "distinct"
            } else {
                "overlapping: try fewer zones"
            };
            ui.label(format!("Silhouette {s:.2}: zones {verdict}"))
                .on_hover_text(
                    "How much closer hits are to their own zone than to the next (-1 to 1)",
                );
        }
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    ed.zone_edits.keep.iter().any(|&k| k),
                    egui::Button::new("Keep as classes"),
                )
                .on_hover_text("Add the kept zones' hits as training examples and retrain")
                .clicked()
            {
                request = Some(ZoneRequest::Keep {
                    id: p.id,
                    choices: ed.zone_edits.choices(),
                });
            }
            if ui.button("Dismiss").clicked() {
                request = Some(ZoneRequest::Dismiss);
            }
        });
    }
    if let Some(status) = status {
        let (text, color) = match status {
            Ok(text) => (text, ui.visuals().text_color()),
            Err(text) => (format!("Cannot: {text}"), WARN),
        };
        ui.label(RichText::new(text).color(color).small());
    }
    if let Some(request) = request {
        ed.commands().send(Command::Zones(request));
    }
}
