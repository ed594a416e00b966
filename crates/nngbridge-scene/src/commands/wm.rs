//! `wm.*`: Blender's progress indicator, shown and cleared by clients during long
//! client-driven work.

use serde::{Deserialize, Serialize};

/// The arguments of `wm.progress`: `value` is required and `nil` (None) clears.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WmProgress {
    /// Progress in 0..1, or `None` (sent as `nil`) to clear it.
    pub value: Option<f64>,
}

/// The result of `wm.progress`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Progress {
    /// The progress shown now (`None`: none).
    pub value: Option<f64>,
}

impl super::Command for WmProgress {
    const NAME: &'static str = "wm.progress";
    type Output = Progress;
    const ARGS: &'static [super::ArgInfo] = &[("value", "f64", true)];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;
    use crate::Value;

    #[test]
    fn progress_sends_nil_to_clear() {
        assert_eq!(
            args(&WmProgress { value: Some(0.25) }),
            map(vec![("value", 0.25.into())])
        );
        assert_eq!(
            args(&WmProgress { value: None }),
            map(vec![("value", Value::Nil)])
        );
    }
}
