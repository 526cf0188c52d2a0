//! Training: a training thread fits a model on a copy of the dataset and then evaluates it held
//! out; the worker hands the model to the audio thread (through [`crate::swap`]) and shows the
//! status and the quality in the editor. A restored or imported model is installed as it is and
//! only evaluated.

use super::map_view::ExampleKey;
use super::thread::WorkerLoop;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::time::Instant;
use timbrel_learn::{Dataset, Evaluation, Model, TrainConfig};

/// The held-out evaluation of the current dataset, with the outliers as example keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Quality {
    /// Accuracy, confusion matrix, advice (indices as in the dataset when evaluated).
    pub evaluation: Evaluation,
    /// The outlier examples, with the class they were predicted as when held out.
    pub outliers: Vec<(ExampleKey, usize)>,
    /// Class names at evaluation time, indexed like the confusion matrix.
    pub class_names: Vec<String>,
    /// Examples training finds doubtful (retrigger, grace note, unlike or like another class),
    /// with the reason as a sentence and whether training leaves them out.
    pub doubts: Vec<(ExampleKey, String, bool)>,
}

/// The state of training, for the editor.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum TrainStatus {
    /// No model yet, and no attempt.
    #[default]
    Untrained,
    /// A training thread is running.
    Training,
    /// The last training produced the loaded model.
    Trained {
        /// Which classifier `auto` (or the user) chose, e.g. "Lda".
        kind: String,
        /// Cross-validated accuracy of that classifier (0..1).
        cv_accuracy: f64,
        /// Examples it was trained on.
        examples: usize,
        /// Wall time of the training, in milliseconds.
        millis: f64,
    },
    /// The last training failed; the previous model (if any) stays in use.
    Failed(String),
}

/// What the training thread reports, in order.
#[allow(clippy::large_enum_variant)] // two messages per training; boxing buys nothing
pub(super) enum Trained {
    /// The model (or why there is none), and the wall time in milliseconds.
    Model(Result<Model, String>, f64),
    /// The held-out evaluation that follows a successful training.
    Quality(Result<Quality, String>),
}

impl WorkerLoop {
    /// The training configuration: the worker's, with *Train with kit playing* as the audio
    /// thread last saw it.
    fn train_config(&self) -> TrainConfig {
        TrainConfig {
            kit_playing: self
                .parts
                .meters
                .train_with_kit
                .load(std::sync::atomic::Ordering::Relaxed),
            ..self.parts.config
        }
    }

    /// Starts a training thread on a copy of the dataset (nothing without examples).
    pub(super) fn start_training(&mut self) {
        let data: Dataset = self.project.dataset.clone();
        if data.examples.is_empty() {
            return;
        }
        let config = self.train_config();
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("timbrel-train".into())
            .spawn(move || {
                let started = Instant::now();
                let result = timbrel_learn::train(&data, &config).map_err(|e| e.to_string());
                let ok = result.is_ok();
                if tx
                    .send(Trained::Model(
                        result,
                        started.elapsed().as_secs_f64() * 1000.0,
                    ))
                    .is_err()
                    || !ok
                {
                    return;
                }
                let _ = tx.send(Trained::Quality(quality_of(&data, &config)));
            });
        match spawned {
            Ok(_) => {
                self.training = Some(rx);
                self.view_mut().status = TrainStatus::Training;
            }
            Err(e) => {
                self.view_mut().status =
                    TrainStatus::Failed(format!("could not start training: {e}"))
            }
        }
    }

