//! Every domain of the Blender add-on driven through the typed commands, against a real
//! Blender: `tests/test_blender_rust_peer.py` starts one and runs
//! `cargo test -p nngbridge-scene --test typed_domains -- --ignored --nocapture` with its
//! addresses in `NNGBRIDGE_TEST_ADDRESS`, `NNGBRIDGE_TEST_EVENTS` and its work directory
//! in `NNGBRIDGE_TEST_WORK`.
//!
//! Each domain is exercised (session, object, collection, scene, image, clip, tracking,
//! mask, sequencer, gpencil, anim, wm, batch, job, render, mesh, id, exec, curves,
//! pointcloud), results decoded into
//! the typed outputs and checked, and error codes of bad input checked. Ends with
//! `session.shutdown`. With `NNGBRIDGE_TEST_ASYNC=1` every call goes through
//! `AsyncSceneClient` instead of the blocking `SceneClient` (`support/peer.rs`).
//! (That the typed structs match the add-on's catalogue is
//! `tests/catalogue.rs`, against docs/commands.json, which `check_commands.py` compares
//! with a real Blender's `session.commands`.)

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::path::Path;
use std::time::{Duration, Instant};

use nngbridge_scene::commands::*;
use nngbridge_scene::{Array, CallError, ErrorCode, EventStream, Value};

mod support {
    pub mod blender;
    pub mod every_command;
    pub mod peer;
}
use support::blender::blender_under_test;
use support::every_command::props;
use support::peer::Peer;

type Res<T = ()> = Result<T, Box<dyn std::error::Error>>;

const W: usize = 64;
const H: usize = 48;
const FRAMES: i64 = 6;

fn check(what: &str, ok: bool) -> Res {
    if ok {
        Ok(())
    } else {
        Err(format!("check failed: {what}").into())
    }
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
}

/// The call must fail with `code`.
fn fails<T: Debug>(what: &str, res: Result<T, CallError>, code: ErrorCode) -> Res {
    match res {
        Err(CallError::Server(e)) if e.code == code => Ok(()),
        other => Err(format!("{what}: expected {}, got {other:?}", code.as_str()).into()),
    }
}

/// Left edge of the bright square on frame `f` (scene frame = clip frame here).
fn square_x(f: i64) -> usize {
    4 + 6 * (f as usize - 1)
}

/// The first bright column of row `row` of an `f4 [h, w, 4]` array.
fn bright_left(px: &Array, row: usize) -> Res<usize> {
    let values = px.to_f32().ok_or("pixels are not f4")?;
    let w = px.shape[1] as usize;
    (0..w)
        .find(|x| values[(row * w + x) * 4] > 0.5)
        .ok_or_else(|| format!("no bright pixel on row {row}").into())
}

/// Makes `frames/frame_000N.png` (N = 1..=FRAMES): a white 8x8 square on black at
/// `square_x(N)`, rows 20..28. Returns the paths.
fn make_frames(client: &Peer, work: &Path) -> Res<Vec<String>> {
    let dir = work.join("frames");
    std::fs::create_dir_all(&dir)?;
    let made = client.run(&ImageNew {
        name: "Frame".into(),
        width: W as u32,
        height: H as u32,
        ..Default::default()
    })?;
    check(
        "image.new size",
        made.size == [W as u32, H as u32] && made.channels == 4,
    )?;
    let mut paths = Vec::new();
    for f in 1..=FRAMES {
        let mut px = vec![0.0f32; W * H * 4];
        for y in 0..H {
            for x in 0..W {
                px[(y * W + x) * 4 + 3] = 1.0;
            }
        }
        for y in 20..28 {
            for x in square_x(f)..square_x(f) + 8 {
                px[(y * W + x) * 4..(y * W + x) * 4 + 3].fill(1.0);
            }
        }
        client.run(&ImagePixelsSet {
            name: "Frame".into(),
            pixels: Array::from_f32(vec![H as u64, W as u64, 4], &px),
        })?;
        let path = dir.join(format!("frame_{f:04}.png"));
        let path = path.to_str().ok_or("non-UTF-8 work dir")?.to_owned();
        let saved = client.run(&ImageSave {
            name: "Frame".into(),
            path: Some(path.clone()),
            format: Some(ImageFormat::Png),
        })?;
        check("image.save", saved.format == ImageFormat::Png)?;
        check("png written", Path::new(&path).is_file())?;
        paths.push(path);
    }
    Ok(paths)
}

/// Waits until the subscriber provably receives events (it saw a frame event).
fn sync_events(client: &Peer, events: &mut EventStream) -> Res {
    for frame in 1000..1100 {
        client.run(&SceneSet {
            frame_current: Some(frame),
            ..Default::default()
        })?;
        let deadline = Instant::now() + Duration::from_millis(200);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match events.next_event(Some(left)) {
                Ok(e) if e.topic == "frame" => return Ok(()),
                Ok(_) => {}
                Err(CallError::Nng(nngbridge::Error::Timeout)) => break,
                Err(e) => return Err(e.into()),
            }
        }
    }
    Err("the event subscriber never connected".into())
}

/// Waits for job `id` to end (its `job` events), then returns `job.status`.
fn wait_job(client: &Peer, events: &mut EventStream, id: u64) -> Res<JobInfo> {
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut seen = Vec::new();
    loop {
        let left = deadline
            .checked_duration_since(Instant::now())
            .ok_or(format!("job {id} did not end; events {seen:?}"))?;
        let event = events.next_event(Some(left))?;
        if event.topic != "job" {
            continue;
        }
        let info: JobInfo = from_value(&event.data)?;
        if info.job != id {
            continue;
        }
        seen.push(info.state);
        if info.state.is_final() {
            break;
        }
    }
    check(
        &format!("job {id} events start queued/running: {seen:?}"),
        seen.len() >= 2,
    )?;
    Ok(client.run(&JobStatus { job: id })?)
}

