//! Client service (客户服务): complaints, requests and inquiries as tickets with response and
//! resolution targets (SLA), escalation up the hierarchy when a target is missed, and closing
//! only by a return visit (回访) in which the client says whether it is solved and rates the
//! service. The rules are plain functions; the clock is an argument.

use crate::task::AssigneeLevel;
use crate::validation::{check_optional_text, check_text};
use crate::{FieldError, ValidationErrors};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

labelled_enum! {
    /// What a ticket is about. The six complaint types are the service failures of the seed's
    /// 2014 design; a request asks for something, an inquiry asks a question.
    TicketType {
        ComplaintQuality => "complaint_quality", "质量投诉", "Complaint: quality";
        ComplaintQuantity => "complaint_quantity", "数量短缺投诉", "Complaint: quantity short";
        ComplaintDelivery => "complaint_delivery", "配送延误投诉", "Complaint: late delivery";
        ComplaintPrice => "complaint_price", "价格投诉", "Complaint: price";
        ComplaintAttitude => "complaint_attitude", "服务态度投诉", "Complaint: attitude";
        ComplaintInvoice => "complaint_invoice", "发票投诉", "Complaint: invoice";
        Request => "request", "服务请求", "Request";
        Inquiry => "inquiry", "咨询", "Inquiry";
    }
}

impl TicketType {
    /// One of the complaint types.
    pub fn is_complaint(self) -> bool {
        !matches!(self, TicketType::Request | TicketType::Inquiry)
    }
}

labelled_enum! {
    /// How much it hurts the client.
    Severity {
        Low => "low", "低", "Low";
        Normal => "normal", "中", "Normal";
        High => "high", "高", "High";
    }
}

labelled_enum! {
    /// Where a ticket is. `open` waits for a first response; `resolved` waits for the return
    /// visit; only a return visit in which the client confirms it is solved closes it.
    TicketStatus {
        Open => "open", "待响应", "Awaiting response";
        InProgress => "in_progress", "处理中", "In progress";
        Resolved => "resolved", "已解决待回访", "Resolved, awaiting return visit";
        Closed => "closed", "已关闭", "Closed";
    }
}

labelled_enum! {
    /// Who raised a ticket.
    TicketChannel {
        Field => "field", "客户经理上报", "Account manager in the field";
        Staff => "staff", "代客登记", "Staff on the client's behalf";
        CallCentre => "call_centre", "呼叫中心", "Call centre";
    }
}

labelled_enum! {
    /// One step on a ticket's timeline (append-only).
    TicketEventKind {
        Created => "created", "登记", "Raised";
        Assigned => "assigned", "分派", "Assigned";
        Responded => "responded", "首次响应", "Responded";
        Comment => "comment", "处理记录", "Note";
        Escalated => "escalated", "升级", "Escalated";
        Resolved => "resolved", "解决", "Resolved";
        ReturnVisit => "return_visit", "回访", "Return visit";
        Reopened => "reopened", "重新打开", "Reopened";
        Closed => "closed", "关闭", "Closed";
    }
}

labelled_enum! {
    /// How a return visit reached the client.
    ReturnVisitMethod {
        Call => "call", "电话回访", "Phone call";
        Visit => "visit", "上门回访", "Visit";
    }
}

labelled_enum! {
    /// What a person does to a ticket from its page (the return visit has its own request).
    TicketActionKind {
        Respond => "respond", "响应", "Respond";
        Comment => "comment", "记录", "Add a note";
        Resolve => "resolve", "标记已解决", "Mark resolved";
        Close => "close", "关闭", "Close";
    }
}

/// Text limits (characters).
pub mod limits {
    /// Title.
    pub const TITLE: usize = 100;
    /// Description, notes.
    pub const TEXT: usize = 2000;
    /// Order or delivery number.
    pub const ORDER_NO: usize = 64;
    /// Reporter's name or phone, as a call centre passes them.
    pub const CONTACT: usize = 50;
    /// Photos on a ticket.
    pub const PHOTOS: usize = 9;
    /// The longest target, hours (30 days).
    pub const TARGET_HOURS: u32 = 720;
}

/// The response and resolution targets of one type × severity, in hours from raising.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaTarget {
    /// Ticket type.
    pub ticket_type: TicketType,
    /// Severity.
    pub severity: Severity,
    /// First response within this many hours (1–720).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 720))]
    pub respond_hours: u32,
    /// Resolved within this many hours (1–720, not before the response).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 720))]
    pub resolve_hours: u32,
}

/// The service-level targets in force: one line per type × severity (a versioned rule set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaPolicy {
    /// Version (the server numbers it; 1 is the built-in default).
    #[serde(default)]
    pub version: i32,
    /// Every type × severity, once.
    pub targets: Vec<SlaTarget>,
}

