//! GCJ-02 ("Mars coordinates", 火星坐标) ↔ WGS-84 (DESIGN §2.5).
//!
//! Phones report WGS-84; Chinese map services (AMap, Tencent) geocode addresses in GCJ-02,
//! which shifts every point in mainland China by 100–700 m. Youguanjia stores WGS-84, so an
//! address geocoded on a Chinese map is converted with [`gcj02_to_wgs84`] on import, and a
//! stored position is converted with [`wgs84_to_gcj02`] before it is drawn on such a map.
//!
//! The forward transform is the widely published formula (Krasovsky 1940 ellipsoid, the
//! sine series below); it has no closed-form inverse, so the inverse iterates the forward
//! one. Outside a coarse box around China the transform is the identity, as every map service
//! does it (the box also holds Seoul and Taipei, where Chinese map services shift too).

use crate::geo::GeoPoint;
use serde::{Deserialize, Serialize};

/// Semi-major axis of the Krasovsky 1940 ellipsoid that GCJ-02 uses, metres.
const KRASOVSKY_A: f64 = 6_378_245.0;
/// Its first eccentricity squared.
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;
/// The inverse stops once a step moves the point by less than this, degrees (≈ 1 cm).
pub const INVERSE_TOLERANCE_DEG: f64 = 1e-7;
/// Iterations the inverse is allowed (it converges in 3–5 inside China).
const INVERSE_MAX_ITERATIONS: usize = 30;

labelled_enum! {
    /// The datum a position is given in.
    CoordinateSystem {
        Wgs84 => "wgs84", "WGS-84（GPS）", "WGS-84 (GPS)";
        Gcj02 => "gcj02", "GCJ-02（高德、腾讯地图）", "GCJ-02 (AMap, Tencent maps)";
    }
}

impl CoordinateSystem {
    /// The position in WGS-84, the datum Youguanjia stores.
    pub fn to_wgs84(self, point: GeoPoint) -> GeoPoint {
        match self {
            CoordinateSystem::Wgs84 => point,
            CoordinateSystem::Gcj02 => gcj02_to_wgs84(point),
        }
    }

    /// A stored (WGS-84) position in this datum.
    pub fn from_wgs84(self, point: GeoPoint) -> GeoPoint {
        match self {
            CoordinateSystem::Wgs84 => point,
            CoordinateSystem::Gcj02 => wgs84_to_gcj02(point),
        }
    }
}

/// Whether the point lies in the coarse box (lon 72.004…137.8347, lat 0.8293…55.8271) where
/// GCJ-02 differs from WGS-84. Not finite coordinates are outside.
pub fn is_shifted_region(point: &GeoPoint) -> bool {
    (72.004..=137.8347).contains(&point.lon) && (0.8293..=55.8271).contains(&point.lat)
}

/// WGS-84 → GCJ-02. Identity outside [`is_shifted_region`].
pub fn wgs84_to_gcj02(point: GeoPoint) -> GeoPoint {
    if !is_shifted_region(&point) {
        return point;
    }
    let (d_lat, d_lon) = offset_deg(point.lat, point.lon);
    GeoPoint {
        lat: point.lat + d_lat,
        lon: point.lon + d_lon,
    }
}

/// GCJ-02 → WGS-84: the point whose [`wgs84_to_gcj02`] is `point`, found by fixed-point
/// iteration to within [`INVERSE_TOLERANCE_DEG`] (a centimetre). Identity outside
/// [`is_shifted_region`].
pub fn gcj02_to_wgs84(point: GeoPoint) -> GeoPoint {
    if !is_shifted_region(&point) {
        return point;
    }
    // The offset changes by well under 1 % between a point and its image, so subtracting the
    // offset at the current guess contracts quickly.
    let (d_lat, d_lon) = offset_deg(point.lat, point.lon);
    let mut guess = GeoPoint {
        lat: point.lat - d_lat,
        lon: point.lon - d_lon,
    };
    for _ in 0..INVERSE_MAX_ITERATIONS {
        let image = wgs84_to_gcj02(guess);
        let (step_lat, step_lon) = (point.lat - image.lat, point.lon - image.lon);
        guess.lat += step_lat;
        guess.lon += step_lon;
        if step_lat.abs() < INVERSE_TOLERANCE_DEG && step_lon.abs() < INVERSE_TOLERANCE_DEG {
            break;
        }
    }
    guess
}

