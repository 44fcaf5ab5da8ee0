//! Grading (客户分类定级, DESIGN §2.2).

use serde::{Deserialize, Serialize};

labelled_enum! {
    /// Grade by trailing-12-month volume.
    Grade {
        A => "a", "A 级", "Grade A";
        B => "b", "B 级", "Grade B";
        C => "c", "C 级", "Grade C";
        D => "d", "D 级", "Grade D";
    }
}

/// Volume thresholds of the grades, tonnes per 12 months.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GradeThresholds {
    /// A from this volume (default 1,000 t).
    pub a: f64,
    /// B from this volume (default 300 t).
    pub b: f64,
    /// C from this volume (default 50 t).
    pub c: f64,
}

impl Default for GradeThresholds {
    fn default() -> Self {
        Self {
            a: 1000.0,
            b: 300.0,
            c: 50.0,
        }
    }
}

/// The grade of a trailing-12-month volume.
pub fn grade_for_volume(tonnes_12m: f64, thresholds: &GradeThresholds) -> Grade {
    if tonnes_12m >= thresholds.a {
        Grade::A
    } else if tonnes_12m >= thresholds.b {
        Grade::B
    } else if tonnes_12m >= thresholds.c {
        Grade::C
    } else {
        Grade::D
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_split_at_the_default_thresholds() {
        let t = GradeThresholds::default();
        assert_eq!(grade_for_volume(1000.0, &t), Grade::A);
        assert_eq!(grade_for_volume(999.999, &t), Grade::B);
        assert_eq!(grade_for_volume(300.0, &t), Grade::B);
        assert_eq!(grade_for_volume(50.0, &t), Grade::C);
        assert_eq!(grade_for_volume(49.9, &t), Grade::D);
    }
}