impl Default for SlaPolicy {
    /// A quality complaint of normal severity: respond in 4 h, resolve in 3 days; high severity
    /// halves both or more; low relaxes them. Requests and inquiries are answered more slowly.
    fn default() -> Self {
        let mut targets = Vec::new();
        for &ticket_type in TicketType::ALL {
            let (respond, resolve) = match ticket_type {
                TicketType::ComplaintQuality | TicketType::ComplaintQuantity => (4, 72),
                TicketType::ComplaintDelivery => (2, 24),
                TicketType::ComplaintPrice | TicketType::ComplaintInvoice => (8, 120),
                TicketType::ComplaintAttitude => (4, 48),
                TicketType::Request => (8, 120),
                TicketType::Inquiry => (8, 48),
            };
            for &severity in Severity::ALL {
                let (r, s) = match severity {
                    Severity::High => ((respond / 2).max(1), (resolve / 3).max(respond)),
                    Severity::Normal => (respond, resolve),
                    Severity::Low => (respond * 2, resolve * 2),
                };
                targets.push(SlaTarget {
                    ticket_type,
                    severity,
                    respond_hours: r,
                    resolve_hours: s,
                });
            }
        }
        SlaPolicy {
            version: 1,
            targets,
        }
    }
}

impl SlaPolicy {
    /// The target for `ticket_type` × `severity` (the built-in default when a line is missing,
    /// which [`SlaPolicy::validate`] does not let happen).
    pub fn target(&self, ticket_type: TicketType, severity: Severity) -> SlaTarget {
        self.targets
            .iter()
            .find(|t| t.ticket_type == ticket_type && t.severity == severity)
            .copied()
            .unwrap_or_else(|| {
                SlaPolicy::default()
                    .targets
                    .into_iter()
                    .find(|t| t.ticket_type == ticket_type && t.severity == severity)
                    .unwrap_or(SlaTarget {
                        ticket_type,
                        severity,
                        respond_hours: 4,
                        resolve_hours: 72,
                    })
            })
    }

    /// Every line between 1 and 720 hours, resolution no sooner than response, each type ×
    /// severity exactly once.
    pub fn validate(&self) -> ValidationErrors {
        let mut errors = ValidationErrors::new();
        let mut seen = HashMap::new();
        for (i, t) in self.targets.iter().enumerate() {
            let max = f64::from(limits::TARGET_HOURS);
            if t.respond_hours == 0 || t.respond_hours > limits::TARGET_HOURS {
                errors.push(FieldError::out_of_range(
                    &format!("targets[{i}].respond_hours"),
                    1.0,
                    max,
                ));
            }
            if t.resolve_hours == 0 || t.resolve_hours > limits::TARGET_HOURS {
                errors.push(FieldError::out_of_range(
                    &format!("targets[{i}].resolve_hours"),
                    1.0,
                    max,
                ));
            } else if t.resolve_hours < t.respond_hours {
                errors.push(FieldError::new(
                    format!("targets[{i}].resolve_hours"),
                    "out_of_range",
                    format!("targets[{i}].resolve_hours: cannot be shorter than respond_hours"),
                    format!("targets[{i}].resolve_hours：解决时限不能短于响应时限"),
                ));
            }
            if let Some(first) = seen.insert((t.ticket_type, t.severity), i) {
                errors.push(FieldError::new(
                    format!("targets[{i}]"),
                    "duplicate",
                    format!("targets[{i}]: the same type and severity as targets[{first}]"),
                    format!("targets[{i}]：与 targets[{first}] 的类型和严重程度重复"),
                ));
            }
        }
        for &ticket_type in TicketType::ALL {
            for &severity in Severity::ALL {
                if !seen.contains_key(&(ticket_type, severity)) {
                    errors.push(FieldError::new(
                        "targets",
                        "missing",
                        format!(
                            "targets: no line for {} × {}",
                            ticket_type.code(),
                            severity.code()
                        ),
                        format!(
                            "targets：缺少“{}”×“{}”的时限",
                            ticket_type.label_zh(),
                            severity.label_zh()
                        ),
                    ));
                }
            }
        }
        errors
    }
}

/// Where a ticket stands against its targets at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaClock {
    /// First response due.
    pub respond_due: DateTime<Utc>,
    /// Resolution due.
    pub resolve_due: DateTime<Utc>,
    /// The response came (or has not come) after its due time.
    pub respond_breached: bool,
    /// The resolution came (or has not come) after its due time.
    pub resolve_breached: bool,
}

