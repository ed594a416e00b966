//! `pointcloud.*`: point clouds as binary arrays (docs/protocol.md §5, §11 pointcloud):
//! positions, radius and generic attributes on the `POINT` domain.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::commands::MeshAttribute;
use crate::wire::Array;

/// What `pointcloud.get` reads (its `include` list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PointCloudPart {
    /// `positions` f4 `[points, 3]`.
    Positions,
    /// `radius` f4 `[points]`.
    Radius,
}

/// Element counts of a point cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct PointCloudCounts {
    /// Points.
    pub points: u64,
}

/// The result of `pointcloud.get`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PointCloudData {
    /// The point cloud datablock (the object's, when read through an object).
    pub pointcloud: String,
    /// The object it was read through, if any.
    pub object: Option<String>,
    /// Whether modifiers were applied.
    pub evaluated: bool,
    /// Element counts.
    pub counts: PointCloudCounts,
    /// `positions`, `radius`: what was included.
    pub arrays: BTreeMap<String, Array>,
    /// Attributes by name.
    pub attributes: BTreeMap<String, MeshAttribute>,
}

/// The result of `pointcloud.create` and `pointcloud.set`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PointCloudInfo {
    /// The datablock's name.
    pub pointcloud: String,
    /// The object made for it (`pointcloud.create` with `object`).
    pub object: Option<String>,
    /// Element counts.
    pub counts: PointCloudCounts,
}

command! {
    /// `pointcloud.get`: a point cloud as arrays, of a datablock (`pointcloud`) or a point
    /// cloud object (`object`, with its modifiers applied when `evaluated`).
    #[derive(Default)]
    pub struct PointCloudGet => "pointcloud.get" -> PointCloudData {
        /// A point cloud object (give this or `pointcloud`).
        pub object: Option<String>,
        /// A point cloud datablock.
        pub pointcloud: Option<String>,
        /// What to read (default: positions).
        pub include: Option<Vec<PointCloudPart>>,
        /// Attributes to read, by name.
        pub attributes: Option<Vec<String>>,
        /// Apply the object's modifiers.
        pub evaluated: Option<bool>,
    }
}

command! {
    /// `pointcloud.create`: a new point cloud from arrays, optionally with an object
    /// using it (withdrawn where Blender's Python API cannot give one points).
    pub struct PointCloudCreate => "pointcloud.create" -> PointCloudInfo {
        /// The datablock's name.
        pub name: String,
        /// f4 `[points, 3]`.
        pub positions: Array,
        /// f4 `[points]`.
        pub radius: Option<Array>,
        /// Attributes by name (domain `POINT`).
        pub attributes: Option<BTreeMap<String, MeshAttribute>>,
        /// Make an object of this name using the point cloud.
        pub object: Option<String>,
        /// The object's collection (default: the scene's; made if missing).
        pub collection: Option<String>,
    }
}

command! {
    /// `pointcloud.set`: a new point cloud (positions of another count; name, users,
    /// materials and custom properties kept), or arrays written in place.
    #[derive(Default)]
    pub struct PointCloudSet => "pointcloud.set" -> PointCloudInfo {
        /// The datablock.
        pub name: String,
        /// f4 `[points, 3]`.
        pub positions: Option<Array>,
        /// f4 `[points]`.
        pub radius: Option<Array>,
        /// Attributes by name.
        pub attributes: Option<BTreeMap<String, MeshAttribute>>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;

    #[test]
    fn pointcloud_args_encode_as_the_add_on_expects() {
        let set = args(&PointCloudSet {
            name: "P".into(),
            radius: Some(Array::from_f32(vec![2], &[0.5, 1.0])),
            ..Default::default()
        });
        assert_eq!(keys(&set), ["name", "radius"]);
        let got: PointCloudInfo = result(&map(vec![
            ("pointcloud", "P".into()),
            ("object", crate::Value::Nil),
            ("counts", map(vec![("points", 2.into())])),
        ]));
        assert_eq!(got.counts.points, 2);
    }
}
