//! nngbridge core (work in progress).
