//! Tasks (任务): the unit of work every capability hands to people — visits, document
//! renewals, replenishment calls, follow-ups (DESIGN §2.1, §2.4).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

labelled_enum! {
    /// What a task asks for.
    TaskKind {
        Visit => "visit", "走访", "Visit";
        RenewDocument => "renew_document", "证照续期", "Renew document";
        ReplenishCall => "replenish_call", "补货提醒", "Replenishment call";
        FollowUp => "follow_up", "跟进", "Follow-up";
    }
}

labelled_enum! {
    /// Where a task is in its life. `overdue` is not stored: it is an open task past its due
    /// date (see [`is_overdue`]).
    TaskStatus {
        Open => "open", "待办", "Open";
        CheckedIn => "checked_in", "已打卡", "Checked in";
        Reviewed => "reviewed", "已点评", "Reviewed";
        Closed => "closed", "已办结", "Closed";
        Cancelled => "cancelled", "已取消", "Cancelled";
    }
}

impl TaskStatus {
    /// Open, checked in or reviewed: still someone's work.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            TaskStatus::Open | TaskStatus::CheckedIn | TaskStatus::Reviewed
        )
    }
}

labelled_enum! {
    /// Which level of the hierarchy holds a task.
    AssigneeLevel {
        AccountManager => "account_manager", "客户经理", "Account manager";
        Director => "director", "主任", "Director";
        Leader => "leader", "分管领导", "Leader";
    }
}

impl AssigneeLevel {
    /// The level a user of `role` holds tasks at: admins act as leaders, viewers (who hold no
    /// tasks of their own) fall back to the account-manager level.
    pub fn for_role(role: crate::org::Role) -> Self {
        use crate::org::Role;
        match role {
            Role::Director => AssigneeLevel::Director,
            Role::Leader | Role::Admin => AssigneeLevel::Leader,
            Role::AccountManager | Role::Viewer => AssigneeLevel::AccountManager,
        }
    }
}

labelled_enum! {
    /// Why a task exists: the rule or action that raised it.
    TaskSource {
        ExpiryAlert => "expiry_alert", "证照到期提醒", "Expiry alert";
        HazchemScreening => "hazchem_screening", "危化证合规筛查", "Hazchem screening";
        CoveragePlan => "coverage_plan", "半年走访计划", "Coverage plan";
        CustomPlan => "custom_plan", "定制计划", "Custom plan";
        DynamicClass => "dynamic_class", "动态分类", "Dynamic class";
        TankGauge => "tank_gauge", "液位仪", "Tank gauge";
        ReviewComment => "review_comment", "点评跟进", "Review comment";
        Manual => "manual", "手工", "Manual";
    }
}

labelled_enum! {
    /// What closed a task.
    EvidenceKind {
        Document => "document", "证照审核通过", "Approved document";
        Visit => "visit", "走访记录", "Visit record";
        Order => "order", "销售订单", "Sales order";
    }
}

/// The evidence that closed a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskEvidence {
    /// Kind.
    pub kind: EvidenceKind,
    /// The record's id (document, visit, order).
    pub id: Uuid,
    /// When it closed the task.
    pub at: DateTime<Utc>,
}

/// Someone responsible for a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskAssignee {
    /// The user.
    pub user_id: Uuid,
    /// Their name.
    pub name: String,
    /// At which level.
    pub level: AssigneeLevel,
    /// When they were added (escalations add people later).
    pub added_at: DateTime<Utc>,
}

/// A task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Task {
    /// Identifier.
    pub id: Uuid,
    /// Kind.
    pub kind: TaskKind,
    /// What raised it.
    pub source: TaskSource,
    /// The client.
    pub client_id: Uuid,
    /// Its name.
    pub client_name: String,
    /// One line for lists (Chinese).
    pub title: String,
    /// One line for lists (English).
    pub title_en: String,
    /// The reasons in numbers (Chinese), e.g. the expiring document or the class reasons.
    pub detail: String,
    /// The same in English.
    pub detail_en: String,
    /// Due date.
    pub due_date: NaiveDate,
    /// Status.
    pub status: TaskStatus,
    /// Open and past its due date on the day asked.
    pub overdue: bool,
    /// Reminder tier: for renew-document tasks `days_60` … `expired`; for a visit or
    /// follow-up task escalated after being overdue, `escalated`.
    pub tier: Option<String>,
    /// For renew-document tasks: the document that is expiring.
    pub document_id: Option<Uuid>,
    /// Responsible people.
    pub assignees: Vec<TaskAssignee>,
    /// What closed it.
    pub evidence: Option<TaskEvidence>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Closed.
    pub closed_at: Option<DateTime<Utc>>,
}

