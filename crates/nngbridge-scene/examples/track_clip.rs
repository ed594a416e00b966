//! The main job's tracking pass, a Rust peer doing what an ML service does with footage:
//!
//! * `track_clip frames DIR` writes the frames of a generated clip (a bright disk moving over
//!   a dark, noisy background) as `DIR/frame_0001.bmp` ...; the launcher has Blender encode them
//!   into a movie (scripts/blender-demo.py). `DIR/clip.json` describes the clip for other
//!   peers (examples/track_clip.py): its size, frames, the disk's radius and levels, and the
//!   truth, the disk's centre on each frame;
//! * `track_clip track ADDRESS MOVIE` loads the movie into the Blender serving `ADDRESS`, pulls
//!   every frame's pixels, finds the disk, writes a keyframed mask around it and a tracking
//!   marker on it, reads both back and checks them against the truth, and prints a summary.
//!   MOVIE must be in a directory the server allows (a relative path is in its work
//!   directory: `session.hello`'s `files`); the token is the one Blender wrote for ADDRESS.
//!
//! Exits non-zero when an error exceeds [`TOLERANCE`] pixels or Blender answers wrongly.

use std::error::Error;
use std::f64::consts::TAU;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use nngbridge_scene::commands::*;
use nngbridge_scene::{Array, SceneClient};

/// Frames in the clip.
const FRAMES: u32 = 48;
/// Frame size in pixels.
const WIDTH: usize = 960;
const HEIGHT: usize = 540;
/// The disk's radius in pixels.
const RADIUS: f64 = 24.0;
/// The 8-bit levels: the background stays under the first, the disk is the second.
const LEVELS: (f64, f64) = (60.0, 240.0);
/// Names of what the peer makes in Blender.
const MASK: &str = "ShapeMask";
const LAYER: &str = "shape";
const TRACK: &str = "Shape";
/// How far outside the disk the mask runs, in pixels.
const MARGIN: f64 = 8.0;
/// The largest error in pixels the check accepts (a lossless H.264 round trip keeps the
/// luma exact; the estimate's own error is ~0.05 px).
const TOLERANCE: f64 = 0.5;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// `track_clip pool ...`: the same pass over a pool of workers (`--workers` of main-job.sh).
#[path = "track_clip/pool.rs"]
mod pool;
/// `track_clip range ...`: a frame range on a Blender that stays open (a farm task).
#[path = "track_clip/range.rs"]
mod range;

/// Where the disk's centre is on `frame` (1-based), in Blender's pixel space: x to the right,
/// y up from the bottom edge, pixel (i, j) covering [i, i+1) x [j, j+1).
fn truth(frame: u32) -> (f64, f64) {
    let t = f64::from(frame - 1) / f64::from(FRAMES - 1);
    (160.0 + 640.0 * t, 270.0 + 150.0 * (TAU * t).sin())
}

/// A repeatable noise value in [0, 1).
fn noise(seed: &mut u64) -> f64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*seed >> 11) as f64 / (1u64 << 53) as f64
}

/// One frame as 8-bit grey, rows bottom-up; the disk is anti-aliased by 4x4 supersampling.
fn render(frame: u32) -> Vec<u8> {
    let (cx, cy) = truth(frame);
    let mut seed = u64::from(frame).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut out = vec![0u8; WIDTH * HEIGHT];
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let mut inside = 0u32;
            if (x as f64 + 0.5 - cx).abs() <= RADIUS + 1.0
                && (y as f64 + 0.5 - cy).abs() <= RADIUS + 1.0
            {
                for sy in 0..4 {
                    for sx in 0..4 {
                        let px = x as f64 + (f64::from(sx) + 0.5) / 4.0 - cx;
                        let py = y as f64 + (f64::from(sy) + 0.5) / 4.0 - cy;
                        inside += u32::from(px * px + py * py <= RADIUS * RADIUS);
                    }
                }
            }
            let background = 20.0 + 25.0 * x as f64 / WIDTH as f64 + 12.0 * noise(&mut seed);
            let cover = f64::from(inside) / 16.0;
            out[y * WIDTH + x] = (background * (1.0 - cover) + LEVELS.1 * cover).round() as u8;
        }
    }
    out
}

