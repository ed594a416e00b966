//! The client a real-Blender scenario drives: the blocking `SceneClient`, or, with
//! `NNGBRIDGE_TEST_ASYNC=1`, `AsyncSceneClient` with each call awaited on a tokio runtime
//! (tests/test_blender_rust_peer.py and tests/test_blender_materials_io.py run both).

use std::time::Duration;

use nngbridge_scene::{AsyncSceneClient, CallError, Command, SceneClient};

pub enum Peer {
    Blocking(SceneClient),
    Async(AsyncSceneClient, tokio::runtime::Runtime),
}

impl Peer {
    /// Connects to a local `address` (its token file found) and says which client it is.
    pub fn connect(address: &str, timeout: Duration) -> Result<Peer, Box<dyn std::error::Error>> {
        let blocking = SceneClient::connect_local(address)?.with_timeout(timeout);
        Ok(if std::env::var_os("NNGBRIDGE_TEST_ASYNC").is_some() {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            println!("client: AsyncSceneClient");
            Peer::Async(AsyncSceneClient::from(blocking), runtime)
        } else {
            println!("client: SceneClient");
            Peer::Blocking(blocking)
        })
    }

    pub fn run<C: Command>(&self, command: &C) -> Result<C::Output, CallError> {
        match self {
            Peer::Blocking(client) => client.run(command),
            Peer::Async(client, runtime) => runtime.block_on(client.run(command)),
        }
    }
}