fn session(client: &Peer) -> Res {
    check("ping", client.run(&Ping {})? == "pong")?;
    let hello = client.run(&Hello {})?;
    check("protocol 1", hello.protocol == 1)?;
    check("limits", hello.limits.is_some_and(|l| l.max_message > 0))?;
    check(
        "files: the work directory comes first among the allowed",
        hello
            .files
            .is_some_and(|f| f.work_dir.is_some() && f.allowed_dirs.first() == f.work_dir.as_ref()),
    )?;
    let one = client.run(&CommandSchemas {
        name: Some("mask.add_spline".into()),
    })?;
    check(
        "one schema",
        one.commands.len() == 1 && one.commands["mask.add_spline"].args["points"].required,
    )?;
    fails(
        "session.commands unknown",
        client.run(&CommandSchemas {
            name: Some("nope.nope".into()),
        }),
        ErrorCode::NotFound,
    )?;
    fails(
        "exec off",
        client.run(&Exec {
            code: "result = 1".into(),
        }),
        ErrorCode::Forbidden,
    )
}

fn objects_and_collections(client: &Peer) -> Res {
    client.run(&ObjectCreate {
        kind: ObjectType::Empty,
        name: Some("Parent".into()),
        empty_display_type: Some(EmptyDisplayType::Arrows),
        ..Default::default()
    })?;
    client.run(&ObjectCreate {
        kind: ObjectType::Light,
        name: Some("Lamp".into()),
        light_type: Some(LightType::Spot),
        parent: Some("Parent".into()),
        location: Some([0.0, 0.0, 3.0]),
        ..Default::default()
    })?;
    let lamp = client.run(&ObjectGet {
        name: "Lamp".into(),
        properties: Some(vec!["data.type".into()]),
    })?;
    check(
        "light",
        lamp.kind == "LIGHT" && lamp.parent.as_deref() == Some("Parent"),
    )?;
    check(
        "properties read",
        lamp.properties
            .as_ref()
            .and_then(|p| p.get("data.type"))
            .and_then(Value::as_str)
            == Some("SPOT"),
    )?;
    let tree = client.run(&ObjectHierarchy {
        name: "Parent".into(),
    })?;
    check(
        "hierarchy",
        tree.children.len() == 1 && tree.children[0].name == "Lamp",
    )?;
    check(
        "root",
        client
            .run(&ObjectRoot {
                name: "Lamp".into(),
            })?
            .root
            == "Parent",
    )?;
    let loose = client.run(&ObjectSet {
        name: "Lamp".into(),
        parent: Some(None),
        ..Default::default()
    })?;
    check("unparented by nil", loose.parent.is_none())?;
    let hidden = client.run(&ObjectSet {
        name: "Lamp".into(),
        hide: Some(true),
        properties: Some(props(&[("data.energy", 50.0.into())])),
        ..Default::default()
    })?;
    check(
        "parent kept when absent, hidden",
        hidden.parent.is_none() && !hidden.visible,
    )?;
    let shown = client.run(&ObjectSet {
        name: "Lamp".into(),
        hide: Some(false),
        ..Default::default()
    })?;
    check("shown again", shown.visible)?;
    fails(
        "parent loop",
        client.run(&ObjectSet {
            name: "Parent".into(),
            parent: Some(Some("Parent".into())),
            ..Default::default()
        }),
        ErrorCode::InvalidArgument,
    )?;
    let sel = client.run(&ObjectSelect {
        names: vec!["Lamp".into()],
        active: Some("Lamp".into()),
        ..Default::default()
    })?;
    check(
        &format!("select {sel:?}"),
        sel.selected == ["Lamp"] && sel.active.as_deref() == Some("Lamp"),
    )?;
    check("selection", client.run(&ObjectSelection {})? == sel)?;
    let lights = client.run(&ObjectList {
        kind: Some("LIGHT".into()),
        name_prefix: Some("La".into()),
        ..Default::default()
    })?;
    check(
        "list filtered",
        lights.objects.len() == 1 && lights.objects[0].name == "Lamp",
    )?;

    let props_coll = client.run(&CollectionCreate {
        name: "Props".into(),
        parent: None,
    })?;
    check("collection under the scene's", props_coll.parent.is_some())?;
    let inner = client.run(&CollectionCreate {
        name: "Inner".into(),
        parent: Some("Props".into()),
    })?;
    check("nested", inner.parent.as_deref() == Some("Props"))?;
    client.run(&ObjectCreate {
        kind: ObjectType::Empty,
        name: Some("Peg".into()),
        ..Default::default()
    })?;
    let moved = client.run(&CollectionLink {
        collection: "Inner".into(),
        objects: vec!["Peg".into()],
        move_objects: Some(true),
    })?;
    check("moved in", moved.objects == ["Peg"])?;
    let peg = client.run(&ObjectGet {
        name: "Peg".into(),
        ..Default::default()
    })?;
    check("moved out of the others", peg.collections == ["Inner"])?;
    client.run(&CollectionLink {
        collection: "Props".into(),
        objects: vec!["Peg".into()],
        move_objects: None,
    })?;
    let unlinked = client.run(&CollectionUnlink {
        collection: "Props".into(),
        objects: vec!["Peg".into()],
    })?;
    check(
        "unlinked",
        unlinked.objects.is_empty() && unlinked.children == ["Inner"],
    )?;
    fails(
        "unlink again",
        client.run(&CollectionUnlink {
            collection: "Props".into(),
            objects: vec!["Peg".into()],
        }),
        ErrorCode::InvalidArgument,
    )?;
    let all = client.run(&CollectionList {})?;
    check(
        "collection.list",
        all.collections.iter().any(|c| c.name == "Inner"),
    )?;
    check(
        "collection.get",
        client
            .run(&CollectionGet {
                name: "Inner".into(),
            })?
            .objects
            == ["Peg"],
    )?;
    let gone = client.run(&CollectionDelete {
        name: "Inner".into(),
        objects: Some(true),
    })?;
    check("collection deleted", gone.deleted == "Inner")?;
    fails(
        "its objects too",
        client.run(&ObjectGet {
            name: "Peg".into(),
            ..Default::default()
        }),
        ErrorCode::NotFound,
    )?;
    let deleted = client.run(&ObjectDelete {
        names: vec!["Lamp".into()],
    })?;
    check("object.delete", deleted.deleted == ["Lamp"])
}

