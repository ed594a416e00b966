//! `tracking.*`: a clip's motion-tracking tracks and their markers. Positions and sizes
//! are clip pixels; frames are scene frames (mapped through the clip's start frame).

use serde::Deserialize;

/// One marker as the add-on describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Marker {
    /// Scene frame.
    pub frame: i64,
    /// Centre `[x, y]` in pixels.
    pub position: [f64; 2],
    /// Pattern area `[w, h]` in pixels.
    pub pattern_size: [f64; 2],
    /// Search area `[w, h]` in pixels.
    pub search_size: [f64; 2],
    /// Disabled on this frame.
    pub mute: bool,
    /// Set by hand (keyed) rather than tracked.
    pub keyed: bool,
}

/// One track in `tracking.tracks`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TrackSummary {
    /// Track name.
    pub name: String,
    /// Number of markers.
    pub markers: u32,
    /// Hidden.
    pub hide: bool,
    /// Average reprojection error (0 before solving).
    pub average_error: f64,
}

/// The result of `tracking.tracks`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TrackListing {
    /// Every track of the clip.
    pub tracks: Vec<TrackSummary>,
}

command! {
    /// `tracking.tracks`: a clip's tracks.
    pub struct TrackingTracks => "tracking.tracks" -> TrackListing {
        /// The clip.
        pub clip: String,
    }
}

/// The result of `tracking.add_track`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TrackAdded {
    /// The track's name (Blender may have added a suffix).
    pub name: String,
    /// Its markers (one).
    pub markers: Vec<Marker>,
}

command! {
    /// `tracking.add_track`: a new track with one marker at `position` on `frame`; the
    /// areas default to the clip's tracking settings.
    #[derive(Default)]
    pub struct TrackingAddTrack => "tracking.add_track" -> TrackAdded {
        /// The clip.
        pub clip: String,
        /// Scene frame of the first marker.
        pub frame: i64,
        /// Its centre in pixels.
        pub position: [f64; 2],
        /// Track name (default `Track`).
        pub name: Option<String>,
        /// Pattern area `[w, h]` in pixels.
        pub pattern_size: Option<[f64; 2]>,
        /// Search area `[w, h]` in pixels.
        pub search_size: Option<[f64; 2]>,
    }
}

/// The result of `tracking.markers_get`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MarkerListing {
    /// The markers, by frame.
    pub markers: Vec<Marker>,
}

command! {
    /// `tracking.markers_get`: all markers of a track, or the one in effect at `frame`.
    #[derive(Default)]
    pub struct TrackingMarkersGet => "tracking.markers_get" -> MarkerListing {
        /// The clip.
        pub clip: String,
        /// The track.
        pub track: String,
        /// A scene frame.
        pub frame: Option<i64>,
    }
}

command! {
    /// One marker to set: position on a frame, optionally its areas and mute flag. A
    /// new marker takes its neighbour's areas.
    #[derive(Default)]
    pub struct MarkerSet {
        /// Scene frame.
        pub frame: i64,
        /// Centre `[x, y]` in pixels.
        pub position: [f64; 2],
        /// Pattern area `[w, h]` in pixels.
        pub pattern_size: Option<[f64; 2]>,
        /// Search area `[w, h]` in pixels.
        pub search_size: Option<[f64; 2]>,
        /// Disabled on this frame.
        pub mute: Option<bool>,
    }
}

impl MarkerSet {
    /// A marker at `position` on `frame`, other fields unchanged or inherited.
    pub fn at(frame: i64, position: [f64; 2]) -> MarkerSet {
        MarkerSet {
            frame,
            position,
            ..Default::default()
        }
    }
}

/// The result of `tracking.markers_set` and `tracking.markers_delete`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TrackMarkerCount {
    /// The track.
    pub track: String,
    /// How many markers it has now.
    pub markers: u32,
}

command! {
    /// `tracking.markers_set`: sets (inserting where missing) markers, all validated first.
    pub struct TrackingMarkersSet => "tracking.markers_set" -> TrackMarkerCount {
        /// The clip.
        pub clip: String,
        /// The track.
        pub track: String,
        /// The markers.
        pub markers: Vec<MarkerSet>,
    }
}

command! {
    /// `tracking.markers_delete`: deletes the markers on `frames` (all exist, or nothing is
    /// deleted).
    pub struct TrackingMarkersDelete => "tracking.markers_delete" -> TrackMarkerCount {
        /// The clip.
        pub clip: String,
        /// The track.
        pub track: String,
        /// Scene frames.
        pub frames: Vec<i64>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;
    use crate::Value;

    #[test]
    fn tracking_args_encode_as_the_add_on_expects() {
        let add = args(&TrackingAddTrack {
            clip: "C".into(),
            frame: 1,
            position: [15.0, 15.0],
            pattern_size: Some([11.0, 11.0]),
            ..Default::default()
        });
        assert_eq!(keys(&add), ["clip", "frame", "position", "pattern_size"]);
        assert_eq!(
            add["position"],
            Value::Array(vec![15.0.into(), 15.0.into()])
        );
        let set = args(&TrackingMarkersSet {
            clip: "C".into(),
            track: "T".into(),
            markers: vec![
                MarkerSet::at(2, [1.0, 2.0]),
                MarkerSet {
                    mute: Some(true),
                    ..MarkerSet::at(3, [1.0, 2.0])
                },
            ],
        });
        let Value::Array(ms) = &set["markers"] else {
            panic!("markers is a list: {set:?}")
        };
        assert_eq!(keys(&ms[0]), ["frame", "position"]);
        assert_eq!(keys(&ms[1]), ["frame", "position", "mute"]);
        let del = args(&TrackingMarkersDelete {
            clip: "C".into(),
            track: "T".into(),
            frames: vec![10],
        });
        assert_eq!(del["frames"], Value::Array(vec![10.into()]));
        let get = args(&TrackingMarkersGet {
            clip: "C".into(),
            track: "T".into(),
            frame: None,
        });
        assert_eq!(get, map(vec![("clip", "C".into()), ("track", "T".into())]));
        assert_eq!(
            args(&TrackingTracks { clip: "C".into() }),
            map(vec![("clip", "C".into())])
        );
    }
}
