//! A Rust peer driving the Blender add-on with typed commands:
//! `drive_blender <requests-address> [<ca.pem> <cert.pem> <key.pem>]`. Exits non-zero if
//! Blender answers wrongly. The token is the one Blender wrote for that address
//! (`SceneClient::connect_local_with`); with the three PEM files, over `tls+tcp://` with
//! a client certificate.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use nngbridge_scene::commands::*;
use nngbridge_scene::{Array, CallError, ErrorCode, SceneClient, TlsConfig, TlsMode};

fn check(what: &str, ok: bool) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("check failed: {what}"))
    }
}

fn drive(address: &str, tls: Option<&TlsConfig>) -> Result<(), Box<dyn std::error::Error>> {
    let client =
        SceneClient::connect_local_with(address, tls)?.with_timeout(Duration::from_secs(30));
    let hello = client.run(&Hello {})?;
    check("protocol 1", hello.protocol == 1)?;
    check(
        "object.create listed",
        hello.commands.iter().any(|c| c == "object.create"),
    )?;

    let made = client.run(&ObjectCreate {
        kind: ObjectType::Cube,
        name: Some("RustBox".into()),
        collection: Some("FromRust".into()),
        location: Some([1.0, 2.0, 3.0]),
        ..Default::default()
    })?;
    let info = client.run(&ObjectGet {
        name: made.name.clone(),
        ..Default::default()
    })?;
    check("location", info.location == [1.0, 2.0, 3.0])?;
    check("collection", info.collections == ["FromRust"])?;
    let moved = client.run(&ObjectSet {
        name: made.name.clone(),
        scale: Some([2.0; 3]),
        ..Default::default()
    })?;
    check("scale", moved.scale == [2.0; 3])?;

    let scene = client.run(&SceneSet {
        frame_current: Some(7),
        resolution: Some([320, 240]),
        ..Default::default()
    })?;
    check(
        "frame",
        scene.frame_current == 7 && scene.resolution == [320, 240],
    )?;

    client.run(&ImageNew {
        name: "RustPlate".into(),
        width: 16,
        height: 8,
        ..Default::default()
    })?;
    let values: Vec<f32> = (0..16 * 8 * 4).map(|i| i as f32 / 512.0).collect();
    client.run(&ImagePixelsSet {
        name: "RustPlate".into(),
        pixels: Array::from_f32(vec![8, 16, 4], &values),
    })?;
    let t = Instant::now();
    let px = client.run(&ImagePixelsGet {
        name: "RustPlate".into(),
    })?;
    let pixels_time = t.elapsed();
    check(
        "pixels round trip",
        px.to_f32().as_deref() == Some(&values[..]),
    )?;
    check("pixels shape", px.shape == [8, 16, 4])?;

    match client.run(&ObjectGet {
        name: "NoSuchObject".into(),
        ..Default::default()
    }) {
        Err(CallError::Server(e)) => check("NOT_FOUND", e.code == ErrorCode::NotFound)?,
        other => return Err(format!("expected NOT_FOUND, got {other:?}").into()),
    }
    let deleted = client.run(&ObjectDelete {
        names: vec![made.name.clone()],
    })?;
    check("deleted", deleted.deleted == [made.name])?;

    let n = 200;
    let t0 = Instant::now();
    for _ in 0..n {
        client.run(&Ping {})?;
    }
    println!(
        "rust peer: all checks passed; ping round trip {:.0} us; pixels_get {:.2} ms",
        t0.elapsed().as_secs_f64() * 1e6 / f64::from(n),
        pixels_time.as_secs_f64() * 1e3
    );
    Ok(())
}

/// A client TLS configuration for `tls+tcp://localhost` servers signed by `ca`, with a
/// client certificate.
fn client_tls(ca: &str, cert: &str, key: &str) -> Result<TlsConfig, Box<dyn std::error::Error>> {
    let cfg = TlsConfig::new(TlsMode::Client)?;
    cfg.add_ca_file(std::path::Path::new(ca))?;
    cfg.set_server_name("localhost")?;
    cfg.set_own_cert(
        &std::fs::read_to_string(cert)?,
        &std::fs::read_to_string(key)?,
        None,
    )?;
    Ok(cfg)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (address, tls) = match args.as_slice() {
        [address] => (address, None),
        [address, ca, cert, key] => match client_tls(ca, cert, key) {
            Ok(cfg) => (address, Some(cfg)),
            Err(e) => {
                eprintln!("rust peer: TLS: {e}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("usage: drive_blender <requests-address> [<ca.pem> <cert.pem> <key.pem>]");
            return ExitCode::from(2);
        }
    };
    match drive(address, tls.as_ref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rust peer: {e}");
            ExitCode::FAILURE
        }
    }
}
