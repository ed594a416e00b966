//! `mask.*`: masks, layers, splines of points with handles, keyframed layer visibility
//! and bounds. Coordinates are clip pixels by default ([`Space::Pixels`], for masks made
//! for a clip or with a size), or Blender's normalized mask space.

use serde::{Deserialize, Serialize};

use super::{DeletedOne, Properties};

/// The coordinate space of points and bounds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Space {
    /// Pixels of the mask's frame (needs a mask made with `clip` or `size`).
    #[default]
    Pixels,
    /// Blender's mask space: normalized to the frame, the shorter side's axis scaled
    /// about 0.5 by the aspect ratio.
    Normalized,
}

/// A Bezier handle type of a mask point.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HandleType {
    /// Computed smooth handles.
    #[default]
    Auto,
    /// Handles pointing at the neighbours (corners).
    Vector,
    /// Aligned handles.
    Aligned,
    /// Aligned on both sides (Blender's `ALIGNED_DOUBLESIDE`).
    AlignedDoubleside,
    /// Free handles.
    Free,
}

/// A mask point as the add-on describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MaskPoint {
    /// The point.
    pub co: [f64; 2],
    /// Left handle.
    pub handle_left: [f64; 2],
    /// Right handle.
    pub handle_right: [f64; 2],
    /// Left handle type.
    pub handle_left_type: HandleType,
    /// Right handle type.
    pub handle_right_type: HandleType,
}

/// One spline's points (in `mask.layers` with `points: true`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MaskSplinePoints {
    /// Closed or open.
    pub cyclic: bool,
    /// Its points.
    pub points: Vec<MaskPoint>,
}

/// A mask layer's description.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MaskLayer {
    /// Layer name.
    pub name: String,
    /// Hidden now (viewport).
    pub hide: bool,
    /// Number of splines.
    pub splines: u32,
    /// `(frame, visible)` visibility keyframes, when the layer's visibility is animated.
    #[serde(default)]
    pub visibility_keys: Option<Vec<(i64, bool)>>,
    /// The splines' points (only from `mask.layers` with `points: true`).
    #[serde(default)]
    pub spline_points: Option<Vec<MaskSplinePoints>>,
}

/// The result of `mask.create`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MaskCreated {
    /// The mask's name.
    pub name: String,
    /// Its frame size `[w, h]` in pixels, if it has one.
    pub size: Option<[f64; 2]>,
}

command! {
    /// `mask.create`: a new mask; `clip` (or `size`) sets the frame size used for pixel
    /// coordinates.
    #[derive(Default)]
    pub struct MaskCreate => "mask.create" -> MaskCreated {
        /// The mask's name.
        pub name: String,
        /// A clip whose size becomes the mask's frame size.
        pub clip: Option<String>,
        /// A frame size `[w, h]` in pixels (ignored when `clip` is given).
        pub size: Option<[f64; 2]>,
    }
}

/// One mask in `mask.list`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MaskSummary {
    /// Name.
    pub name: String,
    /// Frame size `[w, h]`, if any.
    pub size: Option<[f64; 2]>,
    /// Layer names.
    pub layers: Vec<String>,
}

/// The result of `mask.list`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MaskListing {
    /// Every mask.
    pub masks: Vec<MaskSummary>,
}

command! {
    /// `mask.list`: every mask.
    #[derive(Default)]
    pub struct MaskList => "mask.list" -> MaskListing {}
}

/// The result of `mask.layers`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MaskLayerListing {
    /// The layers, in order.
    pub layers: Vec<MaskLayer>,
}

command! {
    /// `mask.layers`: a mask's layers, with their splines' points when `points`.
    #[derive(Default)]
    pub struct MaskLayers => "mask.layers" -> MaskLayerListing {
        /// The mask.
        pub name: String,
        /// Include the points (default false).
        pub points: Option<bool>,
        /// Space of the points (default pixels; normalized for masks without a size).
        pub space: Option<Space>,
    }
}

command! {
    /// `mask.add_layer`: a new layer; with `visible_frames` it is keyed visible on exactly
    /// those frames (hidden on the frames around them).
    #[derive(Default)]
    pub struct MaskAddLayer => "mask.add_layer" -> MaskLayer {
        /// The mask.
        pub name: String,
        /// The new layer's name.
        pub layer: String,
        /// Frames on which the layer is visible (keyed).
        pub visible_frames: Option<Vec<i64>>,
    }
}

