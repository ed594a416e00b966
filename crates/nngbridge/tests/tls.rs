//! tls+tcp:// end to end: a CA and certificates made with the openssl CLI, a real
//! handshake over loopback, client-certificate authentication, and the failures.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use nngbridge::{
    Error, OptValue, Options, Protocol, Socket, SocketAddr, TlsAuthMode, TlsConfig, TlsMode,
};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl CLI runs");
    assert!(out.status.success(), "openssl {args:?}: {out:?}");
}

/// ca.pem, and for each name a certificate `<name>.pem` with key `<name>.key`, signed by
/// the CA, with CN = name and a SAN for localhost/127.0.0.1.
fn make_pki(dir: &Path, ca: &str, names: &[&str]) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{ca}.key"),
            "-out",
            &format!("{ca}.pem"),
            "-days",
            "2",
            "-subj",
            &format!("/CN={ca}"),
        ],
    );
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    for n in names {
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &format!("{n}.key"),
                "-out",
                &format!("{n}.csr"),
                "-subj",
                &format!("/CN={n}"),
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{n}.csr"),
                "-CA",
                &format!("{ca}.pem"),
                "-CAkey",
                &format!("{ca}.key"),
                "-CAcreateserial",
                "-out",
                &format!("{n}.pem"),
                "-days",
                "2",
                "-extfile",
                "san.ext",
            ],
        );
    }
}

fn read(dir: &Path, f: &str) -> String {
    std::fs::read_to_string(dir.join(f)).unwrap()
}

fn port(l: nngbridge::Listener) -> u16 {
    match l.local_address().unwrap() {
        SocketAddr::Inet(a) => a.port(),
        other => panic!("{other:?}"),
    }
}

fn pair(timeout_ms: i32) -> Socket {
    let s = Socket::new(Protocol::Pair0).unwrap();
    s.set_opt("recv_timeout", OptValue::Ms(timeout_ms)).unwrap();
    s.set_opt("send_timeout", OptValue::Ms(timeout_ms)).unwrap();
    s
}

#[test]
fn mutual_tls_round_trip_and_failures() {
    let tmp = std::env::temp_dir().join(format!("nngbridge-tls-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    make_pki(&tmp, "ca", &["server", "client"]);
    make_pki(&tmp, "otherca", &[]);

    let server_cfg = TlsConfig::new(TlsMode::Server).unwrap();
    server_cfg
        .set_own_cert(&read(&tmp, "server.pem"), &read(&tmp, "server.key"), None)
        .unwrap();
    server_cfg
        .set_ca_chain(&read(&tmp, "ca.pem"), None)
        .unwrap();
    server_cfg.set_auth_mode(TlsAuthMode::Required).unwrap();
    let server = pair(5000);
    server.set_tls(&server_cfg).unwrap();
    let l = server.listen("tls+tcp://127.0.0.1:0").unwrap();
    let url = format!("tls+tcp://127.0.0.1:{}", port(l));
    // Used by a started listener: NNG freezes the configuration.
    assert_eq!(server_cfg.set_server_name("x").unwrap_err(), Error::Busy);

    let client_cfg = TlsConfig::new(TlsMode::Client).unwrap();
    client_cfg.add_ca_file(&tmp.join("ca.pem")).unwrap();
    client_cfg.set_server_name("localhost").unwrap();
    client_cfg
        .set_own_cert(&read(&tmp, "client.pem"), &read(&tmp, "client.key"), None)
        .unwrap();
    let client = pair(5000);
    let d = client.dialer_create(&url).unwrap();
    d.set_tls(&client_cfg).unwrap();
    d.start(false).unwrap();

    client.send(b"hello").unwrap();
    let msg = server.recv().unwrap();
    assert_eq!(msg.body(), b"hello");
    let pipe = msg.pipe().unwrap();
    assert_eq!(pipe.get_opt("tls_verified").unwrap(), OptValue::Bool(true));
    assert_eq!(
        pipe.get_opt("tls_peer_cn").unwrap(),
        OptValue::Str("client".into())
    );

    // A CA that did not sign the server: the dial fails, no pipe is left behind.
    let wrong = TlsConfig::new(TlsMode::Client).unwrap();
    wrong
        .set_ca_chain(&read(&tmp, "otherca.pem"), None)
        .unwrap();
    let bad = pair(300);
    bad.set_tls(&wrong).unwrap();
    let err = bad.dial(&url).unwrap_err();
    assert!(
        matches!(
            err,
            Error::CryptoError
                | Error::AuthenticationError
                | Error::ConnectionShutdown
                | Error::Closed
                | Error::ConnectionReset
        ),
        "{err:?}"
    );
    assert_eq!(bad.recv().unwrap_err(), Error::Timeout);

    // No client certificate while the server requires one: no usable pipe either.
    let anon = TlsConfig::new(TlsMode::Client).unwrap();
    anon.set_ca_chain(&read(&tmp, "ca.pem"), None).unwrap();
    anon.set_server_name("localhost").unwrap();
    let nocert = pair(300);
    nocert.set_tls(&anon).unwrap();
    // (With TLS 1.3 the client may finish first and even send: the server drops it.)
    let _ = nocert.dial(&url);
    let _ = nocert.send(b"x");
    server.set_opt("recv_timeout", OptValue::Ms(500)).unwrap();
    assert_eq!(server.recv().unwrap_err(), Error::Timeout);

    // The established pipe still works after the failed handshakes.
    server.send(b"still here").unwrap();
    assert_eq!(client.recv().unwrap().body(), b"still here");
    let _ = std::fs::remove_dir_all(&tmp);
}