/// The GCJ-02 offset at a WGS-84 point, (Δlat, Δlon) in degrees.
fn offset_deg(lat: f64, lon: f64) -> (f64, f64) {
    use std::f64::consts::PI;
    let (x, y) = (lon - 105.0, lat - 35.0);
    // Both series share the first, x-only term.
    let shared = (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    let lat_m = -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * x.abs().sqrt()
        + shared
        + (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0
        + (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let lon_m = 300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * x.abs().sqrt()
        + shared
        + (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0
        + (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    // The series give the shift in metres on the ellipsoid; turn it into degrees at this latitude.
    let rad_lat = lat.to_radians();
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let d_lat =
        (lat_m * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let d_lon = (lon_m * 180.0) / (KRASOVSKY_A / sqrt_magic * rad_lat.cos() * PI);
    (d_lat, d_lon)
}

/// A position with the datum it was given in, as an import or a geocoder hands it over.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DatumPoint {
    /// The position.
    pub point: GeoPoint,
    /// Its datum.
    pub system: CoordinateSystem,
}

impl DatumPoint {
    /// The position in WGS-84.
    pub fn to_wgs84(&self) -> GeoPoint {
        self.system.to_wgs84(self.point)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(lat: f64, lon: f64) -> GeoPoint {
        GeoPoint { lat, lon }
    }

    /// A place, its WGS-84 (lat, lon) and its GCJ-02 (lat, lon).
    type Pair = (&'static str, (f64, f64), (f64, f64));

    /// Published (WGS-84, GCJ-02) pairs: the first three are the test vectors of the
    /// `eviltransform` library (github.com/googollee/eviltransform); the fourth, near
    /// Tiananmen, is from the examples of `coordtransform` (github.com/wandergis/coordtransform).
    const PUBLISHED: [Pair; 4] = [
        (
            "Shanghai",
            (31.1774276, 121.5272106),
            (31.17530398364597, 121.531541859215),
        ),
        (
            "Shenzhen",
            (22.543847, 113.912316),
            (22.540796131694766, 113.9171764808363),
        ),
        (
            "Beijing",
            (39.911954, 116.377817),
            (39.91334545536069, 116.38404722455657),
        ),
        (
            "Beijing, Tiananmen",
            (39.915, 116.404),
            (39.91640428150164, 116.41024449916938),
        ),
    ];

    #[test]
    fn forward_transform_matches_published_pairs() {
        for (place, (lat, lon), (gcj_lat, gcj_lon)) in PUBLISHED {
            let gcj = wgs84_to_gcj02(p(lat, lon));
            assert!(
                (gcj.lat - gcj_lat).abs() < 1e-8 && (gcj.lon - gcj_lon).abs() < 1e-8,
                "{place}: {gcj:?}"
            );
        }
    }

    #[test]
    fn inverse_transform_recovers_published_wgs84_within_a_centimetre() {
        for (place, (lat, lon), (gcj_lat, gcj_lon)) in PUBLISHED {
            let wgs = gcj02_to_wgs84(p(gcj_lat, gcj_lon));
            let error = wgs.distance_m(&p(lat, lon));
            assert!(error < 0.05, "{place}: {error} m");
        }
    }

    #[test]
    fn offset_in_chinese_cities_is_between_100_and_700_metres() {
        let cities = [
            ("Beijing", 39.9042, 116.4074),
            ("Shanghai", 31.2304, 121.4737),
            ("Guangzhou", 23.1291, 113.2644),
            ("Changsha", 28.2282, 112.9388),
            ("Chengdu", 30.5728, 104.0668),
            ("Wuhan", 30.5928, 114.3055),
            ("Xi'an", 34.3416, 108.9398),
            ("Harbin", 45.8038, 126.5350),
            ("Urumqi", 43.8256, 87.6168),
            ("Lhasa", 29.6520, 91.1721),
            ("Kunming", 25.0389, 102.7183),
            ("Haikou", 20.0440, 110.1999),
            ("Hohhot", 40.8424, 111.7490),
            ("Kashgar", 39.4704, 75.9898),
        ];
        for (city, lat, lon) in cities {
            let wgs = p(lat, lon);
            let offset = wgs.distance_m(&wgs84_to_gcj02(wgs));
            assert!((100.0..=700.0).contains(&offset), "{city}: {offset} m");
        }
    }

    #[test]
    fn outside_china_the_transform_is_the_identity() {
        for point in [
            p(51.5007, -0.1246),
            p(35.6586, 139.7454),
            p(-33.8568, 151.2153),
        ] {
            assert_eq!(wgs84_to_gcj02(point), point);
            assert_eq!(gcj02_to_wgs84(point), point);
        }
        let nan = p(f64::NAN, 116.0);
        assert!(wgs84_to_gcj02(nan).lat.is_nan());
    }

    #[test]
    fn datum_points_convert_to_wgs84() {
        let (_, (lat, lon), (gcj_lat, gcj_lon)) = PUBLISHED[0];
        let imported = DatumPoint {
            point: p(gcj_lat, gcj_lon),
            system: CoordinateSystem::Gcj02,
        };
        assert!(imported.to_wgs84().distance_m(&p(lat, lon)) < 0.05);
        assert_eq!(CoordinateSystem::Wgs84.to_wgs84(p(1.0, 2.0)), p(1.0, 2.0));
        assert_eq!(
            CoordinateSystem::from_code("gcj02"),
            Some(CoordinateSystem::Gcj02)
        );
        let json = serde_json::to_string(&imported).unwrap();
        assert!(json.contains("\"gcj02\""), "{json}");
    }

    proptest! {
        #[test]
        fn round_trip_through_gcj02_is_within_half_a_metre(
            lat in 18.0f64..53.5,
            lon in 73.5f64..135.0,
        ) {
            let wgs = p(lat, lon);
            let gcj = wgs84_to_gcj02(wgs);
            let back = gcj02_to_wgs84(gcj);
            prop_assert!(back.distance_m(&wgs) < 0.5, "{} m", back.distance_m(&wgs));
            let forward_again = wgs84_to_gcj02(back);
            prop_assert!(forward_again.distance_m(&gcj) < 0.05);
        }
    }
}
