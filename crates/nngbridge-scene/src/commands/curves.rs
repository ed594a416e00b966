//! `curves.*`: Blender's curves (the `Curves` datablock of hair and geometry nodes) as
//! binary arrays (docs/protocol.md §5, §11 curves): positions, each curve's point count,
//! radius, curve types and generic attributes on the `POINT` and `CURVE` domains.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::commands::MeshAttribute;
use crate::wire::Array;

/// What `curves.get` reads (its `include` list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CurvesPart {
    /// `positions` f4 `[points, 3]`.
    Positions,
    /// `point_counts` i4 `[curves]` and `curve_offsets` i4 `[curves + 1]`.
    Curves,
    /// `radius` f4 `[points]`.
    Radius,
    /// `curve_types` i1 `[curves]` ([`CurveType`] indices).
    Types,
}

/// A curve's type: its index is its value in `curve_types`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i8)]
pub enum CurveType {
    /// 0, Blender's default.
    CatmullRom = 0,
    /// 1.
    Poly = 1,
    /// 2 (handles in the `handle_left`/`handle_right` attributes).
    Bezier = 2,
    /// 3.
    Nurbs = 3,
}

impl CurveType {
    /// `curve_types` i1 `[curves]` holding `types`.
    pub fn array(types: &[CurveType]) -> Array {
        Array {
            dtype: "i1".into(),
            shape: vec![types.len() as u64],
            data: types.iter().map(|t| *t as i8 as u8).collect(),
        }
    }

    /// The types in a `curve_types` array, if it is one.
    pub fn from_array(array: &Array) -> Option<Vec<CurveType>> {
        let all = [Self::CatmullRom, Self::Poly, Self::Bezier, Self::Nurbs];
        if array.dtype != "i1" || array.shape != [array.data.len() as u64] {
            return None;
        }
        array
            .data
            .iter()
            .map(|b| all.get(usize::from(*b)).copied())
            .collect()
    }
}

/// Element counts of curves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct CurvesCounts {
    /// Curves.
    pub curves: u64,
    /// Points, of all curves.
    pub points: u64,
}

/// The result of `curves.get`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CurvesData {
    /// The curves datablock (the object's, when read through an object).
    pub curves: String,
    /// The object it was read through, if any.
    pub object: Option<String>,
    /// Whether modifiers were applied.
    pub evaluated: bool,
    /// Element counts.
    pub counts: CurvesCounts,
    /// `positions`, `point_counts`, `curve_offsets`, `radius`, `curve_types`: what was
    /// included.
    pub arrays: BTreeMap<String, Array>,
    /// Attributes by name (domain `POINT` or `CURVE`).
    pub attributes: BTreeMap<String, MeshAttribute>,
}

/// The result of `curves.create` and `curves.set`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CurvesInfo {
    /// The datablock's name.
    pub curves: String,
    /// The object made for it (`curves.create` with `object`).
    pub object: Option<String>,
    /// Element counts.
    pub counts: CurvesCounts,
}

command! {
    /// `curves.get`: curves as arrays, of a datablock (`curves`) or a curves object
    /// (`object`, with its modifiers applied when `evaluated`).
    #[derive(Default)]
    pub struct CurvesGet => "curves.get" -> CurvesData {
        /// A curves object (give this or `curves`).
        pub object: Option<String>,
        /// A curves datablock.
        pub curves: Option<String>,
        /// What to read (default: positions and curves).
        pub include: Option<Vec<CurvesPart>>,
        /// Attributes to read, by name.
        pub attributes: Option<Vec<String>>,
        /// Apply the object's modifiers.
        pub evaluated: Option<bool>,
    }
}

command! {
    /// `curves.create`: new curves from arrays, optionally with an object using them
    /// (withdrawn where Blender's Python API cannot build curves).
    pub struct CurvesCreate => "curves.create" -> CurvesInfo {
        /// The datablock's name.
        pub name: String,
        /// f4 `[points, 3]`.
        pub positions: Array,
        /// i4 `[curves]`: each curve's points (at least 1), adding up to the points.
        pub point_counts: Array,
        /// f4 `[points]`.
        pub radius: Option<Array>,
        /// i1 `[curves]` ([`CurveType::array`]; default: all Catmull-Rom).
        pub curve_types: Option<Array>,
        /// Attributes by name (domain `POINT` or `CURVE`).
        pub attributes: Option<BTreeMap<String, MeshAttribute>>,
        /// Make an object of this name using the curves.
        pub object: Option<String>,
        /// The object's collection (default: the scene's; made if missing).
        pub collection: Option<String>,
    }
}

command! {
    /// `curves.set`: new curves (with `point_counts`; name, users, materials, surface
    /// and custom properties kept), or arrays written in place.
    #[derive(Default)]
    pub struct CurvesSet => "curves.set" -> CurvesInfo {
        /// The datablock.
        pub name: String,
        /// f4 `[points, 3]`.
        pub positions: Option<Array>,
        /// i4 `[curves]`: a new topology.
        pub point_counts: Option<Array>,
        /// f4 `[points]`.
        pub radius: Option<Array>,
        /// i1 `[curves]`.
        pub curve_types: Option<Array>,
        /// Attributes by name.
        pub attributes: Option<BTreeMap<String, MeshAttribute>>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;
    use crate::commands::{AttributeDomain, AttributeType};
    use crate::Value;

    #[test]
    fn curves_args_encode_as_the_add_on_expects() {
        let get = args(&CurvesGet {
            curves: Some("C".into()),
            include: Some(vec![CurvesPart::Positions, CurvesPart::Types]),
            ..Default::default()
        });
        assert_eq!(keys(&get), ["curves", "include"]);
        assert_eq!(
            get["include"],
            Value::Array(vec!["positions".into(), "types".into()])
        );
        let cyclic = MeshAttribute::new(
            AttributeDomain::Curve,
            AttributeType::Boolean,
            Array {
                dtype: "u1".into(),
                shape: vec![2],
                data: vec![0, 1],
            },
        );
        let types = CurveType::array(&[CurveType::Poly, CurveType::Nurbs]);
        let create = args(&CurvesCreate {
            name: "C".into(),
            positions: Array::from_f32(vec![3, 3], &[0.0; 9]),
            point_counts: Array::from_i32(vec![2], &[1, 2]),
            radius: None,
            curve_types: Some(types.clone()),
            attributes: Some([("cyclic".to_owned(), cyclic)].into()),
            object: None,
            collection: None,
        });
        assert_eq!(
            keys(&create),
            [
                "name",
                "positions",
                "point_counts",
                "curve_types",
                "attributes"
            ]
        );
        assert_eq!(
            create["attributes"]["cyclic"]["domain"],
            Value::from("CURVE")
        );
        assert!(matches!(create["curve_types"]["data"], Value::Binary(ref b) if b == &[1, 3]));
        let back: Array = result(&create["curve_types"]);
        assert_eq!(
            CurveType::from_array(&back),
            Some(vec![CurveType::Poly, CurveType::Nurbs])
        );
        let mut bad = types;
        bad.data[0] = 9;
        assert_eq!(CurveType::from_array(&bad), None);
    }
}