/// The clocks of a ticket raised at `opened_at`, first responded at `responded_at` and last
/// resolved at `resolved_at` (cleared when a return visit reopens it), at `now`. A target is
/// breached when its step came late, or has not come and the due time has passed.
pub fn sla_clock(
    target: &SlaTarget,
    opened_at: DateTime<Utc>,
    responded_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> SlaClock {
    let respond_due = opened_at + TimeDelta::hours(i64::from(target.respond_hours));
    let resolve_due = opened_at + TimeDelta::hours(i64::from(target.resolve_hours));
    SlaClock {
        respond_due,
        resolve_due,
        respond_breached: responded_at.unwrap_or(now) > respond_due,
        resolve_breached: resolved_at.unwrap_or(now) > resolve_due,
    }
}

/// Who must be on a ticket given its clocks: its account manager always; the director once
/// any target is breached; the leader once the resolution target is breached. Escalation only
/// goes up: the scheduled job never lowers a ticket's level.
pub fn escalation_level(clock: &SlaClock) -> AssigneeLevel {
    if clock.resolve_breached {
        AssigneeLevel::Leader
    } else if clock.respond_breached {
        AssigneeLevel::Director
    } else {
        AssigneeLevel::AccountManager
    }
}

/// The numeric rank of a level (account manager 0, director 1, leader 2), for "only upwards".
pub fn level_rank(level: AssigneeLevel) -> u8 {
    match level {
        AssigneeLevel::AccountManager => 0,
        AssigneeLevel::Director => 1,
        AssigneeLevel::Leader => 2,
    }
}

/// A new ticket, as the phone, a staff member or a call-centre system sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTicket {
    /// The client.
    pub client_id: Uuid,
    /// What it is about.
    pub ticket_type: TicketType,
    /// How much it hurts (default normal).
    #[serde(default = "normal")]
    pub severity: Severity,
    /// A short title.
    pub title: String,
    /// What happened.
    pub description: String,
    /// The order or delivery concerned, if any (the ERP's number).
    #[serde(default)]
    pub order_no: Option<String>,
    /// Who reported it at the client (name), if not the client's usual contact.
    #[serde(default)]
    pub reporter: Option<String>,
    /// Their phone.
    #[serde(default)]
    pub reporter_phone: Option<String>,
    /// Photos uploaded first with `POST /api/v1/visits/photos`.
    #[serde(default)]
    pub photo_ids: Vec<Uuid>,
    /// The call centre's own reference: sending the same one again returns the first ticket.
    #[serde(default)]
    pub external_ref: Option<String>,
}

fn normal() -> Severity {
    Severity::Normal
}

fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl NewTicket {
    /// Trims the texts; empty optional texts become absent.
    pub fn normalised(mut self) -> Self {
        self.title = self.title.trim().to_owned();
        self.description = self.description.trim().to_owned();
        self.order_no = trimmed(self.order_no);
        self.reporter = trimmed(self.reporter);
        self.reporter_phone = trimmed(self.reporter_phone);
        self.external_ref = trimmed(self.external_ref);
        self
    }

    /// Every rule on the request, field by field.
    pub fn validate(&self) -> ValidationErrors {
        let mut errors = ValidationErrors::new();
        check_text(&mut errors, "title", &self.title, limits::TITLE);
        check_text(&mut errors, "description", &self.description, limits::TEXT);
        for (field, value, max) in [
            ("order_no", &self.order_no, limits::ORDER_NO),
            ("reporter", &self.reporter, limits::CONTACT),
            ("reporter_phone", &self.reporter_phone, limits::CONTACT),
            ("external_ref", &self.external_ref, limits::ORDER_NO),
        ] {
            if let Some(v) = value {
                check_optional_text(&mut errors, field, v, max);
            }
        }
        if self.photo_ids.len() > limits::PHOTOS {
            errors.push(FieldError::new(
                "photo_ids",
                "too_many",
                format!("photo_ids: at most {} photos", limits::PHOTOS),
                format!("photo_ids：最多 {} 张照片", limits::PHOTOS),
            ));
        }
        errors
    }
}

/// A step a person takes on a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketAction {
    /// What to do (required; read after the ticket's visibility is checked, so a ticket out
    /// of scope is 404 whatever the body).
    #[serde(default)]
    pub action: Option<TicketActionKind>,
    /// What was done or found (required for a response, a note and a resolution).
    #[serde(default)]
    pub note: String,
}

/// Why an action cannot be taken on a ticket in its present state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionRefused {
    /// The ticket is closed: its history is final.
    Closed,
    /// Closing needs a return visit in which the client confirms it is solved.
    ReturnVisitRequired,
    /// Already responded to.
    AlreadyResponded,
    /// Already resolved; a return visit comes next.
    AlreadyResolved,
}

