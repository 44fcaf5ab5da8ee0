//! Positions (WGS-84) and distances.

use crate::validation::{FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};

/// A WGS-84 position in decimal degrees, as browsers report it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GeoPoint {
    /// Latitude, −90…90.
    pub lat: f64,
    /// Longitude, −180…180.
    pub lon: f64,
}

/// Mean Earth radius used by the haversine formula, in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

impl GeoPoint {
    /// Checks both coordinates are finite and in range; errors name `{field}.lat` / `{field}.lon`.
    pub fn check(&self, errors: &mut ValidationErrors, field: &str) {
        if !self.lat.is_finite() || !(-90.0..=90.0).contains(&self.lat) {
            errors.push(FieldError::out_of_range(
                &format!("{field}.lat"),
                -90.0,
                90.0,
            ));
        }
        if !self.lon.is_finite() || !(-180.0..=180.0).contains(&self.lon) {
            errors.push(FieldError::out_of_range(
                &format!("{field}.lon"),
                -180.0,
                180.0,
            ));
        }
    }

    /// Great-circle distance in metres (haversine).
    pub fn distance_m(&self, other: &GeoPoint) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_from_changsha_to_zhuzhou_is_about_forty_kilometres() {
        let changsha = GeoPoint {
            lat: 28.2282,
            lon: 112.9388,
        };
        let zhuzhou = GeoPoint {
            lat: 27.8274,
            lon: 113.1340,
        };
        let d = changsha.distance_m(&zhuzhou);
        assert!((d - 48_700.0).abs() < 1_500.0, "{d}");
    }

    #[test]
    fn out_of_range_coordinates_name_each_field() {
        let mut errors = ValidationErrors::new();
        GeoPoint {
            lat: 91.0,
            lon: f64::NAN,
        }
        .check(&mut errors, "location");
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["location.lat", "location.lon"]);
    }
}
