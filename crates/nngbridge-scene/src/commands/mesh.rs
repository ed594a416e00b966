//! `mesh.*`: geometry as binary arrays (docs/protocol.md §5): read a mesh's positions,
//! edges, polygons, normals, UV layers and attributes; build or replace one from arrays.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::wire::Array;

/// What `mesh.get` reads (its `include` list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeshPart {
    /// `positions` f4 `[vertices, 3]`.
    Positions,
    /// `edges` i4 `[edges, 2]`.
    Edges,
    /// `loop_starts` and `loop_totals` i4 `[polygons]`, `loop_vertices` i4 `[loops]`.
    Polygons,
    /// `vertex_normals` f4 `[vertices, 3]`.
    VertexNormals,
    /// `polygon_normals` f4 `[polygons, 3]`.
    PolygonNormals,
    /// `corner_normals` f4 `[loops, 3]` (split normals).
    CornerNormals,
    /// Every UV layer, f4 `[loops, 2]`, in `uv_layers`.
    Uvs,
    /// Every colour attribute, in `attributes`.
    Colors,
}

/// Where an attribute's values live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AttributeDomain {
    /// One value per vertex (per point of curves and point clouds).
    Point,
    /// One per edge.
    Edge,
    /// One per polygon.
    Face,
    /// One per polygon corner (loop).
    Corner,
    /// One per curve (`curves.*`).
    Curve,
}

/// An attribute's data type, with the array it travels as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AttributeType {
    /// f4 `[n]`.
    Float,
    /// i4 `[n]`.
    Int,
    /// i1 `[n]`.
    Int8,
    /// u1 `[n]` (0 or 1).
    Boolean,
    /// f4 `[n, 2]`.
    Float2,
    /// f4 `[n, 3]`.
    FloatVector,
    /// f4 `[n, 4]`, linear RGBA.
    FloatColor,
    /// f4 `[n, 4]`, linear RGBA (stored as bytes).
    ByteColor,
    /// i4 `[n, 2]` (Blender 3.6+).
    #[serde(rename = "INT32_2D")]
    Int32x2,
    /// f4 `[n, 4]` (Blender 4.0+).
    Quaternion,
    /// f4 `[n, 4, 4]` (Blender 4.2+).
    #[serde(rename = "FLOAT4X4")]
    Float4x4,
}

/// A generic attribute: its domain and type, and its values as an array (§5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeshAttribute {
    /// Where the values live.
    pub domain: AttributeDomain,
    /// What they are.
    pub data_type: AttributeType,
    /// numpy-style type code of `data`.
    pub dtype: String,
    /// `[count of the domain, ...]`.
    pub shape: Vec<u64>,
    /// The values' bytes.
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

impl MeshAttribute {
    /// An attribute holding `array` (whose dtype and shape must fit `data_type`).
    pub fn new(domain: AttributeDomain, data_type: AttributeType, array: Array) -> Self {
        MeshAttribute {
            domain,
            data_type,
            dtype: array.dtype,
            shape: array.shape,
            data: array.data,
        }
    }

    /// The values as an [`Array`].
    pub fn array(&self) -> Array {
        Array {
            dtype: self.dtype.clone(),
            shape: self.shape.clone(),
            data: self.data.clone(),
        }
    }
}

/// Element counts of a mesh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct MeshCounts {
    /// Vertices.
    pub vertices: u64,
    /// Edges.
    pub edges: u64,
    /// Polygon corners.
    pub loops: u64,
    /// Polygons.
    pub polygons: u64,
}

/// The result of `mesh.get`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MeshData {
    /// The mesh datablock (the object's, when read through an object).
    pub mesh: String,
    /// The object it was read through, if any.
    pub object: Option<String>,
    /// Whether modifiers were applied.
    pub evaluated: bool,
    /// Element counts.
    pub counts: MeshCounts,
    /// `positions`, `edges`, `loop_starts`, `loop_totals`, `loop_vertices`,
    /// `vertex_normals`, `polygon_normals`, `corner_normals`: what was included.
    pub arrays: BTreeMap<String, Array>,
    /// UV layers by name, f4 `[loops, 2]`.
    pub uv_layers: BTreeMap<String, Array>,
    /// Attributes by name.
    pub attributes: BTreeMap<String, MeshAttribute>,
}

