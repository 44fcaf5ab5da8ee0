//! Visits as they are stored and shown: the check-in with its assessment and record, the
//! review comments, the day's route of the phone page, and who may review whom (§2.5).

use crate::checkin::{CheckInAssessment, VisitRecord};
use crate::classification::ClientClass;
use crate::geo::GeoPoint;
use crate::org::Role;
use crate::task::Task;
use crate::validation::{check_text, FieldError, ValidationErrors};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A recorded visit (check-in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Visit {
    /// Identifier.
    pub id: Uuid,
    /// The phone's key for this check-in.
    pub idempotency_key: String,
    /// The client visited.
    pub client_id: Uuid,
    /// Its name.
    pub client_name: String,
    /// The task it answers.
    pub task_id: Option<Uuid>,
    /// Who checked in.
    pub user_id: Uuid,
    /// Their name.
    pub user_name: String,
    /// The phone's clock at the check-in.
    pub device_time: DateTime<Utc>,
    /// The phone's clock when it sent it.
    pub sent_at: Option<DateTime<Utc>>,
    /// When the server received it.
    pub received_at: DateTime<Utc>,
    /// Reported position (WGS-84).
    pub position: GeoPoint,
    /// Reported accuracy, metres.
    pub accuracy_m: f64,
    /// Distance, verdict and clock check.
    pub assessment: CheckInAssessment,
    /// The visit record.
    pub record: VisitRecord,
    /// Photos.
    pub photo_ids: Vec<Uuid>,
    /// When it was first reviewed.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Review comments, oldest first.
    pub comments: Vec<VisitComment>,
}

/// A reviewer's comment on a visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitComment {
    /// Identifier.
    pub id: Uuid,
    /// The visit.
    pub visit_id: Uuid,
    /// Who wrote it.
    pub author_id: Uuid,
    /// Their name.
    pub author_name: String,
    /// The comment.
    pub body: String,
    /// The follow-up task it raised.
    pub follow_up_task_id: Option<Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// One page of visits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitPage {
    /// Rows, newest first.
    pub items: Vec<Visit>,
    /// Matching rows over all pages.
    pub total: u64,
    /// Page, from 1.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
}

/// A follow-up a comment asks for: a task for the visit's author.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FollowUpRequest {
    /// What to do (1–300 characters).
    pub title: String,
    /// By when (today or later).
    pub due_date: NaiveDate,
}

/// A review comment as submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewVisitComment {
    /// The comment (1–2 000 characters).
    pub body: String,
    /// A follow-up task to raise.
    #[serde(default)]
    pub follow_up: Option<FollowUpRequest>,
}

impl NewVisitComment {
    /// Field errors: the texts' lengths and a follow-up due in the past.
    pub fn validate(&self, today: NaiveDate) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        check_text(&mut errors, "body", self.body.trim(), 2000);
        if let Some(f) = &self.follow_up {
            check_text(&mut errors, "follow_up.title", f.title.trim(), 300);
            if f.due_date < today {
                errors.push(FieldError::new(
                    "follow_up.due_date",
                    "out_of_range",
                    "follow_up.due_date: must be today or later",
                    "follow_up.due_date：不能早于今天",
                ));
            }
        }
        errors.into_result(())
    }
}

/// Whether someone with `reviewer` role reviews visits made by someone with `author` role:
/// directors review account managers, leaders review directors (and account managers, whose
/// directors they oversee); administrators review anyone.
pub fn may_review(reviewer: Role, author: Role) -> bool {
    match reviewer {
        Role::Admin => true,
        Role::Leader => matches!(author, Role::Director | Role::AccountManager),
        Role::Director => author == Role::AccountManager,
        Role::AccountManager | Role::Viewer => false,
    }
}

/// An uploaded visit photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoUploaded {
    /// Identifier, to list in the check-in's `photo_ids`.
    pub id: Uuid,
    /// `image/jpeg` or `image/png` (from the bytes).
    pub content_type: String,
    /// Bytes.
    pub size: u64,
}

/// The client of a stop on the day's route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StopClient {
    /// Identifier.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Registered location.
    pub location: Option<GeoPoint>,
    /// Current dynamic class.
    pub class: Option<ClientClass>,
}

/// One stop of the day's route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RouteStop {
    /// Position in the route, from 1.
    pub order: u32,
    /// The visit task.
    pub task: Task,
    /// The client.
    pub client: StopClient,
    /// Distance from the previous stop (or the base), metres; `None` without locations.
    pub leg_m: Option<f64>,
}

/// The signed-in user's visits for the day, as a route from their base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TodayRoute {
    /// The day.
    pub date: NaiveDate,
    /// Where the route starts.
    pub base: Option<GeoPoint>,
    /// Stops in route order (stops without a location last).
    pub stops: Vec<RouteStop>,
    /// Total length of the legs, metres.
    pub route_length_m: f64,
}

/// What to plan: a half-year for the account managers in the caller's scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    /// `2026-h1` or `2026-h2`.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[1-9][0-9]{3}-h[12]$"))]
    pub half_year: String,
    /// Nothing new is dated before this day (default today).
    #[serde(default)]
    pub start: Option<NaiveDate>,
    /// Visits per assignee and week (1–50, default 15).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 50))]
    pub capacity_per_week: Option<u32>,
}

/// What a plan run did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanReport {
    /// The half-year.
    pub half_year: String,
    /// Account managers planned.
    pub assignees: u64,
    /// Clients due (all their clients).
    pub clients_due: u64,
    /// Already visited this half-year.
    pub covered: u64,
    /// Plan tasks already dated and kept.
    pub kept: u64,
    /// Plan tasks created now.
    pub created: u64,
    /// Clients that did not fit under the weekly capacity before the half-year ends.
    pub unplanned: u64,
    /// The role quotas (§2.4): directors visit every grade-A client, leaders every key client
    /// and high-risk trader, each planned like an account manager's clients.
    pub quotas: Vec<QuotaPlan>,
    /// Time taken, ms.
    pub elapsed_ms: u64,
}