fn scene_and_images(client: &Peer, frames: &[String]) -> Res {
    let scene = client.run(&SceneSet {
        frame_start: Some(1),
        frame_end: Some(FRAMES),
        fps: Some(24),
        frame_current: Some(1),
        ..Default::default()
    })?;
    check("scene.set", scene.frame_end == FRAMES && scene.fps == 24.0)?;
    check("scene.get", client.run(&SceneGet {})? == scene)?;
    fails(
        "end before start",
        client.run(&SceneSet {
            frame_start: Some(10),
            frame_end: Some(2),
            ..Default::default()
        }),
        ErrorCode::InvalidArgument,
    )?;
    let stored = client.run(&ScenePropertySet {
        name: "note".into(),
        value: Value::Array(vec![1.into(), 2.into()]),
    })?;
    check(
        "custom property set",
        stored == Value::Array(vec![1.into(), 2.into()]),
    )?;
    check(
        "custom property get",
        client.run(&ScenePropertyGet {
            name: "note".into(),
        })? == stored,
    )?;
    fails(
        "no custom property",
        client.run(&ScenePropertyGet {
            name: "nope".into(),
        }),
        ErrorCode::NotFound,
    )?;

    let loaded = client.run(&ImageLoad {
        path: frames[0].clone(),
        name: Some("Loaded".into()),
    })?;
    check("image.load", loaded.size == [W as u32, H as u32])?;
    let mean = client.run(&ImageMeanColor {
        name: "Loaded".into(),
    })?;
    let expect = 64.0 / (W * H) as f64;
    check(
        &format!("image.mean_color {:?}", mean.color),
        (mean.color[0] - expect).abs() < 1e-3 && (mean.color[3] - 1.0).abs() < 1e-6,
    )?;
    let list = client.run(&ImageList {})?;
    check(
        "image.list",
        list.images
            .iter()
            .any(|i| i.name == "Loaded" && i.source == "FILE"),
    )?;
    let px = client.run(&ImagePixelsGet {
        name: "Loaded".into(),
    })?;
    check("pixels_get shape", px.shape == [H as u64, W as u64, 4])?;
    check("pixels_get square", bright_left(&px, 24)? == square_x(1))?;
    fails(
        "pixels of the wrong shape",
        client.run(&ImagePixelsSet {
            name: "Loaded".into(),
            pixels: Array::from_f32(vec![1, 1, 4], &[0.0; 4]),
        }),
        ErrorCode::InvalidArgument,
    )?;
    fails(
        "image.new too large",
        client.run(&ImageNew {
            name: "Huge".into(),
            width: 0,
            height: 4,
            ..Default::default()
        }),
        ErrorCode::InvalidArgument,
    )
}

fn clips(client: &Peer, frames: &[String], events: &mut EventStream) -> Res {
    let clip = client.run(&ClipLoad {
        path: frames[0].clone(),
        name: Some("Square".into()),
    })?;
    check(
        &format!("clip.load {clip:?}"),
        clip.source == ClipSource::Sequence
            && clip.size == [W as u32, H as u32]
            && clip.frame_duration == FRAMES
            && clip.frame_start == 1,
    )?;
    check(
        "clip.info",
        client.run(&ClipInfo {
            name: "Square".into(),
        })? == clip,
    )?;
    check(
        "clip.list",
        client
            .run(&ClipList {})?
            .clips
            .iter()
            .any(|c| c.name == "Square"),
    )?;
    for f in [3, 1, FRAMES] {
        let px = client.run(&ClipFramePixels {
            name: "Square".into(),
            frame: f,
        })?;
        check("frame shape", px.shape == [H as u64, W as u64, 4])?;
        check(
            &format!("frame {f} shows its square"),
            bright_left(&px, 24)? == square_x(f),
        )?;
    }
    let shifted = client.run(&ClipSet {
        name: "Square".into(),
        frame_start: Some(11),
        ..Default::default()
    })?;
    check("clip.set", shifted.frame_start == 11)?;
    let px = client.run(&ClipFramePixels {
        name: "Square".into(),
        frame: 12,
    })?;
    check(
        "scene frame 12 = clip frame 2",
        bright_left(&px, 24)? == square_x(2),
    )?;
    fails(
        "before the shifted clip",
        client.run(&ClipFramePixels {
            name: "Square".into(),
            frame: 1,
        }),
        ErrorCode::InvalidArgument,
    )?;
    client.run(&ClipSet {
        name: "Square".into(),
        frame_start: Some(1),
        ..Default::default()
    })?;
    fails(
        "missing clip file",
        client.run(&ClipLoad {
            path: "nonexistent/clip.mp4".into(),
            name: None,
        }),
        ErrorCode::NotFound,
    )?;

    let started = client.run(&ClipMeanColors {
        name: "Square".into(),
        ..Default::default()
    })?;
    let status = wait_job(client, events, started.job)?;
    check(
        &format!("mean colours job done: {status:?}"),
        status.state == JobState::Done && status.kind == "clip.mean_colors",
    )?;
    let means: MeanColors = status.result_as().ok_or("mean colours result")?;
    let expect = 64.0 / (W * H) as f64;
    check(
        "one mean per frame",
        means.frames.iter().map(|m| m.frame).collect::<Vec<_>>()
            == (1..=FRAMES).collect::<Vec<_>>(),
    )?;
    check(
        "means",
        means
            .frames
            .iter()
            .all(|m| (m.color[0] - expect).abs() < 1e-3),
    )?;
    fails(
        "mean colours outside the clip",
        client.run(&ClipMeanColors {
            name: "Square".into(),
            frame_start: Some(50),
            ..Default::default()
        }),
        ErrorCode::InvalidArgument,
    )
}