command! {
    /// One point of a new spline. Handles default to `AUTO`, or `FREE` where a handle
    /// position is given; `handle_type` sets both sides, `handle_left_type` /
    /// `handle_right_type` one side each.
    #[derive(Default)]
    pub struct SplinePoint {
        /// The point.
        pub co: [f64; 2],
        /// Left handle position.
        pub handle_left: Option<[f64; 2]>,
        /// Right handle position.
        pub handle_right: Option<[f64; 2]>,
        /// Both handles' type.
        pub handle_type: Option<HandleType>,
        /// Left handle type.
        pub handle_left_type: Option<HandleType>,
        /// Right handle type.
        pub handle_right_type: Option<HandleType>,
    }
}

impl SplinePoint {
    /// A point at `co` with default (`AUTO`) handles.
    pub fn at(co: [f64; 2]) -> SplinePoint {
        SplinePoint {
            co,
            ..Default::default()
        }
    }

    /// A point at `co` with both handles of type `kind` (e.g. `VECTOR` for corners).
    pub fn with_handles(co: [f64; 2], kind: HandleType) -> SplinePoint {
        SplinePoint {
            co,
            handle_type: Some(kind),
            ..Default::default()
        }
    }
}

/// The result of `mask.add_spline`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SplineAdded {
    /// The layer.
    pub layer: String,
    /// The new spline's index in the layer.
    pub spline: u32,
    /// Its points as stored (handles computed), in the requested space.
    pub points: Vec<MaskPoint>,
}

command! {
    /// `mask.add_spline`: a spline of `points`. All points are checked first.
    #[derive(Default)]
    pub struct MaskAddSpline => "mask.add_spline" -> SplineAdded {
        /// The mask.
        pub name: String,
        /// The layer.
        pub layer: String,
        /// At least one point.
        pub points: Vec<SplinePoint>,
        /// Closed (default true).
        pub cyclic: Option<bool>,
        /// Space of the points (default pixels).
        pub space: Option<Space>,
    }
}

/// The result of `mask.key_spline`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SplineKeyed {
    /// The layer.
    pub layer: String,
    /// The spline's index in the layer.
    pub spline: u32,
    /// The frame keyed.
    pub frame: i64,
    /// Its points as keyed (handles computed), in the requested space.
    pub points: Vec<MaskPoint>,
}

command! {
    /// `mask.key_spline`: moves a spline's points to `points` (as many as it has) and
    /// keyframes their positions and handles at `frame`, so the spline's shape is animated
    /// on one layer; `AUTO`/`VECTOR` handles are recomputed first.
    #[derive(Default)]
    pub struct MaskKeySpline => "mask.key_spline" -> SplineKeyed {
        /// The mask.
        pub name: String,
        /// The layer.
        pub layer: String,
        /// Scene frame to key.
        pub frame: i64,
        /// The spline's points at that frame.
        pub points: Vec<SplinePoint>,
        /// The spline's index in the layer (default 0).
        pub spline: Option<u32>,
        /// Space of the points (default pixels).
        pub space: Option<Space>,
    }
}

command! {
    /// `mask.layer_visibility_key`: keys the layer's visibility (viewport and render) at
    /// `frame`.
    pub struct MaskLayerVisibilityKey => "mask.layer_visibility_key" -> MaskLayer {
        /// The mask.
        pub name: String,
        /// The layer.
        pub layer: String,
        /// Scene frame.
        pub frame: i64,
        /// Visible from that key on.
        pub visible: bool,
    }
}

command! {
    /// `mask.layer_set`: sets layer RNA properties (`alpha`, `blend`, `invert`,
    /// `falloff`, `hide`, ...), all checked before any is applied.
    pub struct MaskLayerSet => "mask.layer_set" -> MaskLayer {
        /// The mask.
        pub name: String,
        /// The layer.
        pub layer: String,
        /// `{property: value}`.
        pub properties: Properties,
    }
}

/// A bounding box.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Bounds {
    /// Lower-left corner.
    pub min: [f64; 2],
    /// Upper-right corner.
    pub max: [f64; 2],
    /// The layers measured.
    pub layers: Vec<String>,
}

