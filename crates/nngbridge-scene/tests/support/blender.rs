//! The Blender an ignored real-Blender test runs against, as tests/test_blender_rust_peer.py
//! names it in the environment.

/// The address, events address and work directory of the Blender under test.
pub fn blender_under_test() -> Option<[String; 3]> {
    let var = |k| std::env::var(k).ok();
    Some([
        var("NNGBRIDGE_TEST_ADDRESS")?,
        var("NNGBRIDGE_TEST_EVENTS")?,
        var("NNGBRIDGE_TEST_WORK")?,
    ])
}