fn tracking(client: &Peer) -> Res {
    let centre = |f: i64| [square_x(f) as f64 + 4.0, 24.0];
    let track = client.run(&TrackingAddTrack {
        clip: "Square".into(),
        name: Some("Corner".into()),
        frame: 1,
        position: centre(1),
        pattern_size: Some([9.0, 9.0]),
        search_size: Some([21.0, 21.0]),
    })?;
    let m = &track.markers[0];
    check(
        &format!("first marker {m:?}"),
        track.name == "Corner"
            && m.frame == 1
            && close(&m.position, &centre(1), 1e-3)
            && close(&m.pattern_size, &[9.0, 9.0], 1e-3)
            && close(&m.search_size, &[21.0, 21.0], 1e-3)
            && !m.mute,
    )?;
    let set = client.run(&TrackingMarkersSet {
        clip: "Square".into(),
        track: "Corner".into(),
        markers: (2..=FRAMES).map(|f| MarkerSet::at(f, centre(f))).collect(),
    })?;
    check(
        "markers set",
        set.markers == FRAMES as u32 && set.track == "Corner",
    )?;
    let all = client.run(&TrackingMarkersGet {
        clip: "Square".into(),
        track: "Corner".into(),
        frame: None,
    })?;
    check(
        "markers follow the square",
        all.markers.len() == FRAMES as usize
            && all.markers.iter().all(|m| {
                close(&m.position, &centre(m.frame), 1e-3)
                    && close(&m.pattern_size, &[9.0, 9.0], 1e-3)
            }),
    )?;
    client.run(&TrackingMarkersSet {
        clip: "Square".into(),
        track: "Corner".into(),
        markers: vec![MarkerSet {
            pattern_size: Some([15.0, 11.0]),
            mute: Some(true),
            ..MarkerSet::at(3, centre(3))
        }],
    })?;
    let three = client.run(&TrackingMarkersGet {
        clip: "Square".into(),
        track: "Corner".into(),
        frame: Some(3),
    })?;
    check(
        "marker on frame 3 changed",
        three.markers.len() == 1
            && three.markers[0].mute
            && close(&three.markers[0].pattern_size, &[15.0, 11.0], 1e-3),
    )?;
    fails(
        "delete a missing marker",
        client.run(&TrackingMarkersDelete {
            clip: "Square".into(),
            track: "Corner".into(),
            frames: vec![2, 99],
        }),
        ErrorCode::NotFound,
    )?;
    let left = client.run(&TrackingMarkersDelete {
        clip: "Square".into(),
        track: "Corner".into(),
        frames: vec![FRAMES],
    })?;
    check("marker deleted", left.markers == FRAMES as u32 - 1)?;
    let tracks = client.run(&TrackingTracks {
        clip: "Square".into(),
    })?;
    check(
        "tracking.tracks",
        tracks.tracks.len() == 1
            && tracks.tracks[0].name == "Corner"
            && tracks.tracks[0].markers == FRAMES as u32 - 1,
    )?;
    fails(
        "duplicate track",
        client.run(&TrackingAddTrack {
            clip: "Square".into(),
            name: Some("Corner".into()),
            frame: 1,
            position: [1.0, 1.0],
            ..Default::default()
        }),
        ErrorCode::InvalidArgument,
    )
}

fn masks(client: &Peer) -> Res {
    let made = client.run(&MaskCreate {
        name: "Matte".into(),
        clip: Some("Square".into()),
        ..Default::default()
    })?;
    check(
        "mask size from the clip",
        made.size == Some([W as f64, H as f64]),
    )?;
    client.run(&MaskAddLayer {
        name: "Matte".into(),
        layer: "Box".into(),
        visible_frames: None,
    })?;
    let corners = [[10.0, 10.0], [20.0, 10.0], [20.0, 20.0], [10.0, 20.0]];
    let added = client.run(&MaskAddSpline {
        name: "Matte".into(),
        layer: "Box".into(),
        points: corners
            .iter()
            .map(|&c| SplinePoint::with_handles(c, HandleType::Vector))
            .collect(),
        ..Default::default()
    })?;
    check(
        "spline points",
        added.spline == 0
            && added
                .points
                .iter()
                .zip(&corners)
                .all(|(p, c)| close(&p.co, c, 1e-3) && p.handle_left_type == HandleType::Vector),
    )?;
    let b = client.run(&MaskBounds {
        name: "Matte".into(),
        layer: Some("Box".into()),
        ..Default::default()
    })?;
    check(
        &format!("bounds {b:?}"),
        close(&b.min, &[10.0, 10.0], 1e-3) && close(&b.max, &[20.0, 20.0], 1e-3),
    )?;
    let norm = client.run(&MaskBounds {
        name: "Matte".into(),
        layer: Some("Box".into()),
        space: Some(Space::Normalized),
        ..Default::default()
    })?;
    let (w, h) = (W as f64, H as f64);
    check(
        "normalized bounds",
        close(&norm.min, &[10.0 / w, (10.0 / h - 0.5) * h / w + 0.5], 1e-5),
    )?;
    for f in 1..=3 {
        let layer = client.run(&MaskAddLayer {
            name: "Matte".into(),
            layer: format!("F{f}"),
            visible_frames: Some(vec![f]),
        })?;
        check("keyed layer", layer.visibility_keys.is_some())?;
        let x = square_x(f) as f64;
        client.run(&MaskAddSpline {
            name: "Matte".into(),
            layer: format!("F{f}"),
            points: [[x, 20.0], [x + 8.0, 20.0], [x + 8.0, 28.0], [x, 28.0]]
                .into_iter()
                .map(|c| SplinePoint::with_handles(c, HandleType::Vector))
                .collect(),
            cyclic: Some(true),
            space: Some(Space::Pixels),
        })?;
    }
    let hidden = client.run(&MaskLayerVisibilityKey {
        name: "Matte".into(),
        layer: "Box".into(),
        frame: 1,
        visible: false,
    })?;
    check(
        "visibility key",
        hidden.visibility_keys == Some(vec![(1, false)]),
    )?;
    for f in 1..=3 {
        let fb = client.run(&MaskBounds {
            name: "Matte".into(),
            frame: Some(f),
            ..Default::default()
        })?;
        check(
            &format!("frame {f} bounds {fb:?}"),
            fb.layers == [format!("F{f}")] && close(&fb.min, &[square_x(f) as f64, 20.0], 1e-3),
        )?;
    }
    let layers = client.run(&MaskLayers {
        name: "Matte".into(),
        points: Some(true),
        space: None,
    })?;
    let f2 = layers
        .layers
        .iter()
        .find(|l| l.name == "F2")
        .ok_or("layer F2")?;
    check(
        &format!("F2 keys {:?}", f2.visibility_keys),
        f2.visibility_keys == Some(vec![(1, false), (2, true), (3, false)]),
    )?;
    let splines = f2.spline_points.as_ref().ok_or("points asked for")?;
    check(
        "F2 points",
        splines.len() == 1 && splines[0].cyclic && splines[0].points.len() == 4,
    )?;
    let set = client.run(&MaskLayerSet {
        name: "Matte".into(),
        layer: "Box".into(),
        properties: props(&[("alpha", 0.5.into()), ("invert", true.into())]),
    })?;
    check("mask.layer_set", set.name == "Box")?;
    fails(
        "bad handle",
        client.run(&MaskAddSpline {
            name: "Matte".into(),
            layer: "Box".into(),
            points: vec![],
            ..Default::default()
        }),
        ErrorCode::InvalidArgument,
    )?;
    client.run(&MaskCreate {
        name: "Loose".into(),
        ..Default::default()
    })?;
    client.run(&MaskAddLayer {
        name: "Loose".into(),
        layer: "L".into(),
        visible_frames: None,
    })?;
    fails(
        "pixels without a frame size",
        client.run(&MaskAddSpline {
            name: "Loose".into(),
            layer: "L".into(),
            points: vec![SplinePoint::at([1.0, 1.0])],
            ..Default::default()
        }),
        ErrorCode::InvalidArgument,
    )?;
    client.run(&MaskAddSpline {
        name: "Loose".into(),
        layer: "L".into(),
        points: vec![SplinePoint::at([0.5, 0.5])],
        space: Some(Space::Normalized),
        ..Default::default()
    })?;
    let list = client.run(&MaskList {})?;
    let names: BTreeSet<_> = list.masks.iter().map(|m| m.name.as_str()).collect();
    check("mask.list", names == BTreeSet::from(["Matte", "Loose"]))?;
    check(
        "mask.delete",
        client
            .run(&MaskDelete {
                name: "Loose".into(),
            })?
            .deleted
            == "Loose",
    )
}