command! {
    /// `mask.bounds`: the box around the curves (handles followed) of one layer, or of
    /// every layer visible at `frame` (default: visible now).
    #[derive(Default)]
    pub struct MaskBounds => "mask.bounds" -> Bounds {
        /// The mask.
        pub name: String,
        /// One layer (default: the visible ones).
        pub layer: Option<String>,
        /// The frame whose visibility and keyframed points count.
        pub frame: Option<i64>,
        /// Space of the result (default pixels).
        pub space: Option<Space>,
    }
}

command! {
    /// `mask.delete`: deletes a mask.
    pub struct MaskDelete => "mask.delete" -> DeletedOne {
        /// The mask.
        pub name: String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;
    use crate::Value;

    fn pair(x: f64, y: f64) -> Value {
        Value::Array(vec![x.into(), y.into()])
    }

    #[test]
    fn mask_args_encode_as_the_add_on_expects() {
        assert_eq!(
            args(&MaskCreate {
                name: "M".into(),
                size: Some([64.0, 48.0]),
                ..Default::default()
            }),
            map(vec![("name", "M".into()), ("size", pair(64.0, 48.0))])
        );
        let spline = args(&MaskAddSpline {
            name: "M".into(),
            layer: "L".into(),
            points: vec![
                SplinePoint::with_handles([1.0, 2.0], HandleType::AlignedDoubleside),
                SplinePoint {
                    co: [3.0, 4.0],
                    handle_left: Some([3.0, 5.0]),
                    ..Default::default()
                },
            ],
            cyclic: Some(false),
            space: Some(Space::Normalized),
        });
        assert_eq!(
            spline,
            map(vec![
                ("name", "M".into()),
                ("layer", "L".into()),
                (
                    "points",
                    Value::Array(vec![
                        map(vec![
                            ("co", pair(1.0, 2.0)),
                            ("handle_type", "ALIGNED_DOUBLESIDE".into())
                        ]),
                        map(vec![
                            ("co", pair(3.0, 4.0)),
                            ("handle_left", pair(3.0, 5.0))
                        ]),
                    ])
                ),
                ("cyclic", false.into()),
                ("space", "normalized".into()),
            ])
        );
        let layer = args(&MaskAddLayer {
            name: "M".into(),
            layer: "F1".into(),
            visible_frames: Some(vec![1, 2]),
        });
        assert_eq!(
            layer["visible_frames"],
            Value::Array(vec![1.into(), 2.into()])
        );
        let key = args(&MaskLayerVisibilityKey {
            name: "M".into(),
            layer: "L".into(),
            frame: 4,
            visible: true,
        });
        assert_eq!(keys(&key), ["name", "layer", "frame", "visible"]);
        let set = args(&MaskLayerSet {
            name: "M".into(),
            layer: "L".into(),
            properties: [("alpha".to_owned(), Value::from(0.5))].into(),
        });
        assert_eq!(set["properties"], map(vec![("alpha", 0.5.into())]));
        let b = args(&MaskBounds {
            name: "M".into(),
            frame: Some(3),
            ..Default::default()
        });
        assert_eq!(b, map(vec![("name", "M".into()), ("frame", 3.into())]));
        let l = args(&MaskLayers {
            name: "M".into(),
            points: Some(true),
            space: Some(Space::Pixels),
        });
        assert_eq!(l["space"], Value::from("pixels"));
        assert_eq!(
            args(&MaskDelete { name: "M".into() }),
            map(vec![("name", "M".into())])
        );
    }

    #[test]
    fn mask_results_decode() {
        let layer: MaskLayer = result(&map(vec![
            ("name", "F2".into()),
            ("hide", true.into()),
            ("splines", 1.into()),
            (
                "visibility_keys",
                Value::Array(vec![Value::Array(vec![2.into(), true.into()])]),
            ),
        ]));
        assert_eq!(layer.visibility_keys, Some(vec![(2, true)]));
        assert!(layer.spline_points.is_none());
        let made: MaskCreated = result(&map(vec![("name", "M".into()), ("size", Value::Nil)]));
        assert_eq!(made.size, None);
        let p: MaskPoint = result(&map(vec![
            ("co", pair(1.0, 2.0)),
            ("handle_left", pair(1.0, 2.0)),
            ("handle_right", pair(1.0, 2.0)),
            ("handle_left_type", "ALIGNED_DOUBLESIDE".into()),
            ("handle_right_type", "VECTOR".into()),
        ]));
        assert_eq!(p.handle_left_type, HandleType::AlignedDoubleside);
    }
}