/// A 24-bit uncompressed BMP (bottom-up rows, as `grey` is).
fn bmp(grey: &[u8]) -> Vec<u8> {
    let row = (WIDTH * 3).div_ceil(4) * 4;
    let size = 54 + row * HEIGHT;
    let mut b = Vec::with_capacity(size);
    b.extend_from_slice(b"BM");
    for v in [size as u32, 0, 54, 40, WIDTH as u32, HEIGHT as u32] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&1u16.to_le_bytes()); // planes
    b.extend_from_slice(&24u16.to_le_bytes()); // bits per pixel
    for v in [0u32, (row * HEIGHT) as u32, 2835, 2835, 0, 0] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    for y in 0..HEIGHT {
        for &g in &grey[y * WIDTH..(y + 1) * WIDTH] {
            b.extend_from_slice(&[g, g, g]);
        }
        b.resize(b.len() + row - WIDTH * 3, 0);
    }
    b
}

fn write_frames(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    for f in 1..=FRAMES {
        std::fs::write(dir.join(format!("frame_{f:04}.bmp")), bmp(&render(f)))?;
    }
    let clip = serde_json::json!({
        "frames": FRAMES,
        "width": WIDTH,
        "height": HEIGHT,
        "radius": RADIUS,
        "levels": [LEVELS.0, LEVELS.1],
        "truth": (1..=FRAMES).map(|f| [truth(f).0, truth(f).1]).collect::<Vec<_>>(),
    });
    std::fs::write(dir.join("clip.json"), format!("{clip}\n"))?;
    println!(
        "wrote {FRAMES} frames of {WIDTH}x{HEIGHT} to {}",
        dir.display()
    );
    Ok(())
}

/// The disk found in a frame: centre and radius, in pixels.
#[derive(Debug, Clone, Copy)]
struct Found {
    x: f64,
    y: f64,
    radius: f64,
}

/// Finds the bright shape in float RGBA pixels `[h, w, 4]` (rows bottom-up): the
/// coverage-weighted centroid of the pixels brighter than the background, and the radius
/// of a disk of the same area.
fn find_shape(pixels: &Array) -> Result<Found> {
    let [h, w, c] = pixels.shape[..] else {
        return Err(format!("pixels have shape {:?}, not [h, w, c]", pixels.shape).into());
    };
    let (h, w, c) = (h as usize, w as usize, c as usize);
    if pixels.dtype != "f4" || pixels.data.len() != h * w * c * 4 || c < 3 {
        return Err(format!(
            "pixels are {} {:?}, not f4 RGB(A)",
            pixels.dtype, pixels.shape
        )
        .into());
    }
    let (low, high) = (LEVELS.0 / 255.0, LEVELS.1 / 255.0);
    let (mut sum, mut sx, mut sy) = (0.0f64, 0.0f64, 0.0f64);
    for (i, px) in pixels.data.chunks_exact(c * 4).enumerate() {
        let g = f32::from_le_bytes([px[4], px[5], px[6], px[7]]) as f64; // green ~ luma
        if g > low {
            let weight = ((g - low) / (high - low)).min(1.0);
            sum += weight;
            sx += weight * ((i % w) as f64 + 0.5);
            sy += weight * ((i / w) as f64 + 0.5);
        }
    }
    if sum < 1.0 {
        return Err("no bright shape in the frame".into());
    }
    Ok(Found {
        x: sx / sum,
        y: sy / sum,
        radius: (sum / std::f64::consts::PI).sqrt(),
    })
}

/// Runs `commands` as one batch that stops at the first error.
fn batch(client: &SceneClient, commands: Vec<BatchEntry>) -> Result<Vec<BatchItem>> {
    let sent = commands.len();
    let out = client.run(&Batch {
        commands,
        stop_on_error: Some(true),
    })?;
    if let Some(failed) = out.results.iter().find(|r| !r.ok) {
        return Err(format!("a batch entry failed: {:?}", failed.error).into());
    }
    if out.results.len() != sent {
        return Err(format!("{sent} commands sent, {} answered", out.results.len()).into());
    }
    Ok(out.results)
}

