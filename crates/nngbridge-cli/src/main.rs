//! The `nngbridge` command-line tool (work in progress).
fn main() {}
