//! `gpencil.*`: annotations (Blender's legacy grease pencil data that scenes and clips
//! carry): create and attach, layers, frames, strokes.

use serde::{Deserialize, Serialize};

use super::Named;
use crate::wire::Array;

/// What `gpencil.create` attaches new annotations to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Attach {
    /// The current scene's annotations.
    Scene,
    /// A clip's annotations (needs `clip`).
    Clip,
}

command! {
    /// `gpencil.create`: new annotation data, optionally attached to the scene or a clip.
    #[derive(Default)]
    pub struct GpencilCreate => "gpencil.create" -> Named {
        /// The name.
        pub name: String,
        /// What to attach it to (default: nothing).
        pub attach: Option<Attach>,
        /// The clip, for [`Attach::Clip`].
        pub clip: Option<String>,
    }
}

/// One annotation data-block in `gpencil.list`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AnnotationSummary {
    /// Name.
    pub name: String,
    /// Layer names.
    pub layers: Vec<String>,
}

/// The result of `gpencil.list`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AnnotationListing {
    /// Every annotation data-block.
    pub annotations: Vec<AnnotationSummary>,
}

command! {
    /// `gpencil.list`: every annotation data-block.
    #[derive(Default)]
    pub struct GpencilList => "gpencil.list" -> AnnotationListing {}
}

/// An annotation layer's description.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AnnotationLayer {
    /// Layer name.
    pub name: String,
    /// Hidden.
    pub hide: bool,
    /// RGB colour.
    pub color: [f64; 3],
    /// Line thickness (1..10).
    pub thickness: u32,
    /// Frame numbers that have strokes.
    pub frames: Vec<i64>,
}

/// The result of `gpencil.layers`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AnnotationLayerListing {
    /// The layers.
    pub layers: Vec<AnnotationLayer>,
}

command! {
    /// `gpencil.layers`: an annotation's layers.
    pub struct GpencilLayers => "gpencil.layers" -> AnnotationLayerListing {
        /// The annotation data.
        pub name: String,
    }
}

command! {
    /// `gpencil.add_layer`: a new annotation layer.
    #[derive(Default)]
    pub struct GpencilAddLayer => "gpencil.add_layer" -> AnnotationLayer {
        /// The annotation data.
        pub name: String,
        /// The new layer's name.
        pub layer: String,
        /// RGB colour.
        pub color: Option<[f64; 3]>,
        /// Line thickness 1..10.
        pub thickness: Option<u32>,
    }
}

/// One frame in `gpencil.frames`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AnnotationFrame {
    /// Frame number.
    pub frame: i64,
    /// Number of strokes.
    pub strokes: u32,
}

/// The result of `gpencil.frames`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AnnotationFrames {
    /// The layer's frames.
    pub frames: Vec<AnnotationFrame>,
}

command! {
    /// `gpencil.frames`: a layer's frames and their stroke counts.
    pub struct GpencilFrames => "gpencil.frames" -> AnnotationFrames {
        /// The annotation data.
        pub name: String,
        /// The layer.
        pub layer: String,
    }
}

/// The result of `gpencil.add_stroke`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StrokeAdded {
    /// The frame.
    pub frame: i64,
    /// The new stroke's index in the frame.
    pub stroke: u32,
    /// Its number of points.
    pub points: u32,
}

command! {
    /// `gpencil.add_stroke`: a stroke on `frame` (created when missing).
    #[derive(Default)]
    pub struct GpencilAddStroke => "gpencil.add_stroke" -> StrokeAdded {
        /// The annotation data.
        pub name: String,
        /// The layer.
        pub layer: String,
        /// The frame.
        pub frame: i64,
        /// `[x, y, z]` points (the add-on also takes `[x, y]`, meaning z = 0).
        pub points: Vec<[f64; 3]>,
        /// One pressure per point (default 1).
        pub pressure: Option<Vec<f64>>,
        /// Closed (default false).
        pub cyclic: Option<bool>,
    }
}

/// One stroke in `gpencil.strokes`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Stroke {
    /// Closed (absent from Blender 4.3 on, whose annotation strokes have no such flag).
    #[serde(default)]
    pub cyclic: Option<bool>,
    /// Points, `f4 [n, 3]`.
    pub co: Array,
    /// Pressures, `f4 [n]` (absent from Blender 4.3 on).
    #[serde(default)]
    pub pressure: Option<Array>,
}

/// The result of `gpencil.strokes`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Strokes {
    /// The frame's strokes.
    pub strokes: Vec<Stroke>,
}

command! {
    /// `gpencil.strokes`: a frame's strokes, points as binary arrays.
    pub struct GpencilStrokes => "gpencil.strokes" -> Strokes {
        /// The annotation data.
        pub name: String,
        /// The layer.
        pub layer: String,
        /// The frame.
        pub frame: i64,
    }
}

command! {
    /// `gpencil.delete_frame`: removes a frame and its strokes.
    pub struct GpencilDeleteFrame => "gpencil.delete_frame" -> AnnotationLayer {
        /// The annotation data.
        pub name: String,
        /// The layer.
        pub layer: String,
        /// The frame.
        pub frame: i64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;
    use crate::Value;

    #[test]
    fn gpencil_args_encode_as_the_add_on_expects() {
        let c = args(&GpencilCreate {
            name: "N".into(),
            attach: Some(Attach::Clip),
            clip: Some("C".into()),
        });
        assert_eq!(
            c,
            map(vec![
                ("name", "N".into()),
                ("attach", "CLIP".into()),
                ("clip", "C".into())
            ])
        );
        let s = args(&GpencilAddStroke {
            name: "N".into(),
            layer: "L".into(),
            frame: 5,
            points: vec![[0.0, 1.0, 0.0]],
            pressure: Some(vec![0.5]),
            ..Default::default()
        });
        assert_eq!(keys(&s), ["name", "layer", "frame", "points", "pressure"]);
        assert_eq!(
            s["points"],
            Value::Array(vec![Value::Array(vec![0.0.into(), 1.0.into(), 0.0.into()])])
        );
        let l = args(&GpencilAddLayer {
            name: "N".into(),
            layer: "L".into(),
            thickness: Some(4),
            ..Default::default()
        });
        assert_eq!(l["thickness"], Value::from(4));
    }
}
