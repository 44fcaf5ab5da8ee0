//! Scheduled jobs. Each job is a plain `async fn` taking the store and the date it evaluates,
//! so tests and the on-demand admin action call it with a chosen date; only [`start_scheduler`]
//! knows about cron.

use crate::clock::SharedClock;
use crate::state::AppState;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::archive::{expiry_tier, renew_task_levels, ClientArchiveFacts, DocumentFacts};
use domain::archive::{DocumentType, ReviewState};
use domain::org::{DataScope, OrgLevel, Role};
use domain::task::{
    escalation_due, AssigneeLevel, JobReport, TaskKind, TaskSource, TaskStatus,
    OVERDUE_ESCALATED_TIER,
};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;
use store::tasks::{renew_dedupe_key, Escalation, NewTask};
use store::{Store, StoreError, UserFilter};
use tokio_cron_scheduler::{Job, JobScheduler};
use uuid::Uuid;

/// Names of the jobs that can be run on demand.
pub const JOBS: &[&str] = &[
    EXPIRY_ALERTS,
    RECOMPUTE_INTEL,
    DYNAMIC_VISITS,
    OVERDUE_ESCALATION,
    SERVICE_SLA,
    MONTHLY_SCORECARDS,
];

/// The scorecards of the month before, on the 1st.
pub const MONTHLY_SCORECARDS: &str = "monthly_scorecards";

/// The service-ticket clocks, every 15 minutes: tickets past a target go up a level.
pub const SERVICE_SLA: &str = "service_sla";

/// The daily escalation of visit and follow-up tasks overdue more than 7 days.
pub const OVERDUE_ESCALATION: &str = "overdue_escalation";

/// The weekly visit tasks for declining, at-risk and churned clients and prospects.
pub const DYNAMIC_VISITS: &str = "dynamic_visits";

/// The nightly recompute of grades, classes and P(alive).
pub const RECOMPUTE_INTEL: &str = "recompute_intel";

/// The daily licence-expiry alerts.
pub const EXPIRY_ALERTS: &str = "expiry_alerts";

/// Clients per batch of the expiry job: one page of facts, one transaction of writes.
const PAGE: u64 = 1000;

