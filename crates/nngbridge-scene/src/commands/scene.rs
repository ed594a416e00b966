//! `scene.*`: the current scene's frames, fps, render resolution, any RNA property, and
//! custom properties.

use serde::Deserialize;

use super::Properties;
use crate::wire::Value;

/// A scene's frame range and render settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SceneInfo {
    /// Scene name.
    pub name: String,
    /// Current frame.
    pub frame_current: i64,
    /// First frame.
    pub frame_start: i64,
    /// Last frame.
    pub frame_end: i64,
    /// Frames per second.
    pub fps: f64,
    /// Render resolution.
    pub resolution: [u32; 2],
    /// Render resolution percentage.
    pub resolution_percentage: u32,
}

command! {
    /// `scene.get`: the current scene's frames, fps and resolution.
    #[derive(Default)]
    pub struct SceneGet => "scene.get" -> SceneInfo {}
}

command! {
    /// `scene.set`: only the given fields change; all are checked before any is applied.
    #[derive(Default)]
    pub struct SceneSet => "scene.set" -> SceneInfo {
        /// Current frame.
        pub frame_current: Option<i64>,
        /// First frame.
        pub frame_start: Option<i64>,
        /// Last frame.
        pub frame_end: Option<i64>,
        /// Frames per second.
        pub fps: Option<u32>,
        /// Render resolution.
        pub resolution: Option<[u32; 2]>,
        /// Render resolution percentage.
        pub resolution_percentage: Option<u32>,
        /// Any scene RNA properties by path (`render.engine`, `cycles.samples`).
        pub properties: Option<Properties>,
    }
}

command! {
    /// `scene.property_get`: a custom property of the scene.
    pub struct ScenePropertyGet => "scene.property_get" -> Value {
        /// The custom property.
        pub name: String,
    }
}

command! {
    /// `scene.property_set`: sets a custom property of the scene.
    pub struct ScenePropertySet => "scene.property_set" -> Value {
        /// The custom property.
        pub name: String,
        /// Its value.
        pub value: Value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;

    #[test]
    fn scene_args_encode_as_the_add_on_expects() {
        let set = args(&SceneSet {
            frame_current: Some(5),
            ..Default::default()
        });
        assert_eq!(set, map(vec![("frame_current", 5.into())]));
        let set = args(&SceneSet {
            resolution: Some([32, 24]),
            properties: Some([("render.engine".to_owned(), Value::from("CYCLES"))].into()),
            ..Default::default()
        });
        assert_eq!(keys(&set), ["resolution", "properties"]);
        assert_eq!(
            set["properties"],
            map(vec![("render.engine", "CYCLES".into())])
        );
        assert_eq!(
            args(&ScenePropertySet {
                name: "n".into(),
                value: Value::from(3)
            }),
            map(vec![("name", "n".into()), ("value", 3.into())])
        );
        assert_eq!(
            args(&ScenePropertyGet { name: "n".into() }),
            map(vec![("name", "n".into())])
        );
    }
}
