//! `job.*`: the state, cancellation and list of jobs (long work run in steps by the
//! add-on, docs/protocol.md §10). Job commands (`clip.mean_colors`, `render.*`) answer
//! with a [`super::JobStarted`]; the `job` events carry [`JobInfo`]s too.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::wire::{ErrorBody, Value};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for its first step.
    Queued,
    /// Between steps.
    Running,
    /// Finished; `result` holds its result.
    Done,
    /// Ended with an error (`error`).
    Failed,
    /// Stopped by `job.cancel` (`error.code` is `CANCELLED`).
    Cancelled,
}

impl JobState {
    /// Whether the job has ended (done, failed or cancelled).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Done | JobState::Failed | JobState::Cancelled
        )
    }
}

/// A job's latest state: the result of `job.status` and the data of a `job` event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct JobInfo {
    /// The job id.
    pub job: u64,
    /// The command that started it (`render.still`, ...).
    pub kind: String,
    /// Its state.
    pub state: JobState,
    /// 0..1.
    pub progress: f64,
    /// A human-readable note (may be empty).
    pub message: String,
    /// The result, once `done`; its shape depends on `kind` (see [`JobInfo::result_as`]).
    #[serde(default)]
    pub result: Option<Value>,
    /// Why it failed or that it was cancelled.
    #[serde(default)]
    pub error: Option<ErrorBody>,
}

impl JobInfo {
    /// The result as a typed value (e.g. [`super::RenderedPaths`] for `render.*`,
    /// [`super::MeanColors`] for `clip.mean_colors`); `None` until the job is done or if
    /// the result has another shape.
    pub fn result_as<T: DeserializeOwned>(&self) -> Option<T> {
        self.result.as_ref().and_then(|v| super::from_value(v).ok())
    }
}

command! {
    /// `job.status`: the job's latest state (the last 100 finished jobs are remembered).
    pub struct JobStatus => "job.status" -> JobInfo {
        /// The job id.
        pub job: u64,
    }
}

/// The result of `job.cancel`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct JobCancelled {
    /// False if the job had already ended.
    pub cancelled: bool,
    /// Its state when asked (it stops before its next step).
    pub state: JobState,
}

command! {
    /// `job.cancel`: asks a job to stop before its next step.
    pub struct JobCancel => "job.cancel" -> JobCancelled {
        /// The job id.
        pub job: u64,
    }
}

/// The result of `job.list`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct JobListing {
    /// Active and remembered jobs, oldest first.
    pub jobs: Vec<JobInfo>,
}

command! {
    /// `job.list`: active and remembered jobs, oldest first.
    #[derive(Default)]
    pub struct JobList => "job.list" -> JobListing {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;
    use crate::commands::RenderedPaths;

    #[test]
    fn job_args_encode_and_results_decode() {
        assert_eq!(args(&JobStatus { job: 7 }), map(vec![("job", 7.into())]));
        assert_eq!(args(&JobCancel { job: 7 }), map(vec![("job", 7.into())]));
        assert_eq!(args(&JobList {}), map(vec![]));
        let info: JobInfo = result(&map(vec![
            ("job", 3.into()),
            ("kind", "render.still".into()),
            ("state", "done".into()),
            ("progress", 1.0.into()),
            ("message", "".into()),
            (
                "result",
                map(vec![("paths", Value::Array(vec!["/tmp/a.png".into()]))]),
            ),
        ]));
        assert!(info.state.is_final());
        assert_eq!(
            info.result_as::<RenderedPaths>().map(|r| r.paths),
            Some(vec!["/tmp/a.png".to_owned()])
        );
        let failed: JobInfo = result(&map(vec![
            ("job", 4.into()),
            ("kind", "clip.mean_colors".into()),
            ("state", "cancelled".into()),
            ("progress", 0.5.into()),
            ("message", "".into()),
            (
                "error",
                map(vec![
                    ("code", "CANCELLED".into()),
                    ("message", "cancelled".into()),
                    ("details", Value::Nil),
                ]),
            ),
        ]));
        assert_eq!(
            failed.error.map(|e| e.code),
            Some(crate::ErrorCode::Cancelled)
        );
    }
}