fn sequencer(client: &Peer, frames: &[String]) -> Res {
    check(
        "sequencer.ensure",
        client.run(&SequencerEnsure {})?.strips == 0,
    )?;
    let stills = client.run(&SequencerAddImage {
        name: "Stills".into(),
        paths: frames[..3].to_vec(),
        channel: 1,
        frame_start: 1,
    })?;
    check(
        &format!("image strip {stills:?}"),
        stills.kind == "IMAGE" && stills.frame_final_duration == 3,
    )?;
    client.run(&SequencerAddImage {
        name: "Stills2".into(),
        paths: frames[3..].to_vec(),
        channel: 2,
        frame_start: 1,
    })?;
    let text = client.run(&SequencerAddText {
        name: "Title".into(),
        text: "Hello".into(),
        channel: 3,
        frame_start: 1,
        frame_end: 20,
        font_size: Some(40.0),
        color: Some([1.0, 0.0, 0.0, 1.0]),
        location: Some([0.5, 0.2]),
    })?;
    check(
        "text strip",
        text.text.as_deref() == Some("Hello") && text.font_size == Some(40.0),
    )?;
    let black = client.run(&SequencerAddEffect {
        name: "Black".into(),
        kind: EffectType::Color,
        channel: 4,
        frame_start: 1,
        frame_end: Some(5),
        inputs: None,
        properties: Some(props(&[(
            "color",
            Value::Array(vec![0.0.into(), 0.0.into(), 0.0.into()]),
        )])),
    })?;
    check(
        "colour strip",
        black.kind == "COLOR" && black.frame_final_end == 5,
    )?;
    let mix = client.run(&SequencerAddEffect {
        name: "Mix".into(),
        kind: EffectType::Cross,
        channel: 5,
        frame_start: 1,
        frame_end: None,
        inputs: Some(vec!["Stills".into(), "Stills2".into()]),
        properties: None,
    })?;
    check("cross strip", mix.kind == "CROSS")?;
    fails(
        "cross with one input",
        client.run(&SequencerAddEffect {
            name: "Bad".into(),
            kind: EffectType::Cross,
            channel: 6,
            frame_start: 1,
            frame_end: None,
            inputs: Some(vec!["Stills".into()]),
            properties: None,
        }),
        ErrorCode::InvalidArgument,
    )?;
    let got = client.run(&SequencerStripGet {
        name: "Title".into(),
        properties: Some(vec!["use_shadow".into()]),
    })?;
    check(
        "strip_get properties",
        got.properties.as_ref().and_then(|p| p.get("use_shadow")) == Some(&Value::from(false)),
    )?;
    let set = client.run(&SequencerStripSet {
        name: "Title".into(),
        properties: props(&[("text", "Bye".into()), ("mute", true.into())]),
    })?;
    check("strip_set", set.text.as_deref() == Some("Bye") && set.mute)?;
    fails(
        "missing movie",
        client.run(&SequencerAddMovie {
            name: "Shot".into(),
            path: "nonexistent.mp4".into(),
            channel: 7,
            frame_start: 1,
        }),
        ErrorCode::NotFound,
    )?;
    let deleted = client.run(&SequencerDelete {
        names: vec!["Black".into()],
    })?;
    check("sequencer.delete", deleted.deleted == ["Black"])?;
    let names: BTreeSet<String> = client
        .run(&SequencerList {})?
        .strips
        .into_iter()
        .map(|s| s.name)
        .collect();
    check(
        &format!("sequencer.list {names:?}"),
        names == BTreeSet::from(["Stills", "Stills2", "Title", "Mix"].map(String::from)),
    )
}