/// A circle of four AUTO points around `f`: its curve's box is exactly centre ± radius.
fn circle(f: Found, radius: f64) -> Vec<SplinePoint> {
    [(1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0)]
        .iter()
        .map(|(dx, dy)| {
            SplinePoint::with_handles([f.x + dx * radius, f.y + dy * radius], HandleType::Auto)
        })
        .collect()
}

/// Per-frame figures for the summary.
#[derive(Default)]
struct Stats {
    fetch: Duration,
    find: Duration,
    write: Duration,
    bytes: usize,
    found_err: Vec<f64>,
    marker_err: Vec<f64>,
    mask_err: Vec<f64>,
}

fn summary(name: &str, errors: &[f64]) -> String {
    let max = errors.iter().copied().fold(0.0, f64::max);
    let mean = errors.iter().sum::<f64>() / errors.len().max(1) as f64;
    format!("{name:<28} mean {mean:.3} px, max {max:.3} px")
}

fn per_frame(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3 / f64::from(FRAMES))
}

fn track(address: &str, movie: &str) -> Result<bool> {
    let client = SceneClient::connect_local(address)?.with_timeout(Duration::from_secs(60));
    let started = Instant::now();
    let clip = client.run(&ClipLoad {
        path: movie.into(),
        name: Some("Shape".into()),
    })?;
    if clip.size != [WIDTH as u32, HEIGHT as u32] || clip.frame_duration != i64::from(FRAMES) {
        return Err(format!(
            "Blender reads the movie as {:?} with {} frames, expected {WIDTH}x{HEIGHT} with {FRAMES}",
            clip.size, clip.frame_duration
        )
        .into());
    }
    let first = clip.frame_start;
    let last = first + i64::from(FRAMES) - 1;
    client.run(&SceneSet {
        frame_start: Some(first),
        frame_end: Some(last),
        ..Default::default()
    })?;
    println!(
        "loaded {} ({:?}, {} frames of {}x{})",
        clip.name, clip.source, clip.frame_duration, clip.size[0], clip.size[1]
    );
    let mut stats = Stats::default();
    for i in 0..FRAMES {
        let frame = first + i64::from(i);
        let t = Instant::now();
        let pixels = client.run(&ClipFramePixels {
            name: clip.name.clone(),
            frame,
        })?;
        stats.fetch += t.elapsed();
        stats.bytes += pixels.data.len();
        let t = Instant::now();
        let found = find_shape(&pixels)?;
        stats.find += t.elapsed();
        let (tx, ty) = truth(i + 1);
        stats.found_err.push((found.x - tx).hypot(found.y - ty));

        let t = Instant::now();
        let points = circle(found, found.radius + MARGIN);
        let mut commands = Vec::new();
        if i == 0 {
            let pattern = 2.0 * (found.radius + MARGIN);
            commands.push(BatchEntry::typed(&MaskCreate {
                name: MASK.into(),
                clip: Some(clip.name.clone()),
                ..Default::default()
            })?);
            commands.push(BatchEntry::typed(&MaskAddLayer {
                name: MASK.into(),
                layer: LAYER.into(),
                ..Default::default()
            })?);
            commands.push(BatchEntry::typed(&MaskAddSpline {
                name: MASK.into(),
                layer: LAYER.into(),
                points: points.clone(),
                cyclic: Some(true),
                ..Default::default()
            })?);
            commands.push(BatchEntry::typed(&TrackingAddTrack {
                clip: clip.name.clone(),
                frame,
                position: [found.x, found.y],
                name: Some(TRACK.into()),
                pattern_size: Some([pattern; 2]),
                search_size: Some([3.0 * pattern; 2]),
            })?);
        }
        commands.push(BatchEntry::typed(&MaskKeySpline {
            name: MASK.into(),
            layer: LAYER.into(),
            frame,
            points,
            ..Default::default()
        })?);
        commands.push(BatchEntry::typed(&TrackingMarkersSet {
            clip: clip.name.clone(),
            track: TRACK.into(),
            markers: vec![MarkerSet::at(frame, [found.x, found.y])],
        })?);
        batch(&client, commands)?;
        stats.write += t.elapsed();
    }

    // Read back what Blender now holds and compare it with the truth.
    let frames: Vec<i64> = (first..=last).collect();
    let bounds = frames
        .iter()
        .map(|&frame| {
            BatchEntry::typed(&MaskBounds {
                name: MASK.into(),
                layer: Some(LAYER.into()),
                frame: Some(frame),
                ..Default::default()
            })
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let boxes = batch(&client, bounds)?
        .iter()
        .map(BatchItem::typed::<MaskBounds>)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let markers = frames
        .iter()
        .map(|&frame| {
            BatchEntry::typed(&TrackingMarkersGet {
                clip: clip.name.clone(),
                track: TRACK.into(),
                frame: Some(frame),
            })
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let markers = batch(&client, markers)?
        .iter()
        .map(BatchItem::typed::<TrackingMarkersGet>)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    for (i, (b, m)) in boxes.iter().zip(&markers).enumerate() {
        let (tx, ty) = truth(i as u32 + 1);
        let r = RADIUS + MARGIN;
        let want = [tx - r, ty - r, tx + r, ty + r];
        let got = [b.min[0], b.min[1], b.max[0], b.max[1]];
        let err = want
            .iter()
            .zip(got)
            .map(|(w, g)| (w - g).abs())
            .fold(0.0, f64::max);
        stats.mask_err.push(err);
        let marker = m
            .markers
            .iter()
            .find(|k| k.frame == frames[i])
            .ok_or_else(|| format!("no marker on frame {}", frames[i]))?;
        stats
            .marker_err
            .push((marker.position[0] - tx).hypot(marker.position[1] - ty));
    }
    let total = started.elapsed();

    println!("\n=== tracking summary ===");
    println!(
        "frames                       {FRAMES} of {WIDTH}x{HEIGHT} RGBA float ({:.1} MiB per frame)",
        stats.bytes as f64 / f64::from(FRAMES) / (1 << 20) as f64
    );
    println!("{}", summary("shape centre (found)", &stats.found_err));
    println!(
        "{}",
        summary("tracking marker (read back)", &stats.marker_err)
    );
    println!("{}", summary("mask bounds (read back)", &stats.mask_err));
    println!(
        "per frame                    pull pixels {}, find {}, write mask+marker {}",
        per_frame(stats.fetch),
        per_frame(stats.find),
        per_frame(stats.write)
    );
    println!(
        "total                        {:.2} s ({} per frame)",
        total.as_secs_f64(),
        per_frame(total)
    );
    let worst = [&stats.found_err, &stats.marker_err, &stats.mask_err]
        .iter()
        .flat_map(|v| v.iter())
        .copied()
        .fold(0.0, f64::max);
    let ok = worst <= TOLERANCE;
    println!(
        "result                       {} (largest error {worst:.3} px, tolerance {TOLERANCE} px)",
        if ok { "OK" } else { "FAILED" }
    );
    Ok(ok)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["frames", dir] => write_frames(Path::new(dir)).map(|()| true),
        ["track", address, movie] => track(address, movie),
        ["range", address, movie, first, count] => range::run(address, movie, first, count),
        ["pool", token, solo, many, workers, movie, kill_pid] => {
            pool::run(token, solo, many, workers, movie, kill_pid)
        }
        _ => {
            eprintln!(
                "usage: track_clip frames DIR | track_clip track ADDRESS MOVIE | \
                 track_clip pool TOKEN SOLO POOL WORKERS MOVIE KILL_PID | \
                 track_clip range ADDRESS MOVIE FIRST COUNT"
            );
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("track_clip: {e}");
            ExitCode::FAILURE
        }
    }
}