impl ActionRefused {
    /// (code, English, Chinese).
    pub fn describe(self) -> (&'static str, &'static str, &'static str) {
        match self {
            ActionRefused::Closed => (
                "ticket_closed",
                "the ticket is closed; its history cannot change",
                "工单已关闭，处理记录不可更改",
            ),
            ActionRefused::ReturnVisitRequired => (
                "return_visit_required",
                "a ticket is closed only by a return visit in which the client confirms it is solved",
                "工单须经回访、客户确认已解决后方可关闭",
            ),
            ActionRefused::AlreadyResponded => (
                "already_responded",
                "the ticket has already been responded to",
                "工单已响应",
            ),
            ActionRefused::AlreadyResolved => (
                "already_resolved",
                "the ticket is already resolved; a return visit comes next",
                "工单已解决，请进行回访",
            ),
        }
    }
}

/// What an action does to a ticket in `status`: the new status and the timeline event, or why
/// it is refused. A note or a resolution on an open ticket counts as its first response.
pub fn apply_action(
    status: TicketStatus,
    action: TicketActionKind,
) -> Result<(TicketStatus, Vec<TicketEventKind>), ActionRefused> {
    use TicketActionKind as A;
    use TicketStatus as S;
    if status == S::Closed {
        return Err(ActionRefused::Closed);
    }
    match (status, action) {
        (_, A::Close) => Err(ActionRefused::ReturnVisitRequired),
        (S::Open, A::Respond) => Ok((S::InProgress, vec![TicketEventKind::Responded])),
        (_, A::Respond) => Err(ActionRefused::AlreadyResponded),
        (S::Open, A::Comment) => Ok((
            S::InProgress,
            vec![TicketEventKind::Responded, TicketEventKind::Comment],
        )),
        (s, A::Comment) => Ok((s, vec![TicketEventKind::Comment])),
        (S::Open, A::Resolve) => Ok((
            S::Resolved,
            vec![TicketEventKind::Responded, TicketEventKind::Resolved],
        )),
        (S::InProgress, A::Resolve) => Ok((S::Resolved, vec![TicketEventKind::Resolved])),
        (_, A::Resolve) => Err(ActionRefused::AlreadyResolved),
    }
}

impl TicketAction {
    /// The action is required; a note too, except to close (which is refused anyway without a
    /// return visit).
    pub fn validate(&self) -> ValidationErrors {
        let mut errors = ValidationErrors::new();
        if self.action.is_none() {
            errors.push(FieldError::required("action"));
        }
        if self.action == Some(TicketActionKind::Close) {
            check_optional_text(&mut errors, "note", &self.note, limits::TEXT);
        } else {
            check_text(&mut errors, "note", &self.note, limits::TEXT);
        }
        errors
    }
}

/// A return visit (回访): did the client find it solved, and how satisfied is it (1–5)?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReturnVisitInput {
    /// Call or visit (required, like `solved` and `satisfaction`; each is read after the
    /// ticket's visibility is checked).
    #[serde(default)]
    pub method: Option<ReturnVisitMethod>,
    /// The client says it is solved: the ticket closes. Not solved: it reopens.
    #[serde(default)]
    pub solved: Option<bool>,
    /// Satisfaction, 1 (very dissatisfied) to 5 (very satisfied).
    #[serde(default)]
    pub satisfaction: Option<i32>,
    /// What the client said.
    #[serde(default)]
    pub note: String,
}

impl ReturnVisitInput {
    /// Method, outcome and satisfaction given, satisfaction within 1–5; the note within its
    /// limit.
    pub fn validate(&self) -> ValidationErrors {
        let mut errors = ValidationErrors::new();
        if self.method.is_none() {
            errors.push(FieldError::required("method"));
        }
        if self.solved.is_none() {
            errors.push(FieldError::required("solved"));
        }
        match self.satisfaction {
            None => errors.push(FieldError::required("satisfaction")),
            Some(s) if !(1..=5).contains(&s) => {
                errors.push(FieldError::out_of_range("satisfaction", 1.0, 5.0))
            }
            Some(_) => {}
        }
        check_optional_text(&mut errors, "note", &self.note, limits::TEXT);
        errors
    }

    /// Where the ticket goes: closed when solved, back in progress when not.
    pub fn outcome(&self) -> (TicketStatus, Vec<TicketEventKind>) {
        if self.solved == Some(true) {
            (
                TicketStatus::Closed,
                vec![TicketEventKind::ReturnVisit, TicketEventKind::Closed],
            )
        } else {
            (
                TicketStatus::InProgress,
                vec![TicketEventKind::ReturnVisit, TicketEventKind::Reopened],
            )
        }
    }
}