fn gpencil(client: &Peer) -> Res {
    client.run(&GpencilCreate {
        name: "Notes".into(),
        attach: Some(Attach::Scene),
        clip: None,
    })?;
    client.run(&GpencilCreate {
        name: "ClipNotes".into(),
        attach: Some(Attach::Clip),
        clip: Some("Square".into()),
    })?;
    fails(
        "attach to a clip without one",
        client.run(&GpencilCreate {
            name: "Nowhere".into(),
            attach: Some(Attach::Clip),
            clip: None,
        }),
        ErrorCode::InvalidArgument,
    )?;
    let ink = client.run(&GpencilAddLayer {
        name: "Notes".into(),
        layer: "Ink".into(),
        color: Some([1.0, 0.0, 0.0]),
        thickness: Some(4),
    })?;
    check(
        "layer",
        ink.thickness == 4 && close(&ink.color, &[1.0, 0.0, 0.0], 1e-6),
    )?;
    let stroke = client.run(&GpencilAddStroke {
        name: "Notes".into(),
        layer: "Ink".into(),
        frame: 5,
        points: vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.5]],
        pressure: Some(vec![1.0, 0.5, 0.25]),
        cyclic: Some(true),
    })?;
    check(
        "stroke",
        stroke.points == 3 && stroke.stroke == 0 && stroke.frame == 5,
    )?;
    let strokes = client.run(&GpencilStrokes {
        name: "Notes".into(),
        layer: "Ink".into(),
        frame: 5,
    })?;
    let s = &strokes.strokes[0];
    check(
        "stroke points",
        s.cyclic == Some(true)
            && s.co.shape == [3, 3]
            && s.co.to_f32().as_deref() == Some(&[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.5][..])
            && s.pressure.as_ref().and_then(Array::to_f32).as_deref()
                == Some(&[1.0, 0.5, 0.25][..]),
    )?;
    let frames = client.run(&GpencilFrames {
        name: "Notes".into(),
        layer: "Ink".into(),
    })?;
    check(
        "gpencil.frames",
        frames.frames
            == [AnnotationFrame {
                frame: 5,
                strokes: 1,
            }],
    )?;
    let layers = client.run(&GpencilLayers {
        name: "Notes".into(),
    })?;
    check("gpencil.layers", layers.layers[0].frames == [5])?;
    let list = client.run(&GpencilList {})?;
    check(
        "gpencil.list",
        list.annotations
            .iter()
            .any(|a| a.name == "Notes" && a.layers == ["Ink"]),
    )?;
    fails(
        "no frame 9",
        client.run(&GpencilStrokes {
            name: "Notes".into(),
            layer: "Ink".into(),
            frame: 9,
        }),
        ErrorCode::NotFound,
    )?;
    let emptied = client.run(&GpencilDeleteFrame {
        name: "Notes".into(),
        layer: "Ink".into(),
        frame: 5,
    })?;
    check("gpencil.delete_frame", emptied.frames.is_empty())
}

fn anim(client: &Peer) -> Res {
    client.run(&ObjectCreate {
        kind: ObjectType::Cube,
        name: Some("Box".into()),
        ..Default::default()
    })?;
    for (frame, x) in [(1.0, 0.0), (11.0, 10.0)] {
        client.run(&AnimKeyframeInsert {
            target: AnimTarget::Object,
            name: "Box".into(),
            data_path: "location".into(),
            frame,
            value: Some(KeyValue::Numbers(vec![x, 0.0, 0.0])),
            index: None,
            interpolation: Some(Interpolation::Linear),
        })?;
    }
    let curves = client.run(&AnimKeyframes {
        target: AnimTarget::Object,
        name: "Box".into(),
        data_path: Some("location".into()),
    })?;
    check(
        &format!("fcurves {curves:?}"),
        curves.fcurves.iter().map(|c| c.index).collect::<Vec<_>>() == [0, 1, 2]
            && curves.fcurves[0].keyframes == [[1.0, 0.0], [11.0, 10.0]]
            && curves.fcurves[0].interpolation == ["LINEAR", "LINEAR"],
    )?;
    let mid = client.run(&AnimEvaluate {
        target: AnimTarget::Object,
        name: "Box".into(),
        data_path: "location".into(),
        frame: 6.0,
        index: Some(0),
    })?;
    check("linear midpoint", (mid.value - 5.0).abs() < 1e-6)?;
    let hide = client.run(&AnimKeyframeInsert {
        target: AnimTarget::Object,
        name: "Box".into(),
        data_path: "hide_render".into(),
        frame: 2.0,
        value: Some(KeyValue::Bool(true)),
        index: None,
        interpolation: None,
    })?;
    check(
        "bool key",
        hide.fcurves.len() == 1 && hide.fcurves[0].keyframes == [[2.0, 1.0]],
    )?;
    let scene = client.run(&SceneGet {})?;
    client.run(&AnimKeyframeInsert {
        target: AnimTarget::Scene,
        name: scene.name,
        data_path: "gravity".into(),
        frame: 1.0,
        value: Some(KeyValue::Number(-5.0)),
        index: Some(2),
        interpolation: Some(Interpolation::Constant),
    })?;
    let mask_key = client.run(&AnimKeyframeInsert {
        target: AnimTarget::Mask,
        name: "Matte".into(),
        data_path: "layers[\"Box\"].alpha".into(),
        frame: 4.0,
        value: Some(KeyValue::Number(0.25)),
        index: None,
        interpolation: None,
    })?;
    check(
        "mask layer key",
        mask_key.fcurves[0].keyframes == [[4.0, 0.25]],
    )?;
    let after = client.run(&AnimKeyframeDelete {
        target: AnimTarget::Object,
        name: "Box".into(),
        data_path: "location".into(),
        frame: 11.0,
        index: None,
    })?;
    check("key deleted", after.fcurves[0].keyframes == [[1.0, 0.0]])?;
    fails(
        "no key at 50",
        client.run(&AnimKeyframeDelete {
            target: AnimTarget::Object,
            name: "Box".into(),
            data_path: "location".into(),
            frame: 50.0,
            index: None,
        }),
        ErrorCode::NotFound,
    )?;
    fails(
        "index out of range",
        client.run(&AnimKeyframeInsert {
            target: AnimTarget::Object,
            name: "Box".into(),
            data_path: "location".into(),
            frame: 1.0,
            value: None,
            index: Some(5),
            interpolation: None,
        }),
        ErrorCode::InvalidArgument,
    )
}