    /// Takes what the training thread reported, if anything: a model to hand over, or the
    /// quality that follows it.
    pub(super) fn finish_training(&mut self) {
        let Some(rx) = &self.training else { return };
        let (result, millis) = match rx.try_recv() {
            Ok(Trained::Model(result, millis)) => (result, millis),
            Ok(Trained::Quality(quality)) => {
                self.training = None;
                let view = self.view_mut();
                view.evaluating = false;
                view.quality = quality.ok();
                return;
            }
            Err(mpsc::TryRecvError::Empty) => return,
            Err(mpsc::TryRecvError::Disconnected) => {
                self.training = None;
                if self.view().evaluating {
                    self.view_mut().evaluating = false;
                    return;
                }
                (Err("the training thread stopped".to_owned()), 0.0)
            }
        };
        // The thread goes on to evaluate the model: keep listening (a new training waits).
        if result.is_err() {
            self.training = None;
        }
        let status = match result {
            Ok(model) => {
                self.project_mut().model = Some(Arc::new(model.clone()));
                self.hand_over(model, "", millis)
            }
            Err(message) => TrainStatus::Failed(message),
        };
        let handed_over = matches!(status, TrainStatus::Trained { .. });
        self.view_mut().status = status;
        if handed_over {
            self.announce_model();
        }
    }

    /// Publishes everything that led to the model just handed over, then counts it: whoever
    /// sees the count (the editor, a test) sees the dataset it was trained on.
    fn announce_model(&mut self) {
        self.publish();
        self.parts
            .meters
            .models_trained
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Uses a restored or imported model as it is (no retraining, so the outputs are the saved
    /// ones), and evaluates it in the background for the quality panel.
    pub(super) fn install(&mut self, model: Model) {
        self.retrain_requested = false;
        self.training = None;
        let status = self.hand_over(model, " (restored)", 0.0);
        let handed_over = matches!(status, TrainStatus::Trained { .. });
        let view = self.view_mut();
        view.status = status;
        if !handed_over {
            return;
        }
        view.quality = None;
        self.announce_model();
        let data: Dataset = self.project.dataset.clone();
        let config = self.train_config();
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("timbrel-evaluate".into())
            .spawn(move || {
                let _ = tx.send(Trained::Quality(quality_of(&data, &config)));
            });
        match spawned {
            Ok(_) => self.training = Some(rx),
            Err(_) => self.view_mut().evaluating = false,
        }
    }

    /// Sends `model` to the audio thread and shows it in the editor's view (an evaluation
    /// follows); returns the status to show (`kind_suffix` after the classifier's name). The
    /// caller announces it ([`Self::announce_model`]) once the status is set.
    fn hand_over(&mut self, model: Model, kind_suffix: &str, millis: f64) -> TrainStatus {
        let classes = model.classes().to_vec();
        let pair = model.pair();
        let chosen = *model.report().chosen();
        let examples = model.report().examples;
        if self.parts.models.send(Box::new(model)).is_err() {
            return TrainStatus::Failed("the audio thread is not taking models".to_owned());
        }
        let view = self.view_mut();
        view.model_classes = classes;
        view.model_pair = pair;
        view.evaluating = true;
        TrainStatus::Trained {
            kind: format!("{:?}{kind_suffix}", chosen.kind),
            cv_accuracy: chosen.accuracy,
            examples,
            millis,
        }
    }
}

/// Evaluates `data` held out, with the outliers as example keys.
fn quality_of(data: &Dataset, config: &TrainConfig) -> Result<Quality, String> {
    let evaluation = timbrel_learn::evaluate(data, config).map_err(|e| e.to_string())?;
    let outliers = evaluation
        .examples
        .iter()
        .filter(|r| r.outlier)
        .filter_map(|r| {
            data.examples
                .get(r.index)
                .map(|e| (ExampleKey::of(e), r.predicted))
        })
        .collect();
    let class_names: Vec<String> = data.classes.iter().map(|c| c.name.clone()).collect();
    let model = timbrel_learn::train(data, config).map_err(|e| e.to_string())?;
    let doubts = model
        .doubtful()
        .iter()
        .filter_map(|d| {
            let e = data.examples.get(d.index)?;
            let why = match &d.reason {
                timbrel_learn::doubt::Reason::LikeOther { class } => format!(
                    "sounds like {}: wrong label?",
                    class_names.get(*class).map_or("?", |n| n.as_str())
                ),
                r => r.to_string(),
            };
            Some((ExampleKey::of(e), why, d.left_out))
        })
        .collect();
    Ok(Quality {
        evaluation,
        outliers,
        class_names,
        doubts,
    })
}
