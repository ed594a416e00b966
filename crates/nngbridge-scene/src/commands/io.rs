//! `io.*`: importing and exporting files with the operators the running Blender ships
//! (`session.hello`'s `io` lists which: [`IoFormats`](super::IoFormats)).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A file format of `io.import`/`io.export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IoFormat {
    /// glTF 2.0: `.glb` (binary) or `.gltf` (with separate files).
    Gltf,
    /// Wavefront `.obj`.
    Obj,
    /// Autodesk `.fbx`.
    Fbx,
    /// Stanford `.ply`.
    Ply,
    /// `.stl`.
    Stl,
    /// Universal Scene Description: `.usd`, `.usda`, `.usdc`, `.usdz`.
    Usd,
    /// Alembic `.abc`.
    Alembic,
    /// A format this crate does not know yet (a newer server's).
    #[serde(other)]
    Other,
}

/// The formats this Blender imports and exports (`session.hello`'s `io`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct IoFormats {
    /// What `io.import` reads here.
    pub import: Vec<IoFormat>,
    /// What `io.export` writes here.
    pub export: Vec<IoFormat>,
}

/// The result of `io.import`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Imported {
    /// The format read.
    pub format: IoFormat,
    /// The real path read.
    pub path: String,
    /// Every data-block the import made, by kind (bpy.data's names: `objects`,
    /// `meshes`, `materials`, `images`, ...); kinds with none are left out.
    pub created: BTreeMap<String, Vec<String>>,
}

/// The result of `io.export`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Exported {
    /// The format written.
    pub format: IoFormat,
    /// The real path written.
    pub path: String,
    /// The objects exported.
    pub objects: Vec<String>,
}

command! {
    /// `io.import`: imports a file from an allowed directory; a file Blender cannot read
    /// leaves nothing behind.
    #[derive(Default)]
    pub struct IoImport => "io.import" -> Imported {
        /// The file.
        pub path: String,
        /// Its format (default: from the extension).
        pub format: Option<IoFormat>,
        /// Join vertices at the same place (glTF; formats without the option refuse it).
        pub merge_vertices: Option<bool>,
        /// Scale what is read (formats without the option, glTF, refuse it).
        pub scale: Option<f64>,
    }
}

command! {
    /// `io.export`: exports the scene's objects (or some) to a file in an allowed
    /// directory.
    #[derive(Default)]
    pub struct IoExport => "io.export" -> Exported {
        /// The file (`.glb`: binary glTF).
        pub path: String,
        /// Its format (default: from the extension).
        pub format: Option<IoFormat>,
        /// Only these objects (default: all in the view layer).
        pub objects: Option<Vec<String>>,
        /// Whether modifiers are applied (default: the exporter's).
        pub apply_modifiers: Option<bool>,
        /// Scale what is written (formats without the option, glTF, refuse it).
        pub scale: Option<f64>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;
    use crate::Value;

    #[test]
    fn io_args_encode_as_the_add_on_expects() {
        let e = args(&IoExport {
            path: "a.glb".into(),
            objects: Some(vec!["Cube".into()]),
            apply_modifiers: Some(true),
            ..Default::default()
        });
        assert_eq!(keys(&e), ["path", "objects", "apply_modifiers"]);
        let i = args(&IoImport {
            path: "a.abc".into(),
            format: Some(IoFormat::Alembic),
            merge_vertices: None,
            scale: Some(2.0),
        });
        assert_eq!(keys(&i), ["path", "format", "scale"]);
        assert_eq!(i["format"], Value::from("ALEMBIC"));
    }

    #[test]
    fn an_unknown_format_decodes_as_other() {
        let f: Vec<IoFormat> = result(&Value::Array(vec!["GLTF".into(), "COLLADA".into()]));
        assert_eq!(f, [IoFormat::Gltf, IoFormat::Other]);
    }
}