fn wm_and_batch(client: &Peer) -> Res {
    check(
        "progress shown",
        client.run(&WmProgress { value: Some(0.25) })?.value == Some(0.25),
    )?;
    check(
        "progress cleared",
        client.run(&WmProgress { value: None })?.value.is_none(),
    )?;
    fails(
        "progress over 1",
        client.run(&WmProgress { value: Some(2.0) }),
        ErrorCode::InvalidArgument,
    )?;

    let out = client.run(&Batch {
        commands: vec![
            BatchEntry::typed(&ObjectCreate {
                kind: ObjectType::Plane,
                name: Some("Floor".into()),
                ..Default::default()
            })?,
            BatchEntry::typed(&ObjectGet {
                name: "Missing".into(),
                ..Default::default()
            })?,
            BatchEntry::typed(&ObjectCreate {
                kind: ObjectType::Plane,
                name: Some("NeverMade".into()),
                ..Default::default()
            })?,
        ],
        stop_on_error: None,
    })?;
    check(
        "batch stops at the first failure",
        out.applied == 1 && out.results.len() == 2,
    )?;
    check(
        "batch result typed",
        out.results[0].typed::<ObjectCreate>()?.name == "Floor",
    )?;
    fails(
        "batch error typed",
        out.results[1].typed::<ObjectGet>(),
        ErrorCode::NotFound,
    )?;
    fails(
        "not made",
        client.run(&ObjectGet {
            name: "NeverMade".into(),
            ..Default::default()
        }),
        ErrorCode::NotFound,
    )?;
    let on = client.run(&Batch {
        commands: vec![
            BatchEntry::typed(&ObjectGet {
                name: "Missing".into(),
                ..Default::default()
            })?,
            BatchEntry::typed(&Ping {})?,
        ],
        stop_on_error: Some(false),
    })?;
    check(
        "batch goes on",
        on.applied == 1 && on.results[1].typed::<Ping>()? == "pong",
    )
}

fn jobs_and_render(client: &Peer, work: &Path, events: &mut EventStream) -> Res {
    client.run(&SceneSet {
        resolution: Some([32, 24]),
        resolution_percentage: Some(100),
        properties: Some(props(&[
            ("render.engine", "CYCLES".into()),
            ("cycles.samples", 1.into()),
            ("cycles.use_denoising", false.into()),
        ])),
        ..Default::default()
    })?;
    let path = work.join("still.png");
    let path = path.to_str().ok_or("non-UTF-8 work dir")?.to_owned();
    let job = client.run(&RenderStill {
        path: path.clone(),
        frame: Some(2),
        engine: Some(RenderEngine::Cycles),
    })?;
    let status = wait_job(client, events, job.job)?;
    check(
        &format!("render done: {status:?}"),
        status.state == JobState::Done && status.kind == "render.still",
    )?;
    let rendered: RenderedPaths = status.result_as().ok_or("render result")?;
    check(
        "render.still wrote its file",
        rendered.paths == [path.clone()] && Path::new(&path).is_file(),
    )?;
    fails(
        "animation path without #",
        client.run(&RenderAnimation {
            path: path.clone(),
            ..Default::default()
        }),
        ErrorCode::InvalidArgument,
    )?;
    let cancelled = client.run(&JobCancel { job: job.job })?;
    check(
        "cancel after the end",
        !cancelled.cancelled && cancelled.state == JobState::Done,
    )?;
    let list = client.run(&JobList {})?;
    check(
        "job.list",
        list.jobs
            .iter()
            .any(|j| j.job == job.job && j.state == JobState::Done),
    )?;
    fails(
        "unknown job",
        client.run(&JobStatus { job: 999_999 }),
        ErrorCode::NotFound,
    )
}

/// A mesh built from typed arrays and read back; custom properties on several kinds.
fn meshes_and_properties(client: &Peer) -> Res {
    let positions = [
        0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 2.0, 0.5, 0.0,
    ];
    let corners = [0, 1, 2, 3, 1, 4, 2];
    let weight = MeshAttribute::new(
        AttributeDomain::Face,
        AttributeType::Float,
        Array::from_f32(vec![2], &[0.25, 0.75]),
    );
    let made = client.run(&MeshCreate {
        name: "Typed".into(),
        positions: Array::from_f32(vec![5, 3], &positions),
        edges: None,
        loop_totals: Some(Array::from_i32(vec![2], &[4, 3])),
        loop_vertices: Some(Array::from_i32(vec![7], &corners)),
        uv_layers: None,
        attributes: Some([("weight".to_owned(), weight.clone())].into()),
        object: Some("TypedObj".into()),
        collection: None,
    })?;
    check(
        "mesh.create",
        made.counts.vertices == 5 && made.counts.polygons == 2 && made.counts.edges == 6,
    )?;
    let got = client.run(&MeshGet {
        object: Some("TypedObj".into()),
        include: Some(vec![
            MeshPart::Positions,
            MeshPart::Polygons,
            MeshPart::PolygonNormals,
        ]),
        attributes: Some(vec!["weight".into()]),
        ..Default::default()
    })?;
    let pos = got.arrays["positions"]
        .to_f32()
        .ok_or("positions are not f4")?;
    check("mesh.get positions", pos == positions)?;
    check(
        "mesh.get corners",
        got.arrays["loop_vertices"].to_i32() == Some(corners.to_vec()),
    )?;
    check("mesh.get attribute", got.attributes["weight"] == weight)?;
    check(
        "mesh.get normals",
        got.arrays["polygon_normals"].shape == [2, 3],
    )?;
    fails(
        "a polygon of two vertices",
        client.run(&MeshSet {
            name: made.mesh.clone(),
            positions: Some(Array::from_f32(vec![5, 3], &positions)),
            loop_totals: Some(Array::from_i32(vec![1], &[2])),
            loop_vertices: Some(Array::from_i32(vec![2], &[0, 1])),
            ..Default::default()
        }),
        ErrorCode::InvalidArgument,
    )?;
    let moved: Vec<f32> = positions.iter().map(|v| v + 1.0).collect();
    let set = client.run(&MeshSet {
        name: made.mesh.clone(),
        positions: Some(Array::from_f32(vec![5, 3], &moved)),
        ..Default::default()
    })?;
    check("mesh.set in place", set.counts == made.counts)?;

    let value = Value::Map(vec![
        ("take".into(), 3.into()),
        ("gains".into(), Value::Array(vec![0.5.into(), 1.5.into()])),
    ]);
    for (kind, name) in [(IdKind::Object, "TypedObj"), (IdKind::Mesh, "Typed")] {
        let stored = client.run(&IdPropertySet {
            kind,
            name: name.into(),
            key: "meta".into(),
            value: value.clone(),
        })?;
        check("id.property_set", stored == value)?;
        let listed = client.run(&IdPropertyList {
            kind,
            name: name.into(),
        })?;
        check(
            "id.property_list",
            listed.properties.get("meta") == Some(&value),
        )?;
        let gone = client.run(&IdPropertyDelete {
            kind,
            name: name.into(),
            key: "meta".into(),
        })?;
        check("id.property_delete", gone.deleted == "meta")?;
        fails(
            "deleted property",
            client.run(&IdPropertyGet {
                kind,
                name: name.into(),
                key: "meta".into(),
            }),
            ErrorCode::NotFound,
        )?;
    }
    Ok(())
}

