//! nngbridge scene protocol (work in progress).