/// One step on the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketEvent {
    /// Identifier.
    pub id: Uuid,
    /// What happened.
    pub kind: TicketEventKind,
    /// Who (absent for the scheduled job).
    pub actor_id: Option<Uuid>,
    /// Their name, or the job's / the token's.
    pub actor_name: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The note, or what the step was (e.g. "升级至主任").
    pub note: String,
    /// For an escalation: the level reached.
    pub level: Option<AssigneeLevel>,
    /// For a return visit: how.
    pub method: Option<ReturnVisitMethod>,
    /// For a return visit: solved or not.
    pub solved: Option<bool>,
    /// For a return visit: the rating.
    pub satisfaction: Option<i32>,
}

/// A ticket with its clocks, as listed and read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ticket {
    /// Identifier.
    pub id: Uuid,
    /// A short human number, e.g. `KF-2026-000123`.
    pub number: String,
    /// The client.
    pub client_id: Uuid,
    /// Its name.
    pub client_name: String,
    /// Its org unit.
    pub org_unit_id: Uuid,
    /// The unit's name.
    pub org_unit_name: String,
    /// Type.
    pub ticket_type: TicketType,
    /// Severity.
    pub severity: Severity,
    /// Status.
    pub status: TicketStatus,
    /// Raised through.
    pub channel: TicketChannel,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// The order or delivery concerned.
    pub order_no: Option<String>,
    /// Reporter at the client.
    pub reporter: Option<String>,
    /// Their phone.
    pub reporter_phone: Option<String>,
    /// The call centre's reference.
    pub external_ref: Option<String>,
    /// Photos.
    pub photo_ids: Vec<Uuid>,
    /// The account manager it is assigned to.
    pub assignee_id: Uuid,
    /// Their name.
    pub assignee_name: String,
    /// Who is on it now (account manager, director after a first breach, leader after the
    /// resolution target).
    pub escalation_level: AssigneeLevel,
    /// Who raised it (absent for a call centre).
    pub raised_by: Option<Uuid>,
    /// Their name, or the integrator token's.
    pub raised_by_name: String,
    /// When it was raised.
    pub opened_at: DateTime<Utc>,
    /// First response.
    pub responded_at: Option<DateTime<Utc>>,
    /// Last resolution (cleared when a return visit reopens it).
    pub resolved_at: Option<DateTime<Utc>>,
    /// Closed by a return visit.
    pub closed_at: Option<DateTime<Utc>>,
    /// The rating of the closing return visit.
    pub satisfaction: Option<i32>,
    /// Times a return visit reopened it.
    pub reopened: i32,
    /// The targets that apply (from the policy version in force when it was raised).
    pub target: SlaTarget,
    /// The clocks now.
    pub clock: SlaClock,
    /// The policy version its targets come from.
    pub policy_version: i32,
    /// The timeline, oldest first (only on a single ticket's read).
    #[serde(default)]
    pub events: Vec<TicketEvent>,
    /// Churn reasons recorded as caused by this ticket (过失流失).
    #[serde(default)]
    pub churn_reason_ids: Vec<Uuid>,
}

/// One ticket as the report counts it.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketFact {
    /// Client.
    pub client_id: Uuid,
    /// Its name.
    pub client_name: String,
    /// Org unit.
    pub org_unit_id: Uuid,
    /// The unit's name.
    pub org_unit_name: String,
    /// Assigned account manager.
    pub assignee_id: Uuid,
    /// Their name.
    pub assignee_name: String,
    /// Type.
    pub ticket_type: TicketType,
    /// Targets.
    pub target: SlaTarget,
    /// Raised.
    pub opened_at: DateTime<Utc>,
    /// First response.
    pub responded_at: Option<DateTime<Utc>>,
    /// Last resolution.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Closing rating.
    pub satisfaction: Option<i32>,
}

/// SLA figures of a group of tickets.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaFigures {
    /// Tickets raised.
    pub tickets: u32,
    /// Of those whose response is due or done, the share responded in time (0–1); absent when
    /// none is due yet.
    pub respond_compliance: Option<f64>,
    /// Of those whose resolution is due or done, the share resolved in time (0–1).
    pub resolve_compliance: Option<f64>,
    /// Mean hours to first response (responded tickets).
    pub respond_mean_h: Option<f64>,
    /// 90th percentile of hours to first response.
    pub respond_p90_h: Option<f64>,
    /// Mean hours to resolution (resolved tickets).
    pub resolve_mean_h: Option<f64>,
    /// 90th percentile of hours to resolution.
    pub resolve_p90_h: Option<f64>,
    /// Mean satisfaction of closed tickets (1–5).
    pub satisfaction_mean: Option<f64>,
    /// Closed tickets rated.
    pub rated: u32,
}

