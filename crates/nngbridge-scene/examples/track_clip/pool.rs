//! `track_clip pool TOKEN SOLO POOL WORKERS MOVIE KILL_PID`: the tracking pass over a pool
//! of Blender workers (`nngbridge_scene::Pool`, docs/pool.md). Two pools: SOLO (one
//! worker: the baseline) and POOL (WORKERS workers). Each worker loads MOVIE (a setup
//! command: a worker that joins later, e.g. a restarted Blender, loads it before its
//! first frame), every frame's pixels are pulled from whichever worker NNG gives it to,
//! the shape is found and checked against the truth. Half-way through the POOL pass the
//! worker with process id KILL_PID is killed with SIGKILL on purpose: its frames in
//! flight are re-sent to the others, and every frame must still be checked exactly once.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use nngbridge_scene::commands::Clip;
use nngbridge_scene::pool::{typed, Pool, PoolOptions};
use nngbridge_scene::{Array, Value};

use super::{find_shape, truth, Result, FRAMES, HEIGHT, TOLERANCE, WIDTH};

/// One pass's figures.
struct Pass {
    wall: Duration,
    by_worker: BTreeMap<String, u64>,
    resent: u64,
    replayed: u64,
    lost: usize,
    duplicates: usize,
    worst: f64,
}

fn pass(pool: &Pool, workers: usize, movie: &str, kill_pid: Option<&str>) -> Result<Pass> {
    pool.wait_for_workers(workers, Duration::from_secs(300))?;
    let load = Value::Map(vec![
        ("path".into(), movie.into()),
        ("name".into(), "Shape".into()),
    ]);
    let loaded = pool.setup("clip.load", load, Duration::from_secs(120))?;
    if loaded.len() < workers {
        return Err(format!("{} of {workers} workers loaded the clip", loaded.len()).into());
    }
    let mut first = None;
    for (worker, outcome) in loaded {
        let info: Clip = typed(outcome?)?;
        if info.size != [WIDTH as u32, HEIGHT as u32] || info.frame_duration != i64::from(FRAMES) {
            return Err(format!("{worker} reads the movie as {:?}", info.size).into());
        }
        first = Some(info.frame_start);
    }
    let first = first.ok_or("no worker")?;
    let before = pool.stats();
    let started = Instant::now();
    // Frames in an order that lets NNG's round robin give each worker a run of
    // consecutive frames (a movie decodes forwards cheaply; seeking costs a keyframe's
    // worth of decoding). Correctness does not depend on it: any worker may get any frame.
    let runs = FRAMES.div_ceil(workers as u32);
    let order: Vec<u32> = (0..runs)
        .flat_map(|k| (0..workers as u32).map(move |w| w * runs + k))
        .filter(|&i| i < FRAMES)
        .collect();
    let frames = order.clone().into_iter().map(|i| {
        Value::Map(vec![
            ("name".into(), "Shape".into()),
            ("frame".into(), (first + i64::from(i)).into()),
        ])
    });
    let mut seen = vec![0u32; FRAMES as usize];
    let (mut worst, mut lost, mut done) = (0.0f64, 0usize, 0u32);
    for r in pool.map_unordered("clip.frame_pixels", frames) {
        done += 1;
        if let (Some(pid), true) = (kill_pid, done == FRAMES / 2) {
            let status = std::process::Command::new("kill")
                .args(["-9", pid])
                .status()?;
            println!("killed worker process {pid} after {done} frames ({status})");
        }
        let index = order[r.index] as usize;
        seen[index] += 1;
        let pixels: Array = match r.typed() {
            Ok(pixels) => pixels,
            Err(e) => {
                eprintln!("frame {}: {e}", index + 1);
                lost += 1;
                continue;
            }
        };
        let found = find_shape(&pixels)?;
        let (tx, ty) = truth(index as u32 + 1);
        worst = worst.max((found.x - tx).hypot(found.y - ty));
    }
    let wall = started.elapsed();
    let after = pool.stats();
    let by_worker = after
        .by_worker
        .iter()
        .map(|(w, n)| (w.clone(), n - before.by_worker.get(w).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    Ok(Pass {
        wall,
        by_worker,
        resent: after.resent - before.resent,
        replayed: after.replayed - before.replayed,
        lost: lost.max(seen.iter().filter(|&&n| n == 0).count()),
        duplicates: seen.iter().map(|&n| n.saturating_sub(1) as usize).sum(),
        worst,
    })
}

pub fn run(
    token: &str,
    solo: &str,
    pool: &str,
    workers: &str,
    movie: &str,
    kill_pid: &str,
) -> Result<bool> {
    let workers: usize = workers.parse()?;
    let opts = PoolOptions {
        token: Some(token.into()),
        deadline: Duration::from_secs(60),
        ..Default::default()
    };
    let solo_pool = Pool::listen(solo, opts.clone())?;
    let many = Pool::listen(pool, opts)?;
    println!("pools listening: {solo} (1 worker), {pool} ({workers} workers)");
    let one = pass(&solo_pool, 1, movie, None)?;
    drop(solo_pool);
    let all = pass(&many, workers, movie, Some(kill_pid))?;

    println!("\n=== pool tracking summary ===");
    println!(
        "frames                       {FRAMES} of {WIDTH}x{HEIGHT}, each checked against the truth"
    );
    for (w, n) in &all.by_worker {
        println!("frames by {w:<18} {n}");
    }
    println!(
        "tasks re-sent                {} (replayed from a worker's store: {})",
        all.resent, all.replayed
    );
    println!("lost                         {}", all.lost);
    println!("duplicates                   {}", all.duplicates);
    println!(
        "wall time                    {:.2} s with {workers} workers (one killed half-way), {:.2} s with 1 worker: x{:.2}",
        all.wall.as_secs_f64(),
        one.wall.as_secs_f64(),
        one.wall.as_secs_f64() / all.wall.as_secs_f64().max(1e-9)
    );
    let worst = one.worst.max(all.worst);
    let ok = worst <= TOLERANCE && all.lost == 0 && all.duplicates == 0 && one.lost == 0;
    println!(
        "result                       {} (largest error {worst:.3} px, tolerance {TOLERANCE} px{})",
        if ok { "OK" } else { "FAILED" },
        if all.resent == 0 {
            "; nothing was in flight on the killed worker"
        } else {
            ""
        }
    );
    Ok(ok)
}