/// Curves and a point cloud that Blender's operators made (`Fur`, `Dots`: datablocks
/// without objects, from `tests/test_blender_rust_peer.py`'s script) read and written in
/// place with typed commands; built from arrays where this Blender offers it.
fn curves_and_point_clouds(client: &Peer) -> Res {
    let fur = client.run(&CurvesGet {
        curves: Some("Fur".into()),
        include: Some(vec![
            CurvesPart::Positions,
            CurvesPart::Curves,
            CurvesPart::Types,
        ]),
        ..Default::default()
    })?;
    let (n, p) = (fur.counts.curves, fur.counts.points);
    let offsets = fur.arrays["curve_offsets"]
        .to_i32()
        .ok_or("offsets are not i4")?;
    let counts = fur.arrays["point_counts"]
        .to_i32()
        .ok_or("counts are not i4")?;
    check(
        "curves.get offsets",
        offsets.len() as u64 == n + 1
            && offsets.last().map(|&o| o as u64) == Some(p)
            && offsets
                .windows(2)
                .zip(&counts)
                .all(|(w, c)| w[1] - w[0] == *c),
    )?;
    check(
        "curves.get types",
        CurveType::from_array(&fur.arrays["curve_types"])
            .is_some_and(|t| t.len() as u64 == n && t.iter().all(|t| *t == CurveType::CatmullRom)),
    )?;
    let radius = vec![0.25_f32; p as usize];
    let set = client.run(&CurvesSet {
        name: "Fur".into(),
        radius: Some(Array::from_f32(vec![p], &radius)),
        ..Default::default()
    })?;
    check("curves.set in place", set.counts == fur.counts)?;
    let back = client.run(&CurvesGet {
        curves: Some("Fur".into()),
        include: Some(vec![CurvesPart::Radius]),
        ..Default::default()
    })?;
    check(
        "curves.set radius",
        back.arrays["radius"].to_f32() == Some(radius),
    )?;
    fails(
        "curves of the wrong length",
        client.run(&CurvesSet {
            name: "Fur".into(),
            radius: Some(Array::from_f32(vec![1], &[1.0])),
            ..Default::default()
        }),
        ErrorCode::InvalidArgument,
    )?;
    let dots = client.run(&PointCloudGet {
        pointcloud: Some("Dots".into()),
        include: Some(vec![PointCloudPart::Positions, PointCloudPart::Radius]),
        ..Default::default()
    })?;
    check(
        "pointcloud.get",
        dots.counts.points > 0
            && dots.arrays["positions"].shape == [dots.counts.points, 3]
            && dots.arrays["radius"].shape == [dots.counts.points],
    )?;
    let offered = client.run(&Hello {})?.commands;
    let strand = CurvesCreate {
        name: "Strand".into(),
        positions: Array::from_f32(vec![2, 3], &[0.0, 0.0, 0.0, 0.0, 0.0, 1.0]),
        point_counts: Array::from_i32(vec![1], &[2]),
        radius: None,
        curve_types: Some(CurveType::array(&[CurveType::Poly])),
        attributes: None,
        object: None,
        collection: None,
    };
    if offered.iter().any(|c| c == "curves.create") {
        let made = client.run(&strand)?;
        check("curves.create", made.counts.points == 2)?;
    } else {
        fails(
            "curves.create withdrawn",
            client.run(&strand),
            ErrorCode::UnknownCommand,
        )?;
    }
    let pair = PointCloudCreate {
        name: "Pair".into(),
        positions: Array::from_f32(vec![2, 3], &[0.0; 6]),
        radius: None,
        attributes: None,
        object: None,
        collection: None,
    };
    if offered.iter().any(|c| c == "pointcloud.create") {
        check("pointcloud.create", client.run(&pair)?.counts.points == 2)
    } else {
        fails(
            "pointcloud.create withdrawn",
            client.run(&pair),
            ErrorCode::UnknownCommand,
        )
    }
}

fn drive(address: &str, events_address: &str, work: &Path) -> Res {
    let client = Peer::connect(address, Duration::from_secs(60))?;
    let mut events = EventStream::connect(events_address, &["job", "frame"])?;
    sync_events(&client, &mut events)?;
    session(&client)?;
    println!("checked session");
    objects_and_collections(&client)?;
    println!("checked object collection");
    let frames = make_frames(&client, work)?;
    scene_and_images(&client, &frames)?;
    println!("checked scene image");
    clips(&client, &frames, &mut events)?;
    println!("checked clip");
    tracking(&client)?;
    println!("checked tracking");
    masks(&client)?;
    println!("checked mask");
    sequencer(&client, &frames)?;
    println!("checked sequencer");
    gpencil(&client)?;
    println!("checked gpencil");
    anim(&client)?;
    println!("checked anim");
    wm_and_batch(&client)?;
    println!("checked wm batch");
    jobs_and_render(&client, work, &mut events)?;
    println!("checked job render");
    meshes_and_properties(&client)?;
    println!("checked mesh id");
    curves_and_point_clouds(&client)?;
    println!("checked curves pointcloud");
    check("shutdown", client.run(&Shutdown {})?)?;
    println!("typed domains: all checks passed");
    Ok(())
}

#[test]
#[ignore = "needs a running Blender: tests/test_blender_rust_peer.py runs it"]
fn typed_commands_drive_every_domain_of_a_real_blender() {
    let [address, events, work] = blender_under_test().expect(
        "NNGBRIDGE_TEST_ADDRESS, NNGBRIDGE_TEST_EVENTS and NNGBRIDGE_TEST_WORK name the Blender",
    );
    if let Err(e) = drive(&address, &events, Path::new(&work)) {
        panic!("typed domains: {e}");
    }
}