/// The plans of one quota level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuotaPlan {
    /// Director or leader.
    pub level: crate::task::AssigneeLevel,
    /// People planned.
    pub assignees: u64,
    /// Clients due under the quota.
    pub clients_due: u64,
    /// Already visited by them this half-year.
    pub covered: u64,
    /// Tasks already dated and kept.
    pub kept: u64,
    /// Tasks created now.
    pub created: u64,
    /// Clients that did not fit.
    pub unplanned: u64,
}

impl QuotaPlan {
    /// Nothing planned yet at `level`.
    pub fn empty(level: crate::task::AssigneeLevel) -> Self {
        Self {
            level,
            assignees: 0,
            clients_due: 0,
            covered: 0,
            kept: 0,
            created: 0,
            unplanned: 0,
        }
    }
}

/// Coverage of one account manager or org unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageRow {
    /// The account manager or unit.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Clients due.
    pub due: u64,
    /// Visited by their account manager this half-year.
    pub covered: u64,
    /// covered ÷ due, percent (one decimal; 100 when nothing is due).
    pub percent: f64,
}

/// Half-year coverage (§2.4: every client visited by its account manager once a half-year).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageReport {
    /// The half-year.
    pub half_year: String,
    /// Over the caller's scope.
    pub total: CoverageRow,
    /// Per account manager, lowest coverage first.
    pub assignees: Vec<CoverageRow>,
    /// Per org unit (county), lowest coverage first.
    pub units: Vec<CoverageRow>,
}

/// A client on the map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MapClient {
    /// The client.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Latitude (WGS-84).
    pub lat: f64,
    /// Longitude (WGS-84).
    pub lon: f64,
    /// Its class (`null` before the first recompute).
    pub class: Option<ClientClass>,
    /// Its grade.
    pub grade: Option<String>,
    /// Its org unit.
    pub org_unit_id: Uuid,
}

/// A check-in on the map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MapVisit {
    /// The visit.
    pub id: Uuid,
    /// Its client.
    pub client_id: Uuid,
    /// Reported latitude (WGS-84).
    pub lat: f64,
    /// Reported longitude (WGS-84).
    pub lon: f64,
    /// Verified or off site.
    pub verdict: crate::checkin::CheckInVerdict,
    /// When it was received.
    pub received_at: DateTime<Utc>,
}

/// The visit map: clients coloured by class and the recent check-ins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitMap {
    /// The tile server's URL template (`{z}/{x}/{y}`), when one is configured; without it the
    /// map draws the points on a plain background.
    pub tile_url: Option<String>,
    /// Clients in scope with a location.
    pub clients: Vec<MapClient>,
    /// Check-ins of the last 30 days (at most 5,000, newest first).
    pub visits: Vec<MapVisit>,
}

/// The classes that get a weekly visit task (§2.4): clients losing volume and prospects.
pub fn needs_dynamic_visit(class: ClientClass) -> bool {
    matches!(
        class,
        ClientClass::Declining | ClientClass::AtRisk | ClientClass::Churned | ClientClass::Prospect
    )
}

/// Who holds a weekly dynamic visit task (§2.4): always the account manager; also the
/// director for grade-A and key clients; also the leader for key clients that churned.
pub fn dynamic_visit_levels(
    class: ClientClass,
    grade_a: bool,
    key_client: bool,
) -> Vec<crate::task::AssigneeLevel> {
    use crate::task::AssigneeLevel;
    let mut levels = vec![AssigneeLevel::AccountManager];
    if grade_a || key_client {
        levels.push(AssigneeLevel::Director);
    }
    if key_client && class == ClientClass::Churned {
        levels.push(AssigneeLevel::Leader);
    }
    levels
}

/// The dedupe key of a client's weekly dynamic visit: one active task per client.
pub fn dynamic_visit_key(client_id: Uuid) -> String {
    format!("dynamic_visit:{client_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_visits_go_up_the_hierarchy_for_the_clients_that_matter() {
        use crate::task::AssigneeLevel::*;
        assert_eq!(
            dynamic_visit_levels(ClientClass::Declining, false, false),
            [AccountManager]
        );
        assert_eq!(
            dynamic_visit_levels(ClientClass::AtRisk, true, false),
            [AccountManager, Director]
        );
        assert_eq!(
            dynamic_visit_levels(ClientClass::Churned, false, true),
            [AccountManager, Director, Leader]
        );
        assert!(needs_dynamic_visit(ClientClass::Prospect));
        assert!(!needs_dynamic_visit(ClientClass::Stable));
        assert!(!needs_dynamic_visit(ClientClass::Returning));
    }

    #[test]
    fn reviewers_are_one_level_up() {
        assert!(may_review(Role::Director, Role::AccountManager));
        assert!(may_review(Role::Leader, Role::Director));
        assert!(!may_review(Role::Director, Role::Director));
        assert!(!may_review(Role::AccountManager, Role::AccountManager));
        assert!(!may_review(Role::Viewer, Role::AccountManager));
    }

    #[test]
    fn a_comment_needs_a_body_and_a_follow_up_a_future_date() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let bad = NewVisitComment {
            body: "  ".into(),
            follow_up: Some(FollowUpRequest {
                title: "复核价格".into(),
                due_date: today.pred_opt().unwrap(),
            }),
        };
        let fields: Vec<String> = bad
            .validate(today)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["body", "follow_up.due_date"]);
    }
}