/// A named group's figures (an org unit, an account manager).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaGroup {
    /// The unit's or person's id.
    pub id: Uuid,
    /// Their name.
    pub name: String,
    /// Figures.
    pub figures: SlaFigures,
}

/// Complaints of one type in one month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryMonth {
    /// `YYYY-MM` (China time).
    pub month: String,
    /// Type.
    pub ticket_type: TicketType,
    /// Tickets raised.
    pub tickets: u32,
}

/// A client with many tickets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientComplaints {
    /// Client.
    pub client_id: Uuid,
    /// Its name.
    pub client_name: String,
    /// Complaints raised in the period.
    pub complaints: u32,
    /// Tickets of any type.
    pub tickets: u32,
}

/// The service report of a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceReport {
    /// First day (China time).
    pub from: chrono::NaiveDate,
    /// Last day.
    pub to: chrono::NaiveDate,
    /// Everything in scope.
    pub total: SlaFigures,
    /// Per org unit of the client, most tickets first.
    pub by_unit: Vec<SlaGroup>,
    /// Per account manager, most tickets first.
    pub by_assignee: Vec<SlaGroup>,
    /// Tickets per type and month, months ascending.
    pub categories: Vec<CategoryMonth>,
    /// The clients with the most complaints (at most 10).
    pub top_clients: Vec<ClientComplaints>,
}

fn hours(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds().max(0) as f64 / 3600.0
}

/// The 90th percentile by the nearest-rank method (the smallest value with at least 90 % of
/// the values at or below it).
fn p90(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = (values.len() * 9).div_ceil(10).max(1);
    Some(values[rank - 1])
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The figures of `facts` at `now`.
pub fn sla_figures<'a>(
    facts: impl IntoIterator<Item = &'a TicketFact>,
    now: DateTime<Utc>,
) -> SlaFigures {
    let mut out = SlaFigures::default();
    let (mut respond_due, mut respond_ok, mut resolve_due, mut resolve_ok) =
        (0u32, 0u32, 0u32, 0u32);
    let mut respond_h = Vec::new();
    let mut resolve_h = Vec::new();
    let mut ratings = Vec::new();
    for f in facts {
        out.tickets += 1;
        let clock = sla_clock(&f.target, f.opened_at, f.responded_at, f.resolved_at, now);
        if f.responded_at.is_some() || now > clock.respond_due {
            respond_due += 1;
            respond_ok += u32::from(!clock.respond_breached);
        }
        if f.resolved_at.is_some() || now > clock.resolve_due {
            resolve_due += 1;
            resolve_ok += u32::from(!clock.resolve_breached);
        }
        if let Some(t) = f.responded_at {
            respond_h.push(hours(f.opened_at, t));
        }
        if let Some(t) = f.resolved_at {
            resolve_h.push(hours(f.opened_at, t));
        }
        if let Some(s) = f.satisfaction {
            ratings.push(f64::from(s));
        }
    }
    out.respond_compliance =
        (respond_due > 0).then(|| f64::from(respond_ok) / f64::from(respond_due));
    out.resolve_compliance =
        (resolve_due > 0).then(|| f64::from(resolve_ok) / f64::from(resolve_due));
    out.respond_mean_h = mean(&respond_h);
    out.respond_p90_h = p90(&mut respond_h);
    out.resolve_mean_h = mean(&resolve_h);
    out.resolve_p90_h = p90(&mut resolve_h);
    out.satisfaction_mean = mean(&ratings);
    out.rated = ratings.len() as u32;
    out
}

