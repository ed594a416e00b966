//! `anim.*`: keyframes on any data path of any animatable data-block: insert, list,
//! evaluate, delete. A target is a kind ([`AnimTarget`]) and a name; `data_path` is
//! relative to it (`location`, `layers["L"].hide`, `render.resolution_percentage`,
//! `["custom"]`).

use serde::{Deserialize, Serialize};

/// The kind of data-block a keyframe command addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnimTarget {
    /// `bpy.data.objects`.
    Object,
    /// `bpy.data.scenes`.
    Scene,
    /// `bpy.data.masks`.
    Mask,
    /// `bpy.data.cameras`.
    Camera,
    /// `bpy.data.lights`.
    Light,
    /// `bpy.data.materials`.
    Material,
    /// `bpy.data.worlds`.
    World,
    /// `bpy.data.meshes`.
    Mesh,
    /// `bpy.data.movieclips`.
    Clip,
    /// `bpy.data.collections`.
    Collection,
    /// `bpy.data.node_groups`.
    NodeTree,
    /// `bpy.data.curves`.
    Curve,
    /// `bpy.data.armatures`.
    Armature,
}

/// The interpolation set on an inserted key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Interpolation {
    /// Hold until the next key.
    Constant,
    /// Straight lines.
    Linear,
    /// Smooth (Blender's default).
    Bezier,
}

/// A value to set before keying: a number, a bool, or a whole array.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum KeyValue {
    /// A number (int, float or enum index properties).
    Number(f64),
    /// A bool property.
    Bool(bool),
    /// All items of a number array (with `index` -1).
    Numbers(Vec<f64>),
    /// All items of a bool array (with `index` -1).
    Bools(Vec<bool>),
}

/// One F-curve with its keys.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FCurve {
    /// The animated path.
    pub data_path: String,
    /// The array index it animates (0 for scalars).
    pub index: i64,
    /// `[frame, value]` keys, by frame.
    pub keyframes: Vec<[f64; 2]>,
    /// Each key's interpolation (`CONSTANT`, `LINEAR`, `BEZIER`, or another of
    /// Blender's easing names set elsewhere).
    pub interpolation: Vec<String>,
}

/// The F-curves of a target (result of `anim.keyframes`, `anim.keyframe_insert` and
/// `anim.keyframe_delete`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FCurves {
    /// The F-curves, filtered by `data_path` where one was given.
    pub fcurves: Vec<FCurve>,
}

command! {
    /// `anim.keyframe_insert`: keys `data_path` at `frame` (all of an array's items when `index` is -1,
    /// the default), first setting it to `value` if given.
    pub struct AnimKeyframeInsert => "anim.keyframe_insert" -> FCurves {
        /// The target's kind.
        pub target: AnimTarget,
        /// The target's name.
        pub name: String,
        /// The property path.
        pub data_path: String,
        /// The frame (fractional allowed).
        pub frame: f64,
        /// A value to set first.
        pub value: Option<KeyValue>,
        /// Array index, -1 for all (default -1).
        pub index: Option<i64>,
        /// Interpolation of the new key(s).
        pub interpolation: Option<Interpolation>,
    }
}

command! {
    /// `anim.keyframes`: a target's F-curves with their keys.
    pub struct AnimKeyframes => "anim.keyframes" -> FCurves {
        /// The target's kind.
        pub target: AnimTarget,
        /// The target's name.
        pub name: String,
        /// Only this path.
        pub data_path: Option<String>,
    }
}

/// The result of `anim.evaluate`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Evaluated {
    /// The F-curve's value at the frame.
    pub value: f64,
}

command! {
    /// `anim.evaluate`: the animated value at `frame` without changing the scene's frame.
    pub struct AnimEvaluate => "anim.evaluate" -> Evaluated {
        /// The target's kind.
        pub target: AnimTarget,
        /// The target's name.
        pub name: String,
        /// The property path.
        pub data_path: String,
        /// The frame.
        pub frame: f64,
        /// Array index (default 0).
        pub index: Option<i64>,
    }
}

command! {
    /// `anim.keyframe_delete`: deletes the key(s) at `frame`.
    pub struct AnimKeyframeDelete => "anim.keyframe_delete" -> FCurves {
        /// The target's kind.
        pub target: AnimTarget,
        /// The target's name.
        pub name: String,
        /// The property path.
        pub data_path: String,
        /// The frame.
        pub frame: f64,
        /// Array index, -1 for all (default -1).
        pub index: Option<i64>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;
    use crate::Value;

    #[test]
    fn anim_args_encode_as_the_add_on_expects() {
        let ins = args(&AnimKeyframeInsert {
            target: AnimTarget::NodeTree,
            name: "N".into(),
            data_path: "location".into(),
            frame: 1.0,
            value: Some(KeyValue::Numbers(vec![0.0, 1.0, 2.0])),
            index: None,
            interpolation: Some(Interpolation::Linear),
        });
        assert_eq!(ins["target"], Value::from("node_tree"));
        assert_eq!(ins["frame"], Value::from(1.0));
        assert_eq!(ins["interpolation"], Value::from("LINEAR"));
        assert_eq!(
            ins["value"],
            Value::Array(vec![0.0.into(), 1.0.into(), 2.0.into()])
        );
        assert_eq!(
            keys(&ins),
            [
                "target",
                "name",
                "data_path",
                "frame",
                "value",
                "interpolation"
            ]
        );
        let b = args(&AnimKeyframeInsert {
            target: AnimTarget::Object,
            name: "A".into(),
            data_path: "hide_render".into(),
            frame: 2.0,
            value: Some(KeyValue::Bool(true)),
            index: Some(0),
            interpolation: None,
        });
        assert_eq!(b["value"], Value::from(true));
        assert_eq!(b["index"], Value::from(0));
        let ev = args(&AnimEvaluate {
            target: AnimTarget::Scene,
            name: "Scene".into(),
            data_path: "gravity".into(),
            frame: 6.0,
            index: Some(2),
        });
        assert_eq!(keys(&ev), ["target", "name", "data_path", "frame", "index"]);
        let ks = args(&AnimKeyframes {
            target: AnimTarget::Mask,
            name: "M".into(),
            data_path: None,
        });
        assert_eq!(
            ks,
            map(vec![("target", "mask".into()), ("name", "M".into())])
        );
    }
}
