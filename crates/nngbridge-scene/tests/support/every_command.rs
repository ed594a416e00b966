//! One instance of every typed command with every optional argument given, for checking
//! the values it sends against docs/commands.json (`tests/catalogue.rs`); and `props`,
//! which `tests/typed_domains.rs` uses too.

#![allow(dead_code)]

use std::collections::BTreeMap;

use nngbridge_scene::commands::*;
use nngbridge_scene::{Array, CallError, Value};

pub fn entry<C: Command>(c: C) -> Result<(&'static str, Value), CallError> {
    Ok((C::NAME, to_value(&c)?))
}

pub fn props(entries: &[(&str, Value)]) -> Properties {
    entries
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn mesh_attribute() -> MeshAttribute {
    MeshAttribute::new(
        AttributeDomain::Point,
        AttributeType::Float,
        Array::from_f32(vec![3], &[1.0, 2.0, 3.0]),
    )
}

/// One instance of every command with every optional argument given.
pub fn every_command_fully_populated() -> Result<Vec<(&'static str, Value)>, CallError> {
    let s = String::from;
    let p2 = Some([1.0, 2.0]);
    Ok(vec![
        entry(AnimEvaluate {
            target: AnimTarget::Object,
            name: s("A"),
            data_path: s("location"),
            frame: 1.0,
            index: Some(0),
        })?,
        entry(AnimKeyframeDelete {
            target: AnimTarget::Scene,
            name: s("A"),
            data_path: s("location"),
            frame: 1.0,
            index: Some(-1),
        })?,
        entry(AnimKeyframeInsert {
            target: AnimTarget::NodeTree,
            name: s("A"),
            data_path: s("location"),
            frame: 1.5,
            value: Some(KeyValue::Numbers(vec![1.0, 2.0, 3.0])),
            index: Some(-1),
            interpolation: Some(Interpolation::Bezier),
        })?,
        entry(AnimKeyframes {
            target: AnimTarget::Armature,
            name: s("A"),
            data_path: Some(s("location")),
        })?,
        entry(Batch {
            commands: vec![BatchEntry::typed(&Ping {})?],
            stop_on_error: Some(true),
        })?,
        entry(ClipFramePixels {
            name: s("C"),
            frame: 1,
        })?,
        entry(ClipInfo { name: s("C") })?,
        entry(ClipList {})?,
        entry(ClipLoad {
            path: s("/x"),
            name: Some(s("C")),
        })?,
        entry(ClipMeanColors {
            name: s("C"),
            frame_start: Some(1),
            frame_end: Some(2),
        })?,
        entry(ClipSet {
            name: s("C"),
            frame_start: Some(1),
            frame_offset: Some(0),
        })?,
        entry(CollectionCreate {
            name: s("C"),
            parent: Some(s("P")),
        })?,
        entry(CollectionDelete {
            name: s("C"),
            objects: Some(true),
        })?,
        entry(CollectionGet { name: s("C") })?,
        entry(CollectionLink {
            collection: s("C"),
            objects: vec![s("A")],
            move_objects: Some(true),
        })?,
        entry(CollectionList {})?,
        entry(CollectionUnlink {
            collection: s("C"),
            objects: vec![s("A")],
        })?,
        entry(Exec { code: s("x = 1") })?,
        entry(GpencilAddLayer {
            name: s("G"),
            layer: s("L"),
            color: Some([1.0, 0.0, 0.0]),
            thickness: Some(3),
        })?,
        entry(GpencilAddStroke {
            name: s("G"),
            layer: s("L"),
            frame: 1,
            points: vec![[0.0; 3]],
            pressure: Some(vec![1.0]),
            cyclic: Some(true),
        })?,
        entry(GpencilCreate {
            name: s("G"),
            attach: Some(Attach::Clip),
            clip: Some(s("C")),
        })?,
        entry(GpencilDeleteFrame {
            name: s("G"),
            layer: s("L"),
            frame: 1,
        })?,
        entry(GpencilFrames {
            name: s("G"),
            layer: s("L"),
        })?,
        entry(GpencilLayers { name: s("G") })?,
        entry(GpencilList {})?,
        entry(GpencilStrokes {
            name: s("G"),
            layer: s("L"),
            frame: 1,
        })?,
        entry(IdPropertyDelete {
            kind: IdKind::Mask,
            name: s("M"),
            key: s("k"),
        })?,
        entry(IdPropertyGet {
            kind: IdKind::Collection,
            name: s("C"),
            key: s("k"),
        })?,
        entry(IdPropertyList {
            kind: IdKind::Material,
            name: s("M"),
        })?,
        entry(IdPropertySet {
            kind: IdKind::Image,
            name: s("I"),
            key: s("k"),
            value: Value::from(1.5),
        })?,
        entry(ImageList {})?,
        entry(ImageLoad {
            path: s("/x.png"),
            name: Some(s("I")),
        })?,
        entry(ImageMeanColor { name: s("I") })?,
        entry(ImageNew {
            name: s("I"),
            width: 4,
            height: 4,
            color: Some([0.0, 0.0, 0.0, 1.0]),
            float_buffer: Some(false),
        })?,
        entry(ImagePixelsGet { name: s("I") })?,
        entry(ImagePreview {
            kind: PreviewKind::Material,
            name: s("M"),
        })?,
        entry(RenderOpengl {
            width: Some(64),
            height: Some(32),
        })?,
        entry(ViewportCapture {
            area: Some(0),
            width: Some(64),
            height: Some(32),
        })?,
        entry(ImagePixelsSet {
            name: s("I"),
            pixels: Array::from_f32(vec![1, 1, 4], &[0.0; 4]),
        })?,
        entry(IoExport {
            path: s("/tmp/a.glb"),
            format: Some(IoFormat::Gltf),
            objects: Some(vec![s("O")]),
            apply_modifiers: Some(true),
            scale: Some(0.5),
        })?,
        entry(IoImport {
            path: s("/tmp/a.glb"),
            format: Some(IoFormat::Usd),
            merge_vertices: Some(true),
            scale: Some(2.0),
        })?,
        entry(ImageSave {
            name: s("I"),
            path: Some(s("/x.exr")),
            format: Some(ImageFormat::OpenExr),
        })?,
        entry(JobCancel { job: 1 })?,
        entry(JobList {})?,
        entry(JobStatus { job: 1 })?,
        entry(MaskAddLayer {
            name: s("M"),
            layer: s("L"),
            visible_frames: Some(vec![1]),
        })?,
        entry(MaskAddSpline {
            name: s("M"),
            layer: s("L"),
            points: vec![SplinePoint::at([0.0, 0.0])],
            cyclic: Some(true),
            space: Some(Space::Normalized),
        })?,
        entry(MaskKeySpline {
            name: s("M"),
            layer: s("L"),
            frame: 1,
            points: vec![SplinePoint::at([0.0, 0.0])],
            spline: Some(0),
            space: Some(Space::Normalized),
        })?,
        entry(MaskBounds {
            name: s("M"),
            layer: Some(s("L")),
            frame: Some(1),
            space: Some(Space::Pixels),
        })?,
        entry(MaskCreate {
            name: s("M"),
            clip: Some(s("C")),
            size: p2,
        })?,
        entry(MaskDelete { name: s("M") })?,
        entry(MaskLayerSet {
            name: s("M"),
            layer: s("L"),
            properties: props(&[("alpha", 0.5.into())]),
        })?,
        entry(MaskLayerVisibilityKey {
            name: s("M"),
            layer: s("L"),
            frame: 1,
            visible: true,
        })?,
        entry(MaskLayers {
            name: s("M"),
            points: Some(true),
            space: Some(Space::Pixels),
        })?,
        entry(MaskList {})?,
        entry(MaterialAssign {
            object: s("O"),
            material: Some(s("M")),
            slot: Some(0),
        })?,
        entry(MaterialCreate {
            name: s("M"),
            color: Some([1.0; 4]),
        })?,
        entry(MaterialGet {
            name: s("M"),
            properties: Some(vec![s("roughness")]),
        })?,
        entry(MaterialList {})?,
        entry(NodeAdd {
            tree: NodeTree::Material,
            id: Some(s("M")),
            kind: s("ShaderNodeMath"),
            name: Some(s("N")),
            location: p2,
            inputs: Some(props(&[("Value", 1.0.into())])),
            properties: Some(props(&[("operation", "ADD".into())])),
        })?,
        entry(NodeLink {
            tree: NodeTree::World,
            id: Some(s("W")),
            from_node: s("A"),
            from_socket: s("Color"),
            to_node: s("B"),
            to_socket: s("Color"),
        })?,
        entry(NodeList {
            tree: NodeTree::Compositor,
            id: Some(s("Scene")),
        })?,
        entry(NodeRemove {
            tree: NodeTree::Material,
            id: Some(s("M")),
            names: vec![s("N")],
        })?,
        entry(NodeSet {
            tree: NodeTree::Material,
            id: Some(s("M")),
            node: s("N"),
            name: Some(s("N2")),
            location: p2,
            label: Some(s("L")),
            inputs: Some(props(&[("Value", 1.0.into())])),
            properties: Some(props(&[("operation", "ADD".into())])),
        })?,
        entry(NodeUnlink {
            tree: NodeTree::Material,
            id: Some(s("M")),
            to_node: s("B"),
            to_socket: s("Color"),
            from_node: Some(s("A")),
            from_socket: Some(s("Color")),
        })?,
        entry(MeshCreate {
            name: s("M"),
            positions: Array::from_f32(vec![3, 3], &[0.0; 9]),
            edges: Some(Array::from_i32(vec![1, 2], &[0, 1])),
            loop_totals: Some(Array::from_i32(vec![1], &[3])),
            loop_vertices: Some(Array::from_i32(vec![3], &[0, 1, 2])),
            uv_layers: Some([(s("UV"), Array::from_f32(vec![3, 2], &[0.0; 6]))].into()),
            attributes: Some([(s("w"), mesh_attribute())].into()),
            object: Some(s("O")),
            collection: Some(s("C")),
        })?,
        entry(MeshGet {
            object: Some(s("O")),
            mesh: Some(s("M")),
            include: Some(vec![MeshPart::Positions, MeshPart::Uvs]),
            attributes: Some(vec![s("w")]),
            evaluated: Some(true),
        })?,
        entry(MeshSet {
            name: s("M"),
            positions: Some(Array::from_f32(vec![1, 3], &[0.0; 3])),
            edges: Some(Array::from_i32(vec![0, 2], &[])),
            loop_totals: Some(Array::from_i32(vec![0], &[])),
            loop_vertices: Some(Array::from_i32(vec![0], &[])),
            uv_layers: Some(BTreeMap::new()),
            attributes: Some([(s("w"), mesh_attribute())].into()),
        })?,
        entry(CurvesCreate {
            name: s("C"),
            positions: Array::from_f32(vec![3, 3], &[0.0; 9]),
            point_counts: Array::from_i32(vec![1], &[3]),
            radius: Some(Array::from_f32(vec![3], &[1.0; 3])),
            curve_types: Some(CurveType::array(&[CurveType::Bezier])),
            attributes: Some([(s("w"), mesh_attribute())].into()),
            object: Some(s("O")),
            collection: Some(s("C")),
        })?,
        entry(CurvesGet {
            object: Some(s("O")),
            curves: Some(s("C")),
            include: Some(vec![CurvesPart::Curves, CurvesPart::Types]),
            attributes: Some(vec![s("w")]),
            evaluated: Some(true),
        })?,
        entry(CurvesSet {
            name: s("C"),
            positions: Some(Array::from_f32(vec![1, 3], &[0.0; 3])),
            point_counts: Some(Array::from_i32(vec![1], &[1])),
            radius: Some(Array::from_f32(vec![1], &[1.0])),
            curve_types: Some(CurveType::array(&[CurveType::Poly])),
            attributes: Some(BTreeMap::new()),
        })?,
        entry(PointCloudCreate {
            name: s("P"),
            positions: Array::from_f32(vec![3, 3], &[0.0; 9]),
            radius: Some(Array::from_f32(vec![3], &[1.0; 3])),
            attributes: Some([(s("w"), mesh_attribute())].into()),
            object: Some(s("O")),
            collection: Some(s("C")),
        })?,
        entry(PointCloudGet {
            object: Some(s("O")),
            pointcloud: Some(s("P")),
            include: Some(vec![PointCloudPart::Positions, PointCloudPart::Radius]),
            attributes: Some(vec![s("w")]),
            evaluated: Some(true),
        })?,
        entry(PointCloudSet {
            name: s("P"),
            positions: Some(Array::from_f32(vec![1, 3], &[0.0; 3])),
            radius: Some(Array::from_f32(vec![1], &[1.0])),
            attributes: Some(BTreeMap::new()),
        })?,
        entry(ObjectCreate {
            kind: ObjectType::IcoSphere,
            name: Some(s("O")),
            collection: Some(s("C")),
            location: Some([0.0; 3]),
            rotation: Some([0.0; 3]),
            scale: Some([1.0; 3]),
            size: Some(1.0),
            empty_display_type: Some(EmptyDisplayType::SingleArrow),
            empty_display_size: Some(1.0),
            light_type: Some(LightType::Area),
            parent: Some(s("P")),
        })?,
        entry(ObjectDelete {
            names: vec![s("O")],
        })?,
        entry(ObjectGet {
            name: s("O"),
            properties: Some(vec![s("location")]),
        })?,
        entry(ObjectHierarchy { name: s("O") })?,
        entry(ObjectList {
            kind: Some(s("MESH")),
            collection: Some(s("C")),
            selected: Some(true),
            name_prefix: Some(s("O")),
        })?,
        entry(ObjectRoot { name: s("O") })?,
        entry(ObjectSelect {
            names: vec![s("O")],
            active: Some(s("O")),
            deselect_others: Some(false),
        })?,
        entry(ObjectSelection {})?,
        entry(ObjectSet {
            name: s("O"),
            location: Some([0.0; 3]),
            rotation: Some([0.0; 3]),
            scale: Some([1.0; 3]),
            parent: Some(Some(s("P"))),
            hide: Some(false),
            properties: Some(props(&[("empty_display_size", 2.0.into())])),
        })?,
        entry(RenderAnimation {
            path: s("/tmp/a_##.png"),
            frame_start: Some(1),
            frame_end: Some(2),
            engine: Some(RenderEngine::BlenderEeveeNext),
        })?,
        entry(RenderStill {
            path: s("/tmp/a.png"),
            frame: Some(1),
            engine: Some(RenderEngine::Cycles),
        })?,
        entry(SceneGet {})?,
        entry(ScenePropertyGet { name: s("p") })?,
        entry(ScenePropertySet {
            name: s("p"),
            value: Value::from(1),
        })?,
        entry(SceneSet {
            frame_current: Some(1),
            frame_start: Some(1),
            frame_end: Some(2),
            fps: Some(24),
            resolution: Some([32, 24]),
            resolution_percentage: Some(100),
            properties: Some(props(&[("render.engine", "CYCLES".into())])),
        })?,
        entry(SequencerAddEffect {
            name: s("S"),
            kind: EffectType::Colormix,
            channel: 1,
            frame_start: 1,
            frame_end: Some(2),
            inputs: Some(vec![s("A"), s("B")]),
            properties: Some(props(&[("mute", false.into())])),
        })?,
        entry(SequencerAddImage {
            name: s("S"),
            paths: vec![s("/x.png")],
            channel: 1,
            frame_start: 1,
        })?,
        entry(SequencerAddMovie {
            name: s("S"),
            path: s("/x.mp4"),
            channel: 1,
            frame_start: 1,
        })?,
        entry(SequencerAddText {
            name: s("S"),
            text: s("t"),
            channel: 1,
            frame_start: 1,
            frame_end: 2,
            font_size: Some(10.0),
            color: Some([1.0; 4]),
            location: Some([0.5, 0.5]),
        })?,
        entry(SequencerDelete {
            names: vec![s("S")],
        })?,
        entry(SequencerEnsure {})?,
        entry(SequencerList {})?,
        entry(SequencerStripGet {
            name: s("S"),
            properties: Some(vec![s("mute")]),
        })?,
        entry(SequencerStripSet {
            name: s("S"),
            properties: props(&[("mute", true.into())]),
        })?,
        entry(CommandSchemas {
            name: Some(s("session.ping")),
        })?,
        entry(Hello {})?,
        entry(Ping {})?,
        entry(Shutdown {})?,
        entry(TrackingAddTrack {
            clip: s("C"),
            frame: 1,
            position: [1.0, 2.0],
            name: Some(s("T")),
            pattern_size: p2,
            search_size: p2,
        })?,
        entry(TrackingMarkersDelete {
            clip: s("C"),
            track: s("T"),
            frames: vec![1],
        })?,
        entry(TrackingMarkersGet {
            clip: s("C"),
            track: s("T"),
            frame: Some(1),
        })?,
        entry(TrackingMarkersSet {
            clip: s("C"),
            track: s("T"),
            markers: vec![MarkerSet {
                frame: 1,
                position: [1.0, 2.0],
                pattern_size: p2,
                search_size: p2,
                mute: Some(false),
            }],
        })?,
        entry(TrackingTracks { clip: s("C") })?,
        entry(WmProgress { value: Some(0.5) })?,
    ])
}