/// The report of `facts` (tickets raised between `from` and `to`, China time) at `now`.
pub fn service_report(
    facts: &[TicketFact],
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> ServiceReport {
    let group = |key: &dyn Fn(&TicketFact) -> (Uuid, String)| -> Vec<SlaGroup> {
        let mut groups: HashMap<Uuid, (String, Vec<&TicketFact>)> = HashMap::new();
        for f in facts {
            let (id, name) = key(f);
            groups
                .entry(id)
                .or_insert_with(|| (name, Vec::new()))
                .1
                .push(f);
        }
        let mut out: Vec<SlaGroup> = groups
            .into_iter()
            .map(|(id, (name, members))| SlaGroup {
                id,
                name,
                figures: sla_figures(members, now),
            })
            .collect();
        out.sort_by(|a, b| {
            b.figures
                .tickets
                .cmp(&a.figures.tickets)
                .then_with(|| a.name.cmp(&b.name))
        });
        out
    };
    let mut months: BTreeMap<(String, TicketType), u32> = BTreeMap::new();
    let mut clients: HashMap<Uuid, ClientComplaints> = HashMap::new();
    for f in facts {
        let month = crate::china_date(f.opened_at).format("%Y-%m").to_string();
        *months.entry((month, f.ticket_type)).or_default() += 1;
        let c = clients
            .entry(f.client_id)
            .or_insert_with(|| ClientComplaints {
                client_id: f.client_id,
                client_name: f.client_name.clone(),
                complaints: 0,
                tickets: 0,
            });
        c.tickets += 1;
        c.complaints += u32::from(f.ticket_type.is_complaint());
    }
    let mut top_clients: Vec<ClientComplaints> =
        clients.into_values().filter(|c| c.complaints > 0).collect();
    top_clients.sort_by(|a, b| {
        b.complaints
            .cmp(&a.complaints)
            .then(b.tickets.cmp(&a.tickets))
            .then_with(|| a.client_name.cmp(&b.client_name))
    });
    top_clients.truncate(10);
    ServiceReport {
        from,
        to,
        total: sla_figures(facts, now),
        by_unit: group(&|f| (f.org_unit_id, f.org_unit_name.clone())),
        by_assignee: group(&|f| (f.assignee_id, f.assignee_name.clone())),
        categories: months
            .into_iter()
            .map(|((month, ticket_type), tickets)| CategoryMonth {
                month,
                ticket_type,
                tickets,
            })
            .collect(),
        top_clients,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap() + TimeDelta::hours(h)
    }

    fn quality() -> SlaTarget {
        SlaPolicy::default().target(TicketType::ComplaintQuality, Severity::Normal)
    }

    #[test]
    fn the_default_policy_is_complete_and_valid_with_the_issues_example() {
        let policy = SlaPolicy::default();
        assert!(policy.validate().is_empty());
        assert_eq!(
            policy.targets.len(),
            TicketType::ALL.len() * Severity::ALL.len()
        );
        let q = quality();
        assert_eq!((q.respond_hours, q.resolve_hours), (4, 72));
        let high = policy.target(TicketType::ComplaintQuality, Severity::High);
        assert!(high.respond_hours < 4 && high.resolve_hours < 72);
        for t in &policy.targets {
            assert!(t.resolve_hours >= t.respond_hours, "{t:?}");
        }
    }

    #[test]
    fn a_policy_with_holes_duplicates_or_bad_hours_is_refused_line_by_line() {
        let mut policy = SlaPolicy::default();
        policy.targets[0].respond_hours = 0;
        policy.targets[1].resolve_hours = 1;
        policy.targets[1].respond_hours = 2;
        policy.targets[2] = policy.targets[3];
        let errors = policy.validate();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"targets[0].respond_hours"), "{fields:?}");
        assert!(fields.contains(&"targets[1].resolve_hours"), "{fields:?}");
        assert!(fields.contains(&"targets[3]"), "{fields:?}");
        assert!(
            fields.contains(&"targets"),
            "the line replaced is missing: {fields:?}"
        );
    }

    #[test]
    fn clocks_breach_only_after_their_due_time() {
        let t = quality();
        let c = sla_clock(&t, at(0), None, None, at(4));
        assert!(!c.respond_breached && !c.resolve_breached);
        assert_eq!(escalation_level(&c), AssigneeLevel::AccountManager);
        let c = sla_clock(&t, at(0), None, None, at(5));
        assert!(c.respond_breached && !c.resolve_breached);
        assert_eq!(escalation_level(&c), AssigneeLevel::Director);
        // Responded late stays breached; resolved in time is not.
        let c = sla_clock(&t, at(0), Some(at(6)), Some(at(70)), at(100));
        assert!(c.respond_breached && !c.resolve_breached);
        let c = sla_clock(&t, at(0), Some(at(1)), None, at(73));
        assert!(!c.respond_breached && c.resolve_breached);
        assert_eq!(escalation_level(&c), AssigneeLevel::Leader);
    }

    #[test]
    fn actions_follow_the_lifecycle_and_closing_needs_a_return_visit() {
        use TicketActionKind as A;
        use TicketStatus as S;
        assert_eq!(apply_action(S::Open, A::Respond).unwrap().0, S::InProgress);
        assert_eq!(
            apply_action(S::InProgress, A::Respond),
            Err(ActionRefused::AlreadyResponded)
        );
        let (s, events) = apply_action(S::Open, A::Resolve).unwrap();
        assert_eq!(s, S::Resolved);
        assert_eq!(
            events,
            vec![TicketEventKind::Responded, TicketEventKind::Resolved]
        );
        assert_eq!(
            apply_action(S::Resolved, A::Resolve),
            Err(ActionRefused::AlreadyResolved)
        );
        for s in [S::Open, S::InProgress, S::Resolved] {
            assert_eq!(
                apply_action(s, A::Close),
                Err(ActionRefused::ReturnVisitRequired)
            );
        }
        for a in TicketActionKind::ALL {
            assert_eq!(apply_action(S::Closed, *a), Err(ActionRefused::Closed));
        }
        assert_eq!(
            apply_action(S::Resolved, A::Comment).unwrap().0,
            S::Resolved
        );
    }

    #[test]
    fn a_return_visit_closes_when_solved_and_reopens_when_not() {
        let mut rv = ReturnVisitInput {
            method: Some(ReturnVisitMethod::Call),
            solved: Some(true),
            satisfaction: Some(5),
            note: String::new(),
        };
        assert!(rv.validate().is_empty());
        assert_eq!(rv.outcome().0, TicketStatus::Closed);
        rv.solved = Some(false);
        assert_eq!(rv.outcome().0, TicketStatus::InProgress);
        for bad in [0, 6, -1] {
            rv.satisfaction = Some(bad);
            assert_eq!(rv.validate().0[0].field, "satisfaction");
        }
        let empty = ReturnVisitInput {
            method: None,
            solved: None,
            satisfaction: None,
            note: String::new(),
        };
        let fields: Vec<String> = empty.validate().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["method", "solved", "satisfaction"]);
    }

    #[test]
    fn a_new_ticket_is_checked_field_by_field() {
        let t = NewTicket {
            client_id: Uuid::nil(),
            ticket_type: TicketType::Inquiry,
            severity: Severity::Normal,
            title: "  ".into(),
            description: "x".repeat(limits::TEXT + 1),
            order_no: Some(" ".into()),
            reporter: None,
            reporter_phone: None,
            photo_ids: vec![Uuid::nil(); limits::PHOTOS + 1],
            external_ref: None,
        }
        .normalised();
        assert_eq!(t.order_no, None);
        let errors = t.validate();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "description", "photo_ids"]);
    }

    fn fact(
        client: u128,
        unit: u128,
        opened: i64,
        responded: Option<i64>,
        resolved: Option<i64>,
        rating: Option<i32>,
    ) -> TicketFact {
        TicketFact {
            client_id: Uuid::from_u128(client),
            client_name: format!("客户{client}"),
            org_unit_id: Uuid::from_u128(unit),
            org_unit_name: format!("单位{unit}"),
            assignee_id: Uuid::from_u128(100 + unit),
            assignee_name: format!("经理{unit}"),
            ticket_type: TicketType::ComplaintQuality,
            target: quality(),
            opened_at: at(opened),
            responded_at: responded.map(at),
            resolved_at: resolved.map(at),
            satisfaction: rating,
        }
    }

    #[test]
    fn the_report_counts_compliance_means_percentiles_and_ratings() {
        let facts = vec![
            fact(1, 1, 0, Some(1), Some(10), Some(5)), // both in time
            fact(1, 1, 0, Some(6), Some(80), Some(2)), // both late
            fact(2, 2, 0, Some(2), None, None),        // resolution pending, not yet due
            fact(3, 2, 0, None, None, None),           // response overdue
        ];
        let now = at(20);
        let r = service_report(&facts, at(0).date_naive(), now.date_naive(), now);
        assert_eq!(r.total.tickets, 4);
        // Response: 3 responded + 1 overdue = 4 due, 2 in time (1 h, 2 h).
        assert_eq!(r.total.respond_compliance, Some(0.5));
        // Resolution: 2 resolved (1 in time), the rest not due yet.
        assert_eq!(r.total.resolve_compliance, Some(0.5));
        assert_eq!(r.total.respond_mean_h, Some(3.0));
        assert_eq!(r.total.respond_p90_h, Some(6.0));
        assert_eq!(r.total.resolve_mean_h, Some(45.0));
        assert_eq!(r.total.satisfaction_mean, Some(3.5));
        assert_eq!(r.total.rated, 2);
        assert_eq!(r.by_unit.len(), 2);
        assert_eq!(r.by_unit[0].figures.tickets, 2);
        assert_eq!(r.top_clients[0].client_id, Uuid::from_u128(1));
        assert_eq!(r.top_clients[0].complaints, 2);
        assert_eq!(r.categories.len(), 1);
        assert_eq!(r.categories[0].tickets, 4);
    }

    #[test]
    fn p90_is_the_nearest_rank() {
        let mut v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(p90(&mut v), Some(9.0));
        assert_eq!(p90(&mut [3.0]), Some(3.0));
        assert_eq!(p90(&mut []), None);
    }
}
