//! `track_clip range ADDRESS MOVIE FIRST COUNT`: the tracking pass over frames FIRST ..
//! FIRST + COUNT - 1 of MOVIE (1-based, as `truth` counts them) on the Blender serving
//! ADDRESS, loading the clip only if that Blender has not yet: a farm task
//! (scripts/openjd/tracking-pass.yaml, docs/farm.md), one of many sent to a Blender that
//! stays open between tasks.

use std::time::Duration;

use nngbridge_scene::commands::{ClipFramePixels, ClipInfo, ClipLoad};
use nngbridge_scene::{CallError, ErrorCode, SceneClient};

use super::{find_shape, truth, Result, FRAMES, TOLERANCE};

pub fn run(address: &str, movie: &str, first: &str, count: &str) -> Result<bool> {
    let (first, count): (u32, u32) = (first.parse()?, count.parse()?);
    if first == 0 || first > FRAMES {
        return Err(format!("FIRST must be 1..={FRAMES}").into());
    }
    let last = (first + count.max(1) - 1).min(FRAMES);
    let client = SceneClient::connect_local(address)?.with_timeout(Duration::from_secs(60));
    let name = "Shape".to_owned();
    let clip = match client.run(&ClipInfo { name: name.clone() }) {
        Err(CallError::Server(e)) if e.code == ErrorCode::NotFound => {
            println!("loading {movie} (first task of this Blender)");
            client.run(&ClipLoad {
                path: movie.into(),
                name: Some(name.clone()),
            })?
        }
        other => other?,
    };
    let mut worst = 0.0f64;
    for f in first..=last {
        let pixels = client.run(&ClipFramePixels {
            name: name.clone(),
            frame: clip.frame_start + i64::from(f - 1),
        })?;
        let found = find_shape(&pixels)?;
        let (tx, ty) = truth(f);
        worst = worst.max((found.x - tx).hypot(found.y - ty));
    }
    let ok = worst <= TOLERANCE;
    println!(
        "frames {first}-{last}: largest error {worst:.3} px (tolerance {TOLERANCE} px): {}",
        if ok { "OK" } else { "FAILED" }
    );
    Ok(ok)
}