/// The result of `mesh.create` and `mesh.set`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MeshInfo {
    /// The mesh's name.
    pub mesh: String,
    /// The object made for it (`mesh.create` with `object`).
    pub object: Option<String>,
    /// Element counts.
    pub counts: MeshCounts,
}

command! {
    /// `mesh.get`: a mesh's geometry as arrays, of a mesh datablock (`mesh`) or a mesh
    /// object (`object`, with its modifiers applied when `evaluated`).
    #[derive(Default)]
    pub struct MeshGet => "mesh.get" -> MeshData {
        /// A mesh object (give this or `mesh`).
        pub object: Option<String>,
        /// A mesh datablock.
        pub mesh: Option<String>,
        /// What to read (default: positions and polygons).
        pub include: Option<Vec<MeshPart>>,
        /// Attributes to read, by name.
        pub attributes: Option<Vec<String>>,
        /// Apply the object's modifiers.
        pub evaluated: Option<bool>,
    }
}

command! {
    /// `mesh.create`: a new mesh from arrays, optionally with an object using it.
    pub struct MeshCreate => "mesh.create" -> MeshInfo {
        /// The mesh's name.
        pub name: String,
        /// f4 `[vertices, 3]`.
        pub positions: Array,
        /// i4 `[edges, 2]` (default: the polygons' edges).
        pub edges: Option<Array>,
        /// i4 `[polygons]`: each polygon's corner count (at least 3).
        pub loop_totals: Option<Array>,
        /// i4 `[loops]`: each corner's vertex, polygon after polygon.
        pub loop_vertices: Option<Array>,
        /// UV layers by name, f4 `[loops, 2]`.
        pub uv_layers: Option<BTreeMap<String, Array>>,
        /// Attributes by name.
        pub attributes: Option<BTreeMap<String, MeshAttribute>>,
        /// Make an object of this name using the mesh.
        pub object: Option<String>,
        /// The object's collection (default: the scene's; made if missing).
        pub collection: Option<String>,
    }
}

command! {
    /// `mesh.set`: a new topology (with `edges` or polygons; the mesh keeps its name,
    /// users, materials and custom properties), or arrays written in place.
    #[derive(Default)]
    pub struct MeshSet => "mesh.set" -> MeshInfo {
        /// The mesh.
        pub name: String,
        /// f4 `[vertices, 3]`.
        pub positions: Option<Array>,
        /// i4 `[edges, 2]`.
        pub edges: Option<Array>,
        /// i4 `[polygons]`.
        pub loop_totals: Option<Array>,
        /// i4 `[loops]`.
        pub loop_vertices: Option<Array>,
        /// UV layers by name, f4 `[loops, 2]`.
        pub uv_layers: Option<BTreeMap<String, Array>>,
        /// Attributes by name.
        pub attributes: Option<BTreeMap<String, MeshAttribute>>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;
    use crate::Value;

    #[test]
    fn mesh_args_encode_as_the_add_on_expects() {
        let get = args(&MeshGet {
            object: Some("O".into()),
            include: Some(vec![MeshPart::Positions, MeshPart::CornerNormals]),
            ..Default::default()
        });
        assert_eq!(keys(&get), ["object", "include"]);
        assert_eq!(
            get["include"],
            Value::Array(vec!["positions".into(), "corner_normals".into()])
        );
        let weights = MeshAttribute::new(
            AttributeDomain::Point,
            AttributeType::Int32x2,
            Array::from_i32(vec![1, 2], &[3, -4]),
        );
        let create = args(&MeshCreate {
            name: "M".into(),
            positions: Array::from_f32(vec![1, 3], &[0.0; 3]),
            edges: None,
            loop_totals: None,
            loop_vertices: None,
            uv_layers: None,
            attributes: Some([("w".to_owned(), weights.clone())].into()),
            object: None,
            collection: None,
        });
        assert_eq!(keys(&create), ["name", "positions", "attributes"]);
        let w = &create["attributes"]["w"];
        assert_eq!(w["data_type"], Value::from("INT32_2D"));
        assert_eq!(w["domain"], Value::from("POINT"));
        assert!(matches!(w["data"], Value::Binary(ref b) if b.len() == 8));
        let back: MeshAttribute = result(w);
        assert_eq!(back.array().to_i32(), Some(vec![3, -4]));
    }
}