/// Runs the job called `name` for `as_of`, timed and logged (scheduled and on-demand runs
/// alike); `None` when there is no such job.
pub async fn run_job(
    store: &Store,
    name: &str,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> Option<Result<JobReport, StoreError>> {
    let started = Instant::now();
    let result = match name {
        EXPIRY_ALERTS => expiry_alerts(store, as_of, now).await,
        RECOMPUTE_INTEL => recompute_intel(store, as_of, now).await,
        DYNAMIC_VISITS => dynamic_visits(store, as_of, now).await,
        OVERDUE_ESCALATION => overdue_escalation(store, as_of, now).await,
        SERVICE_SLA => service_sla(store, now).await,
        MONTHLY_SCORECARDS => monthly_scorecards(store, as_of, now).await,
        _ => return None,
    };
    Some(result.map(|mut report| {
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        tracing::info!(
            job = name,
            %as_of,
            examined = report.examined,
            created = report.created,
            updated = report.updated,
            closed = report.closed,
            elapsed_ms = report.elapsed_ms,
            "job finished"
        );
        report
    }))
}

/// [`run_job`] on demand, counted in the server's metrics like the scheduled runs.
pub async fn run_job_counted(
    state: &AppState,
    name: &str,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> Option<Result<JobReport, StoreError>> {
    if !JOBS.contains(&name) {
        return None;
    }
    let run = async {
        run_job(&state.store, name, as_of, now)
            .await
            .unwrap_or_else(|| Err(StoreError::Corrupt(format!("no job {name}"))))
    };
    Some(crate::metrics::counted_run(state.metrics.clone(), name, run).await)
}

/// Recomputes every client's grade, class and P(alive) as of `as_of` (DESIGN §2.2, §2.3).
pub async fn recompute_intel(
    store: &Store,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> Result<JobReport, StoreError> {
    let stats = crate::intel::recompute(store, as_of, now).await?;
    tracing::info!(
        job = RECOMPUTE_INTEL,
        clients = stats.clients,
        orders = stats.orders,
        read_ms = stats.read_ms,
        compute_ms = stats.compute_ms,
        write_ms = stats.write_ms,
        "recomputed client intelligence"
    );
    Ok(JobReport {
        job: RECOMPUTE_INTEL.to_owned(),
        as_of: Some(as_of),
        created: 0,
        updated: stats.grade_changes,
        closed: 0,
        examined: stats.clients,
        elapsed_ms: 0,
    })
}

/// Directors and leaders, by the unit they sit in, with the tree to walk upwards.
pub(crate) struct Supervisors {
    parent: HashMap<Uuid, Option<Uuid>>,
    level: HashMap<Uuid, OrgLevel>,
    directors: HashMap<Uuid, Uuid>,
    leaders: HashMap<Uuid, Uuid>,
    names: HashMap<Uuid, String>,
}

impl Supervisors {
    pub(crate) async fn load(store: &Store) -> Result<Self, StoreError> {
        let units = store.org_units().await?;
        let parent = units.iter().map(|u| (u.id, u.parent_id)).collect();
        let level = units.iter().map(|u| (u.id, u.level)).collect();
        let mut directors = HashMap::new();
        let mut leaders = HashMap::new();
        let mut names = HashMap::new();
        for (role, map) in [
            (Role::Director, &mut directors),
            (Role::Leader, &mut leaders),
        ] {
            let filter = UserFilter {
                role: Some(role),
                active: Some(true),
                ..Default::default()
            };
            // The first active one per unit (the store orders them), so picks are stable.
            for user in store.user_records(&filter).await? {
                map.entry(user.org_unit_id).or_insert(user.id);
                names.insert(user.id, user.display_name);
            }
        }
        Ok(Self {
            parent,
            level,
            directors,
            leaders,
            names,
        })
    }

    /// The display name of a director or leader.
    pub(crate) fn name(&self, user: Uuid) -> Option<&str> {
        self.names.get(&user).map(String::as_str)
    }

    /// The nearest holder of `level` at or above `unit`.
    pub(crate) fn nearest(&self, unit: Uuid, level: AssigneeLevel) -> Option<Uuid> {
        let map = match level {
            AssigneeLevel::Director => &self.directors,
            AssigneeLevel::Leader => &self.leaders,
            AssigneeLevel::AccountManager => return None,
        };
        let mut at = Some(unit);
        while let Some(u) = at {
            if let Some(user) = map.get(&u) {
                return Some(*user);
            }
            at = self.parent.get(&u).copied().flatten();
        }
        None
    }

    /// The city a unit belongs to (itself when it is one); the province root when it sits above
    /// any city.
    fn city_of(&self, unit: Uuid) -> Uuid {
        let mut at = unit;
        loop {
            if self.level.get(&at) == Some(&OrgLevel::City) {
                return at;
            }
            match self.parent.get(&at).copied().flatten() {
                Some(up) => at = up,
                None => return at,
            }
        }
    }

    fn assignees(
        &self,
        facts: &ClientArchiveFacts,
        levels: &[AssigneeLevel],
    ) -> Vec<(Uuid, AssigneeLevel)> {
        self.people(facts.org_unit_id, facts.account_manager_id, levels)
    }

    /// The people at `levels` for a client of `unit` managed by `account_manager`.
    fn people(
        &self,
        unit: Uuid,
        account_manager: Uuid,
        levels: &[AssigneeLevel],
    ) -> Vec<(Uuid, AssigneeLevel)> {
        levels
            .iter()
            .filter_map(|level| match level {
                AssigneeLevel::AccountManager => Some((account_manager, *level)),
                AssigneeLevel::Director => self.nearest(unit, *level).map(|u| (u, *level)),
                // The leader in charge of the client's city, else the province's.
                AssigneeLevel::Leader => self
                    .nearest(self.city_of(unit), *level)
                    .map(|u| (u, *level)),
            })
            .collect()
    }
}

/// The document of each type that alerts are about: the newest approved version with a
/// valid-to (a long-term newest approval means nothing expires).
fn current_approved(documents: &[DocumentFacts]) -> Vec<&DocumentFacts> {
    let mut newest: HashMap<DocumentType, &DocumentFacts> = HashMap::new();
    for doc in documents
        .iter()
        .filter(|d| d.review == ReviewState::Approved)
    {
        match newest.get(&doc.doc_type) {
            Some(seen) if (seen.uploaded_at, seen.id) >= (doc.uploaded_at, doc.id) => {}
            _ => {
                newest.insert(doc.doc_type, doc);
            }
        }
    }
    let mut out: Vec<&DocumentFacts> = newest
        .into_values()
        .filter(|d| d.valid_to.is_some())
        .collect();
    out.sort_by_key(|d| d.doc_type);
    out
}

fn renew_texts(
    facts: &ClientArchiveFacts,
    doc_type: DocumentType,
    valid_to: NaiveDate,
    as_of: NaiveDate,
) -> (String, String, String, String) {
    let days = (valid_to - as_of).num_days();
    let title = format!("{}：{}续期", facts.client_name, doc_type.label_zh());
    let title_en = format!(
        "{}: renew the {}",
        facts.client_name,
        doc_type.label_en().to_lowercase()
    );
    let (detail, detail_en) = if days > 0 {
        (
            format!("{}有效期至 {valid_to}，还剩 {days} 天，请督促客户办理续期并上传新证照。", doc_type.label_zh()),
            format!(
                "The {} is valid until {valid_to}, {days} days from now; have the client renew it and upload the new one.",
                doc_type.label_en().to_lowercase()
            ),
        )
    } else {
        (
            format!("{}已于 {valid_to} 到期（已过 {} 天），请尽快办理续期并上传新证照。", doc_type.label_zh(), -days),
            format!(
                "The {} expired on {valid_to} ({} days ago); have the client renew it and upload the new one.",
                doc_type.label_en().to_lowercase(),
                -days
            ),
        )
    };
    (title, title_en, detail, detail_en)
}

/// Licence-expiry alerts for `as_of` (DESIGN §2.1): for each client's current approved
/// document within 60 days of its valid-to (or past it), one renew-document task per
/// (client, type, valid-to), held by the account manager; the director is added 7 days after
/// expiry and the leader 30 days after. Re-running changes nothing that is already right and
/// never re-creates a task that was closed.
pub async fn expiry_alerts(
    store: &Store,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> Result<JobReport, StoreError> {
    let supervisors = Supervisors::load(store).await?;
    let existing = store.keyed_tasks("renew:").await?;
    let mut report = JobReport {
        job: EXPIRY_ALERTS.to_owned(),
        as_of: Some(as_of),
        ..Default::default()
    };
    let filter = store::ArchiveFilter::default();
    let mut after = None;
    loop {
        let page = store
            .archive_facts_page(&DataScope::All, &filter, as_of, after, PAGE)
            .await?;
        let last_page = (page.len() as u64) < PAGE;
        after = page.last().map(|f| f.client_id);
        let mut new_tasks = Vec::new();
        let mut escalations: Vec<Escalation> = Vec::new();
        for facts in &page {
            report.examined += 1;
            for doc in current_approved(&facts.documents) {
                let Some(valid_to) = doc.valid_to else {
                    continue;
                };
                let Some(tier) = expiry_tier(valid_to, as_of) else {
                    continue;
                };
                let key = renew_dedupe_key(facts.client_id, doc.doc_type, valid_to);
                let assignees = supervisors.assignees(facts, &renew_task_levels(valid_to, as_of));
                match existing.get(&key) {
                    Some(task) if !task.status.is_active() => {}
                    Some(task) => {
                        let add: Vec<(Uuid, AssigneeLevel)> = assignees
                            .into_iter()
                            .filter(|(user, _)| !task.assignees.contains(user))
                            .collect();
                        let tier_changed = task.tier.as_deref() != Some(tier.code());
                        if !add.is_empty() || tier_changed {
                            escalations.push((task.id, Some(tier.code().to_owned()), add));
                        }
                    }
                    None => {
                        let (title, title_en, detail, detail_en) =
                            renew_texts(facts, doc.doc_type, valid_to, as_of);
                        new_tasks.push(NewTask {
                            id: Uuid::now_v7(),
                            kind: TaskKind::RenewDocument,
                            source: TaskSource::ExpiryAlert,
                            client_id: facts.client_id,
                            title,
                            title_en,
                            detail,
                            detail_en,
                            due_date: valid_to,
                            tier: Some(tier.code().to_owned()),
                            document_id: Some(doc.id),
                            dedupe_key: Some(key),
                            assignees,
                            created_at: now,
                        });
                    }
                }
            }
        }
        if !new_tasks.is_empty() || !escalations.is_empty() {
            report.created += store
                .apply_task_batch(&new_tasks, &escalations, now)
                .await?;
            report.updated += escalations.len() as u64;
        }
        if last_page {
            break;
        }
    }
    Ok(report)
}

/// The weekly dynamic visits (DESIGN §2.4): every declining, at-risk, churned and prospect
/// client gets one open visit task due by Friday of the week of `as_of`, unless it has one
/// active already; the classification sentence is the task's detail, and the expected volume
/// at risk orders the run (and is in the title).
pub async fn dynamic_visits(
    store: &Store,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> Result<JobReport, StoreError> {
    use chrono::Datelike;
    use domain::visit::{dynamic_visit_key, dynamic_visit_levels};
    let supervisors = Supervisors::load(store).await?;
    let candidates = store.dynamic_visit_candidates().await?;
    let friday = as_of
        + chrono::TimeDelta::days((4 - i64::from(as_of.weekday().num_days_from_monday())).max(0));
    let tasks: Vec<NewTask> = candidates
        .iter()
        .map(|c| {
            let levels = dynamic_visit_levels(c.class, c.grade_a, c.key_client);
            let at_risk = (c.volume_at_risk_t * 10.0).round() / 10.0;
            NewTask {
                id: Uuid::now_v7(),
                kind: TaskKind::Visit,
                source: TaskSource::DynamicClass,
                client_id: c.client_id,
                title: if at_risk > 0.0 {
                    format!("{}客户走访（预计风险量 {at_risk} 吨）", c.class.label_zh())
                } else {
                    format!("{}客户走访", c.class.label_zh())
                },
                title_en: if at_risk > 0.0 {
                    format!(
                        "Visit {} client ({at_risk} t expected at risk)",
                        c.class.label_en().to_lowercase()
                    )
                } else {
                    format!("Visit {} client", c.class.label_en().to_lowercase())
                },
                detail: c.sentence_zh.clone(),
                detail_en: c.sentence_en.clone(),
                due_date: friday,
                tier: None,
                document_id: None,
                dedupe_key: Some(dynamic_visit_key(c.client_id)),
                assignees: supervisors.people(c.org_unit_id, c.account_manager_id, &levels),
                created_at: now,
            }
        })
        .collect();
    let mut report = JobReport {
        job: DYNAMIC_VISITS.to_owned(),
        as_of: Some(as_of),
        examined: candidates.len() as u64,
        ..JobReport::default()
    };
    for chunk in tasks.chunks(PAGE as usize) {
        report.created += store.create_tasks(chunk, None).await?;
    }
    Ok(report)
}

/// Escalates open visit and follow-up tasks overdue more than
/// [`domain::task::ESCALATE_AFTER_OVERDUE_DAYS`] days one level (DESIGN §2.4): the nearest
/// director (or, for a task a director holds, leader) above the client's unit joins the task,
/// once (the task's tier records it).
pub async fn overdue_escalation(
    store: &Store,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> Result<JobReport, StoreError> {
    let supervisors = Supervisors::load(store).await?;
    let overdue = store.overdue_open_tasks(as_of).await?;
    let mut report = JobReport {
        job: OVERDUE_ESCALATION.to_owned(),
        as_of: Some(as_of),
        examined: overdue.len() as u64,
        ..JobReport::default()
    };
    let escalations: Vec<Escalation> = overdue
        .iter()
        .filter_map(|t| {
            let level = escalation_due(
                TaskStatus::Open,
                t.due_date,
                as_of,
                t.tier.as_deref(),
                &t.held,
            )?;
            let add: Vec<(Uuid, AssigneeLevel)> = supervisors
                .nearest(t.org_unit_id, level)
                .filter(|u| !t.users.contains(u))
                .map(|u| (u, level))
                .into_iter()
                .collect();
            // Marked escalated even when no one holds the level above, so it is tried once.
            Some((t.id, Some(OVERDUE_ESCALATED_TIER.to_owned()), add))
        })
        .collect();
    for chunk in escalations.chunks(PAGE as usize) {
        store.apply_task_batch(&[], chunk, now).await?;
        report.updated += chunk.len() as u64;
    }
    Ok(report)
}

/// Evaluates the clocks of every open and in-progress ticket at `now` (DESIGN: client service):
/// a ticket whose response target has passed goes to the director of its client's unit, one
/// whose resolution target has passed to the leader; each step once, on the timeline, naming
/// who it reached. Levels only go up.
pub async fn service_sla(store: &Store, now: DateTime<Utc>) -> Result<JobReport, StoreError> {
    use domain::service::{escalation_level, level_rank, sla_clock, TicketEventKind};
    let candidates = store.sla_candidates(now).await?;
    // Which tickets go up, first: the people are only read when someone is to be named.
    let due: Vec<_> = candidates
        .iter()
        .filter_map(|t| {
            let clock = sla_clock(&t.target, t.opened_at, t.responded_at, t.resolved_at, now);
            let level = escalation_level(&clock);
            (level_rank(level) > level_rank(t.level)).then_some((t, level, clock))
        })
        .collect();
    let mut report = JobReport {
        job: SERVICE_SLA.to_owned(),
        as_of: Some(domain::china_date(now)),
        examined: candidates.len() as u64,
        ..JobReport::default()
    };
    if due.is_empty() {
        return Ok(report);
    }
    let supervisors = Supervisors::load(store).await?;
    let mut moves = Vec::new();
    for (t, level, clock) in due {
        let why = if clock.resolve_breached {
            "超过解决时限"
        } else {
            "超过响应时限"
        };
        let who = supervisors
            .nearest(t.org_unit_id, level)
            .and_then(|u| supervisors.name(u))
            .map(|n| format!(" {n}"))
            .unwrap_or_else(|| "（该级暂无在岗人员）".to_owned());
        let mut event = store::tickets::NewTicketEvent::note(
            t.id,
            TicketEventKind::Escalated,
            (None, "SLA 定时任务"),
            now,
            &format!("{} {why}，升级至{}{who}", t.number, level.label_zh()),
        );
        event.level = Some(level);
        moves.push((t.id, level, event));
    }
    for chunk in moves.chunks(PAGE as usize) {
        report.updated += store.escalate_tickets(chunk, now).await?;
    }
    Ok(report)
}

/// Computes the scorecards of the month before `as_of` (unless that month is locked).
pub async fn monthly_scorecards(
    store: &Store,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> Result<JobReport, StoreError> {
    let previous = as_of
        .with_day(1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(as_of);
    let month = previous.format("%Y-%m").to_string();
    let audit = domain::audit::AuditEntry {
        id: Uuid::now_v7(),
        at: now,
        actor_id: None,
        actor_name: "定时任务".to_owned(),
        ip: None,
        action: domain::audit::AuditAction::Create,
        entity: "scorecard_month".to_owned(),
        entity_id: None,
        changes: vec![domain::audit::FieldChange {
            field: "compute".to_owned(),
            before: serde_json::Value::Null,
            after: serde_json::json!({ "month": month }),
        }],
        request_id: None,
    };
    let computed = crate::routes::scorecards::compute_month(store, &month, now, &audit).await?;
    Ok(JobReport {
        job: MONTHLY_SCORECARDS.to_owned(),
        as_of: Some(as_of),
        created: computed.unwrap_or(0) as u64,
        examined: computed.unwrap_or(0) as u64,
        ..JobReport::default()
    })
}

/// Starts the scheduler: the intelligence recompute nightly at 01:30, the expiry alerts daily
/// at 02:00, the overdue escalation daily at 02:30 and the dynamic visits on Mondays at 06:00
/// China time. A failing or panicking run is logged and recorded, and the server carries on.
pub async fn start_scheduler(state: AppState) -> anyhow::Result<JobScheduler> {
    let jobs = vec![
        // 02:00 China time (18:00 UTC).
        ScheduledJob::named("0 0 18 * * *", EXPIRY_ALERTS),
        // 01:30 China time (17:30 UTC): after the ERP's evening sync.
        ScheduledJob::named("0 30 17 * * *", RECOMPUTE_INTEL),
        // 02:30 China time (18:30 UTC).
        ScheduledJob::named("0 30 18 * * *", OVERDUE_ESCALATION),
        // Monday 06:00 China time (Sunday 22:00 UTC): the week's dynamic visits.
        ScheduledJob::named("0 0 22 * * Sun", DYNAMIC_VISITS),
        // Every 15 minutes: the service tickets' response and resolution clocks.
        ScheduledJob::named("0 */15 * * * *", SERVICE_SLA),
        // 08:00 China time (00:00 UTC) on the 1st: last month's scorecards, for review.
        ScheduledJob::named("0 0 0 1 * *", MONTHLY_SCORECARDS),
    ];
    let jobs = jobs
        .into_iter()
        .map(|job| crate::metrics::count_runs(job, &state.metrics))
        .collect();
    start_jobs(state.store.clone(), state.clock.clone(), jobs).await
}

/// What a job does when it fires: given the store and the moment, the run (not yet started).
pub type JobRunner = Arc<dyn Fn(Store, DateTime<Utc>) -> JobFuture + Send + Sync>;

/// A job's run, as [`run_claimed`] takes it.
pub type JobFuture = Pin<Box<dyn Future<Output = Result<JobReport, StoreError>> + Send>>;

/// One entry of a schedule.
pub struct ScheduledJob {
    /// When, as a UTC cron expression with seconds (`0 30 17 * * *`).
    pub cron: &'static str,
    /// The name its runs are claimed and logged under (at most 40 characters).
    pub name: &'static str,
    /// What it does.
    pub run: JobRunner,
}

impl ScheduledJob {
    /// Job `name` of [`JOBS`] on `cron`; each run takes the China-time date of its moment as
    /// its as-of date.
    pub fn named(cron: &'static str, name: &'static str) -> Self {
        ScheduledJob {
            cron,
            name,
            run: Arc::new(move |store, now| Box::pin(named_job(store, name, now))),
        }
    }
}

/// Starts a scheduler firing `jobs` on `store`, each firing taking its moment from `clock` and
/// going through [`run_claimed`]: claimed, run in its own task, outcome recorded.
pub async fn start_jobs(
    store: Store,
    clock: SharedClock,
    jobs: Vec<ScheduledJob>,
) -> anyhow::Result<JobScheduler> {
    let scheduler = JobScheduler::new().await?;
    for job in jobs {
        let (store, clock, name, run) = (store.clone(), clock.clone(), job.name, job.run);
        let job = Job::new_async(job.cron, move |_id, _scheduler| {
            let (store, now) = (store.clone(), clock.now());
            let run = run(store.clone(), now);
            Box::pin(async move {
                run_claimed(&store, name, now, &instance_name(), run).await;
            })
        })?;
        scheduler.add(job).await?;
    }
    scheduler.start().await?;
    Ok(scheduler)
}

/// This process as the job claims name it: host and process id.
fn instance_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".to_owned());
    format!("{host}:{}", std::process::id())
}

/// What a scheduled firing did.
#[derive(Debug, Clone, PartialEq)]
pub enum ScheduledRun {
    /// This instance claimed the slot and ran the job.
    Ran(Result<JobReport, String>),
    /// Another instance holds the slot: nothing done here.
    Skipped,
}

/// A scheduled firing of job `name` (one of [`JOBS`]) at `now`, through [`run_claimed`].
pub async fn run_scheduled(
    store: &Store,
    name: &str,
    now: DateTime<Utc>,
    instance: &str,
) -> ScheduledRun {
    let job = named_job(store.clone(), name, now);
    run_claimed(store, name, now, instance, job).await
}

/// The run of job `name` for a firing at `now`, as the scheduler starts it.
fn named_job(
    store: Store,
    name: &str,
    now: DateTime<Utc>,
) -> impl Future<Output = Result<JobReport, StoreError>> + Send + 'static {
    let name = name.to_owned();
    async move {
        run_job(&store, &name, domain::china_date(now), now)
            .await
            .unwrap_or_else(|| Err(StoreError::Corrupt(format!("no job {name}"))))
    }
}

/// A scheduled firing of `job` (called `name`) at `now`: the run is claimed for its slot (the
/// minute it fired) so that of several instances on one database exactly one runs it; the
/// others skip and `job` is dropped unstarted. The job runs in its own task, so a panic in it
/// ends only that task: it is logged and recorded as `panicked: …`. Every outcome is recorded on
/// the claim and logged; a failure never stops the server or the scheduler.
pub async fn run_claimed(
    store: &Store,
    name: &str,
    now: DateTime<Utc>,
    instance: &str,
    job: impl Future<Output = Result<JobReport, StoreError>> + Send + 'static,
) -> ScheduledRun {
    use chrono::{DurationRound, TimeDelta};
    let slot = now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now);
    match store.claim_job_run(name, slot, instance, now).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!(job = name, %slot, "job slot taken by another instance; skipped");
            return ScheduledRun::Skipped;
        }
        Err(e) => {
            tracing::error!(job = name, error = %e, "could not claim the job run");
            return ScheduledRun::Ran(Err(e.to_string()));
        }
    }
    let (outcome, result) = match tokio::spawn(job).await {
        Ok(Ok(r)) => (
            format!(
                "ok: examined {}, created {}, updated {}",
                r.examined, r.created, r.updated
            ),
            Ok(r),
        ),
        Ok(Err(e)) => {
            tracing::error!(job = name, error = %e, "job failed");
            (format!("failed: {e}"), Err(e.to_string()))
        }
        Err(e) => {
            let outcome = if e.is_panic() {
                format!("panicked: {}", panic_message(e.into_panic().as_ref()))
            } else {
                format!("cancelled: {e}")
            };
            tracing::error!(job = name, %outcome, "job did not finish");
            (outcome.clone(), Err(outcome))
        }
    };
    if let Err(e) = store.finish_job_run(name, slot, now, &outcome).await {
        tracing::warn!(job = name, error = %e, "could not record the job's end");
    }
    ScheduledRun::Ran(result)
}

/// The message a panic was raised with (`panic!("…")` carries a `&str` or a `String`).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}