/// One page of tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskPage {
    /// Rows.
    pub items: Vec<Task>,
    /// Matching rows over all pages.
    pub total: u64,
    /// Page, from 1.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
}

/// An active task past its due date is overdue.
pub fn is_overdue(status: TaskStatus, due_date: NaiveDate, today: NaiveDate) -> bool {
    status == TaskStatus::Open && due_date < today
}

/// Days an open task may be overdue before it escalates one level (DESIGN §2.4).
pub const ESCALATE_AFTER_OVERDUE_DAYS: i64 = 7;

impl AssigneeLevel {
    /// The level above this one; `None` for leaders.
    pub fn above(self) -> Option<Self> {
        match self {
            AssigneeLevel::AccountManager => Some(AssigneeLevel::Director),
            AssigneeLevel::Director => Some(AssigneeLevel::Leader),
            AssigneeLevel::Leader => None,
        }
    }

    /// Its height in the hierarchy: account manager 0, director 1, leader 2.
    pub fn rank(self) -> u8 {
        match self {
            AssigneeLevel::AccountManager => 0,
            AssigneeLevel::Director => 1,
            AssigneeLevel::Leader => 2,
        }
    }
}

/// The tier an overdue visit or follow-up task carries once escalated.
pub const OVERDUE_ESCALATED_TIER: &str = "escalated";

/// The level an overdue task escalates to (DESIGN §2.4): once it is more than
/// [`ESCALATE_AFTER_OVERDUE_DAYS`] days overdue, one level above the highest level it is held
/// at (`held`, its assignees' levels) — once: a task already escalated (its `tier`) waits.
pub fn escalation_due(
    status: TaskStatus,
    due_date: NaiveDate,
    today: NaiveDate,
    tier: Option<&str>,
    held: &[AssigneeLevel],
) -> Option<AssigneeLevel> {
    if tier == Some(OVERDUE_ESCALATED_TIER)
        || !is_overdue(status, due_date, today)
        || (today - due_date).num_days() <= ESCALATE_AFTER_OVERDUE_DAYS
    {
        return None;
    }
    held.iter().copied().max_by_key(|l| l.rank())?.above()
}

/// What a job run did, for the on-demand action and the job log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobReport {
    /// The job.
    pub job: String,
    /// The date it evaluated.
    pub as_of: Option<NaiveDate>,
    /// Tasks created.
    pub created: u64,
    /// Tasks changed (tier moved, people added).
    pub updated: u64,
    /// Tasks closed.
    pub closed: u64,
    /// Records examined.
    pub examined: u64,
    /// Wall time, milliseconds (measured by the job runner).
    pub elapsed_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overdue_tasks_escalate_one_level_after_seven_days_once() {
        use AssigneeLevel::*;
        let due = NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).expect("date");
        let open = TaskStatus::Open;
        // 7 days overdue: not yet; 8: the director joins; once escalated, nothing more.
        assert_eq!(
            escalation_due(open, due, day(9), None, &[AccountManager]),
            None
        );
        assert_eq!(
            escalation_due(open, due, day(10), None, &[AccountManager]),
            Some(Director)
        );
        assert_eq!(
            escalation_due(
                open,
                due,
                day(30),
                Some(OVERDUE_ESCALATED_TIER),
                &[AccountManager, Director]
            ),
            None
        );
        // A task a director already holds goes to the leader; a leader's has nowhere to go.
        assert_eq!(
            escalation_due(open, due, day(10), None, &[AccountManager, Director]),
            Some(Leader)
        );
        assert_eq!(escalation_due(open, due, day(10), None, &[Leader]), None);
        // Only open tasks: a checked-in one waits for its review, not for escalation.
        assert_eq!(
            escalation_due(TaskStatus::CheckedIn, due, day(20), None, &[AccountManager]),
            None
        );
    }

    #[test]
    fn only_open_tasks_past_due_are_overdue() {
        let due = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default();
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
        assert!(is_overdue(TaskStatus::Open, due, today));
        assert!(!is_overdue(TaskStatus::Open, today, today));
        assert!(!is_overdue(TaskStatus::Closed, due, today));
        assert!(TaskStatus::Reviewed.is_active());
        assert!(!TaskStatus::Cancelled.is_active());
    }
}
