//! Half-year coverage plans (半年走访计划, DESIGN §2.4): every due client visited once per
//! half-year, spread over the weeks so the load is even and under capacity, the urgent ones
//! first, neighbours in the same week and each day ordered as a short route.
//!
//! How [`plan_half_year`] works, for one assignee:
//! 1. Clients already visited this half-year, and clients with a dated task, are not planned
//!    again; done visits and dated tasks keep their dates and use up the capacity of their
//!    day and week.
//! 2. The rest are ranked by [`PriorityTier`], then by expected volume at risk. When they
//!    outnumber the free slots from the start date on, the lowest-ranked are returned as
//!    unplanned.
//! 3. Within each tier the clients are swept by bearing around the base (starting at the
//!    widest empty sector), so consecutive clients are neighbours; the tiers are laid end to
//!    end and cut into weeks, each week taking ⌈remaining ÷ weeks left⌉ minus what it already
//!    holds (never more than it can take, never so few that later weeks overflow).
//! 4. A week's clients are routed from the base and the route is cut into its days the same
//!    balanced way (at most ⌈capacity ÷ 5⌉ a day), and every day is routed with
//!    [`crate::routing::plan_route`].
//!
//! Cost: sorting per assignee plus one small route per week and per day, so a province
//! (6 000 clients, 40 assignees) plans in well under a second.

use crate::geo::GeoPoint;
use crate::routing::{plan_route, DistanceMatrix, RouteShape};
use crate::validation::{FieldError, ValidationErrors};
use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// Working days per week (Monday to Friday).
pub const WORKING_DAYS_PER_WEEK: u32 = 5;

labelled_enum! {
    /// Which half of the year.
    Half {
        H1 => "h1", "上半年", "First half (January–June)";
        H2 => "h2", "下半年", "Second half (July–December)";
    }
}

/// A half-year: the period of the coverage rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HalfYear {
    /// Calendar year.
    pub year: i32,
    /// Which half.
    pub half: Half,
}

impl HalfYear {
    /// The half-year holding `date`.
    pub fn of(date: NaiveDate) -> Self {
        let half = if date.month() <= 6 {
            Half::H1
        } else {
            Half::H2
        };
        Self {
            year: date.year(),
            half,
        }
    }

    /// Its first and last day, for years 1000–9999 (outside them a half-year holds no day,
    /// which keeps date arithmetic far from chrono's limits).
    fn bounds(&self) -> Option<(NaiveDate, NaiveDate)> {
        if !(1000..=9999).contains(&self.year) {
            return None;
        }
        let (first, last) = match self.half {
            Half::H1 => ((1, 1), (6, 30)),
            Half::H2 => ((7, 1), (12, 31)),
        };
        Some((
            NaiveDate::from_ymd_opt(self.year, first.0, first.1)?,
            NaiveDate::from_ymd_opt(self.year, last.0, last.1)?,
        ))
    }

    /// Its first day (1 January or 1 July); [`NaiveDate::MAX`] outside the years 1000–9999.
    pub fn first_day(&self) -> NaiveDate {
        self.bounds().map_or(NaiveDate::MAX, |b| b.0)
    }

    /// Its last day (30 June or 31 December); [`NaiveDate::MIN`] outside the years 1000–9999.
    pub fn last_day(&self) -> NaiveDate {
        self.bounds().map_or(NaiveDate::MIN, |b| b.1)
    }

    /// Whether `date` falls in it.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first_day() <= date && date <= self.last_day()
    }

    /// The half-year after this one.
    pub fn next(&self) -> Self {
        match self.half {
            Half::H1 => Self {
                year: self.year,
                half: Half::H2,
            },
            Half::H2 => Self {
                year: self.year.saturating_add(1),
                half: Half::H1,
            },
        }
    }

    /// The Mondays of its weeks: every week holding at least one working day (Monday–Friday)
    /// of the half-year, so the first Monday may fall just before the first day (1 January
    /// 2026 is a Thursday: the first week starts on 29 December 2025).
    pub fn weeks(&self) -> Vec<NaiveDate> {
        let Some((first, last)) = self.bounds() else {
            return Vec::new();
        };
        let mut weeks = Vec::new();
        let mut monday = monday_of(first);
        while monday <= last {
            // A week counts if one of its Monday–Friday lies in the half-year.
            let friday = monday + TimeDelta::days(4);
            if friday >= first {
                weeks.push(monday);
            }
            monday += TimeDelta::days(7);
        }
        weeks
    }

    /// Stable code, e.g. `2026-h1`.
    pub fn code(&self) -> String {
        format!("{}-{}", self.year, self.half.code())
    }

    /// Parses [`HalfYear::code`]; `None` when malformed.
    pub fn parse(code: &str) -> Option<Self> {
        let (year, half) = code.rsplit_once('-')?;
        Some(Self {
            year: year.parse().ok()?,
            half: Half::from_code(half)?,
        })
    }
}

impl std::fmt::Display for HalfYear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.code())
    }
}

/// The Monday of the week holding `date`.
pub fn monday_of(date: NaiveDate) -> NaiveDate {
    let back = i64::from(date.weekday().num_days_from_monday());
    date.checked_sub_signed(TimeDelta::days(back))
        .unwrap_or(date)
}

/// Whether `date` is Monday to Friday.
pub fn is_weekday(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// How plans are made (part of a versioned rule set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanningRules {
    /// Visits an assignee can make per week (15), counting done visits and dated tasks.
    pub capacity_per_week: u32,
    /// Whether a day's route returns to the base (`open`: it ends at the last client).
    #[serde(default)]
    pub route_shape: RouteShape,
    /// Fill a week's days one after another up to the daily capacity (fewer, fuller field
    /// days, less driving) instead of spreading the week's visits evenly over its days.
    #[serde(default)]
    pub compact_days: bool,
}

impl Default for PlanningRules {
    fn default() -> Self {
        Self {
            capacity_per_week: 15,
            route_shape: RouteShape::Open,
            compact_days: false,
        }
    }
}

impl PlanningRules {
    /// Visits planned per day at most: ⌈capacity ÷ 5⌉ (3 by default).
    pub fn capacity_per_day(&self) -> u32 {
        self.capacity_per_week.div_ceil(WORKING_DAYS_PER_WEEK)
    }

    /// Adds the rule set's field errors under `prefix` (e.g. `planning.`).
    pub fn check(&self, prefix: &str, errors: &mut ValidationErrors) {
        if !(1..=200).contains(&self.capacity_per_week) {
            errors.push(FieldError::out_of_range(
                &format!("{prefix}capacity_per_week"),
                1.0,
                200.0,
            ));
        }
    }
}

labelled_enum! {
    /// How early in the half-year a client is planned; earlier tiers fill the earlier weeks
    /// and are the last to be left out when capacity runs short.
    PriorityTier {
        Urgent => "urgent", "A 级且潜在流失", "Grade A and at risk";
        AtRisk => "at_risk", "潜在流失", "At risk";
        GradeA => "grade_a", "A 级", "Grade A";
        Routine => "routine", "常规", "Routine";
    }
}

/// A client the coverage rule says must be visited this half-year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DueClient {
    /// The client.
    pub client_id: Uuid,
    /// Its registered location (WGS-84); a client without one is planned but not routed.
    pub location: Option<GeoPoint>,
    /// Grade A (§2.2).
    pub grade_a: bool,
    /// Flagged at risk or declining by the dynamic classification (§2.3).
    pub at_risk: bool,
    /// Expected volume at risk, tonnes: ranks clients within a tier.
    #[serde(default)]
    pub expected_volume_at_risk_t: f64,
}

impl DueClient {
    /// Its priority tier.
    pub fn tier(&self) -> PriorityTier {
        match (self.grade_a, self.at_risk) {
            (true, true) => PriorityTier::Urgent,
            (false, true) => PriorityTier::AtRisk,
            (true, false) => PriorityTier::GradeA,
            (false, false) => PriorityTier::Routine,
        }
    }

    /// Volume at risk, with anything not a positive number read as 0.
    fn volume(&self) -> f64 {
        let v = self.expected_volume_at_risk_t;
        if v.is_finite() && v > 0.0 {
            v
        } else {
            0.0
        }
    }
}

/// A visit already made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DoneVisit {
    /// The client.
    pub client_id: Uuid,
    /// When.
    pub date: NaiveDate,
}

/// A task that already has a date and is still to be done (a visit task from any source).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DatedTask {
    /// The task.
    pub task_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// Its date.
    pub date: NaiveDate,
    /// The client's location, for routing its day.
    pub location: Option<GeoPoint>,
}

/// What one assignee's plan is made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanningInput {
    /// Where the assignee's days start; `None` uses the centre of their clients.
    pub base: Option<GeoPoint>,
    /// The half-year planned.
    pub half_year: HalfYear,
    /// Nothing new is planned before this day (usually today).
    pub start: NaiveDate,
    /// The clients due this half-year.
    pub due: Vec<DueClient>,
    /// Visits made; those in the half-year cover their client. Pass also those in the weeks
    /// the half-year shares with its neighbours, so those weeks' capacity is right.
    #[serde(default)]
    pub done: Vec<DoneVisit>,
    /// Dated tasks still to do; they stay on their date, count against its capacity, and
    /// their client (if due) is not planned again.
    #[serde(default)]
    pub dated: Vec<DatedTask>,
    /// Days nobody works (public holidays) besides weekends.
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
}

labelled_enum! {
    /// Why a due client got no date.
    UnplannedReason {
        OverCapacity => "over_capacity", "超出每周走访能力", "More clients than free visit slots";
        NoTimeLeft => "no_time_left", "本半年已无可用工作日", "No working day left in the half-year";
    }
}

/// A visit in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedVisit {
    /// The client.
    pub client_id: Uuid,
    /// The day (Monday–Friday for new visits).
    pub date: NaiveDate,
    /// Monday of its week.
    pub week: NaiveDate,
    /// Position in the day's route, from 1.
    pub order: u32,
    /// The dated task it is, when kept from before.
    pub task_id: Option<Uuid>,
    /// Kept from before (a dated task) rather than newly planned.
    pub kept: bool,
    /// The client's tier, for new visits.
    pub tier: Option<PriorityTier>,
}

/// A due client left without a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnplannedClient {
    /// The client.
    pub client_id: Uuid,
    /// Its tier.
    pub tier: PriorityTier,
    /// Why.
    pub reason: UnplannedReason,
}

/// The load of one week of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeekLoad {
    /// Its Monday.
    pub week: NaiveDate,
    /// Visits it can hold.
    pub capacity: u32,
    /// Visits already made in it.
    pub done: u32,
    /// Dated tasks in it.
    pub kept: u32,
    /// Visits newly planned in it.
    pub planned: u32,
}

/// One day's route.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayRoute {
    /// The day.
    pub date: NaiveDate,
    /// Visits (kept and new).
    pub stops: u32,
    /// Straight-line length from the base through the located clients, metres.
    pub length_m: f64,
}

/// How many due clients were visited.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageFigure {
    /// Clients due.
    pub due: u64,
    /// Of those, visited.
    pub covered: u64,
    /// covered ÷ due × 100, one decimal; 100 when nothing is due.
    pub percent: f64,
}

/// The coverage figure; `covered` is capped at `due`.
pub fn coverage(due: u64, covered: u64) -> CoverageFigure {
    let covered = covered.min(due);
    let percent = if due == 0 {
        100.0
    } else {
        (covered as f64 * 1000.0 / due as f64).round() / 10.0
    };
    CoverageFigure {
        due,
        covered,
        percent,
    }
}

/// One assignee's plan for a half-year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoveragePlan {
    /// The half-year.
    pub half_year: HalfYear,
    /// Kept tasks and new visits in the half-year, by date and route order.
    pub visits: Vec<PlannedVisit>,
    /// Due clients left without a date, highest priority first.
    pub unplanned: Vec<UnplannedClient>,
    /// Every week of the half-year.
    pub weeks: Vec<WeekLoad>,
    /// Every day with a visit.
    pub days: Vec<DayRoute>,
    /// Due clients already visited this half-year.
    pub coverage: CoverageFigure,
}

/// A working day of the plan and what it already holds.
struct Day {
    date: NaiveDate,
    /// Done visits and dated tasks on it.
    existing: usize,
    /// New visits may go here.
    open: bool,
}

/// The weeks of the half-year with their days and room for new visits.
struct Calendar {
    /// Loads, one per week of [`HalfYear::weeks`] (`planned` filled in later).
    weeks: Vec<WeekLoad>,
    /// Each week's working days inside the half-year.
    days: Vec<Vec<Day>>,
    /// New visits each week can still take.
    free: Vec<usize>,
}

impl Calendar {
    /// Counts what every date already holds — done visits and dated tasks, whichever half
    /// they belong to, since the first and last weeks are shared with the neighbours — and
    /// the room left under the weekly and daily capacities from the start date on.
    fn new(input: &PlanningInput, rules: &PlanningRules) -> Self {
        let week_capacity = rules.capacity_per_week as usize;
        let day_capacity = rules.capacity_per_day() as usize;
        let holidays: HashSet<NaiveDate> = input.holidays.iter().copied().collect();
        let mut done_on: HashMap<NaiveDate, usize> = HashMap::new();
        for v in &input.done {
            *done_on.entry(v.date).or_default() += 1;
        }
        let mut kept_on: HashMap<NaiveDate, usize> = HashMap::new();
        for t in &input.dated {
            *kept_on.entry(t.date).or_default() += 1;
        }
        let on = |counts: &HashMap<NaiveDate, usize>, date: NaiveDate| -> usize {
            counts.get(&date).copied().unwrap_or(0)
        };
        let in_week = |counts: &HashMap<NaiveDate, usize>, monday: NaiveDate| -> usize {
            (0..7)
                .map(|d| on(counts, monday + TimeDelta::days(d)))
                .sum()
        };

        let mondays = input.half_year.weeks();
        let mut calendar = Self {
            weeks: Vec::with_capacity(mondays.len()),
            days: Vec::with_capacity(mondays.len()),
            free: Vec::with_capacity(mondays.len()),
        };
        for monday in mondays {
            let (done, kept) = (in_week(&done_on, monday), in_week(&kept_on, monday));
            let days: Vec<Day> = (0..i64::from(WORKING_DAYS_PER_WEEK))
                .map(|d| monday + TimeDelta::days(d))
                .filter(|date| input.half_year.contains(*date))
                .map(|date| Day {
                    date,
                    existing: on(&done_on, date) + on(&kept_on, date),
                    open: date >= input.start && !holidays.contains(&date),
                })
                .collect();
            let day_room: usize = days
                .iter()
                .filter(|d| d.open)
                .map(|d| day_capacity.saturating_sub(d.existing))
                .sum();
            calendar
                .free
                .push(week_capacity.saturating_sub(done + kept).min(day_room));
            calendar.weeks.push(WeekLoad {
                week: monday,
                capacity: rules.capacity_per_week,
                done: count_u32(done),
                kept: count_u32(kept),
                planned: 0,
            });
            calendar.days.push(days);
        }
        calendar
    }
}

/// Plans one assignee's half-year; see the module documentation for the method.
pub fn plan_half_year(input: &PlanningInput, rules: &PlanningRules) -> CoveragePlan {
    let half_year = input.half_year;
    let mut seen = HashSet::new();
    let due: Vec<&DueClient> = input
        .due
        .iter()
        .filter(|c| seen.insert(c.client_id))
        .collect();
    let covered: HashSet<Uuid> = input
        .done
        .iter()
        .filter(|v| half_year.contains(v.date))
        .map(|v| v.client_id)
        .collect();
    let mut kept: Vec<&DatedTask> = input
        .dated
        .iter()
        .filter(|t| half_year.contains(t.date))
        .collect();
    kept.sort_by_key(|t| (t.date, t.task_id));
    let kept_clients: HashSet<Uuid> = kept.iter().map(|t| t.client_id).collect();
    let mut calendar = Calendar::new(input, rules);

    // Rank what is left to plan; cut it at the free slots.
    let mut to_plan: Vec<&DueClient> = due
        .iter()
        .copied()
        .filter(|c| !covered.contains(&c.client_id) && !kept_clients.contains(&c.client_id))
        .collect();
    to_plan.sort_by(|a, b| {
        a.tier()
            .cmp(&b.tier())
            .then(b.volume().total_cmp(&a.volume()))
            .then(a.client_id.cmp(&b.client_id))
    });
    let total_free: usize = calendar.free.iter().sum();
    let reason = if calendar.days.iter().flatten().any(|d| d.open) {
        UnplannedReason::OverCapacity
    } else {
        UnplannedReason::NoTimeLeft
    };
    let unplanned: Vec<UnplannedClient> = to_plan
        .iter()
        .skip(total_free)
        .map(|c| UnplannedClient {
            client_id: c.client_id,
            tier: c.tier(),
            reason,
        })
        .collect();
    to_plan.truncate(total_free);

    let base = located(input.base).or_else(|| centre(&due, &kept));
    let sequence = sweep_by_tier(&to_plan, base);
    let new_on = assign_days(&sequence, &mut calendar, base, rules);
    let (visits, days) = route_days(&kept, &new_on, base, rules.route_shape);

    let covered_due = due
        .iter()
        .filter(|c| covered.contains(&c.client_id))
        .count();
    CoveragePlan {
        half_year,
        visits,
        unplanned,
        weeks: calendar.weeks,
        days,
        coverage: coverage(due.len() as u64, covered_due as u64),
    }
}

/// Cuts the sequence into balanced weeks (recording each week's count), routes each week's
/// clients and cuts that route into its days; returns the new clients of every date.
fn assign_days<'a>(
    sequence: &[&'a DueClient],
    calendar: &mut Calendar,
    base: Option<GeoPoint>,
    rules: &PlanningRules,
) -> BTreeMap<NaiveDate, Vec<&'a DueClient>> {
    let day_capacity = rules.capacity_per_day() as usize;
    let open_weeks: Vec<usize> = (0..calendar.weeks.len())
        .filter(|&w| calendar.days[w].iter().any(|d| d.open))
        .collect();
    let loads: Vec<usize> = open_weeks
        .iter()
        .map(|&w| (calendar.weeks[w].done + calendar.weeks[w].kept) as usize)
        .collect();
    let frees: Vec<usize> = open_weeks.iter().map(|&w| calendar.free[w]).collect();
    let counts = spread(sequence.len(), &loads, &frees);
    let mut new_on = BTreeMap::new();
    let mut next = 0;
    for (&w, &count) in open_weeks.iter().zip(&counts) {
        let chunk = &sequence[next..next + count];
        next += count;
        calendar.weeks[w].planned = count_u32(count);
        if chunk.is_empty() {
            continue;
        }
        let ordered = route_clients(chunk, base);
        let days: Vec<&Day> = calendar.days[w].iter().filter(|d| d.open).collect();
        let day_loads: Vec<usize> = days.iter().map(|d| d.existing).collect();
        let day_frees: Vec<usize> = days
            .iter()
            .map(|d| day_capacity.saturating_sub(d.existing))
            .collect();
        let per_day = if rules.compact_days {
            fill(ordered.len(), &day_frees)
        } else {
            spread(ordered.len(), &day_loads, &day_frees)
        };
        let mut at = 0;
        for (day, &n) in days.iter().zip(&per_day) {
            if n > 0 {
                new_on.insert(day.date, ordered[at..at + n].to_vec());
            }
            at += n;
        }
    }
    new_on
}

/// Routes every date holding a kept task or a new visit; the visits in date and route order,
/// and the days.
fn route_days(
    kept: &[&DatedTask],
    new_on: &BTreeMap<NaiveDate, Vec<&DueClient>>,
    base: Option<GeoPoint>,
    shape: RouteShape,
) -> (Vec<PlannedVisit>, Vec<DayRoute>) {
    let mut stops_on: BTreeMap<NaiveDate, Vec<(Option<GeoPoint>, PlannedVisit)>> = BTreeMap::new();
    let visit = |client_id, date: NaiveDate| PlannedVisit {
        client_id,
        date,
        week: monday_of(date),
        order: 0,
        task_id: None,
        kept: false,
        tier: None,
    };
    for t in kept {
        stops_on.entry(t.date).or_default().push((
            t.location,
            PlannedVisit {
                task_id: Some(t.task_id),
                kept: true,
                ..visit(t.client_id, t.date)
            },
        ));
    }
    for (&date, clients) in new_on {
        for c in clients {
            stops_on.entry(date).or_default().push((
                c.location,
                PlannedVisit {
                    tier: Some(c.tier()),
                    ..visit(c.client_id, date)
                },
            ));
        }
    }
    let mut visits = Vec::new();
    let mut days = Vec::with_capacity(stops_on.len());
    for (date, stops) in stops_on {
        let (order, length_m) = route_day(&stops, base, shape);
        days.push(DayRoute {
            date,
            stops: count_u32(stops.len()),
            length_m,
        });
        for (position, index) in order.into_iter().enumerate() {
            visits.push(PlannedVisit {
                order: count_u32(position + 1),
                ..stops[index].1
            });
        }
    }
    (visits, days)
}

fn count_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Mean position of the located clients and tasks (a territory is small enough for a plain
/// mean of degrees).
fn centre(due: &[&DueClient], kept: &[&DatedTask]) -> Option<GeoPoint> {
    let points: Vec<GeoPoint> = due
        .iter()
        .filter_map(|c| c.location)
        .chain(kept.iter().filter_map(|t| t.location))
        .filter(|p| p.lat.is_finite() && p.lon.is_finite())
        .collect();
    if points.is_empty() {
        return None;
    }
    let n = points.len() as f64;
    Some(GeoPoint {
        lat: points.iter().map(|p| p.lat).sum::<f64>() / n,
        lon: points.iter().map(|p| p.lon).sum::<f64>() / n,
    })
}

/// A usable location: present and finite.
fn located(p: Option<GeoPoint>) -> Option<GeoPoint> {
    p.filter(|p| p.lat.is_finite() && p.lon.is_finite())
}

/// The clients (already ranked, so grouped by tier) reordered within each tier by bearing
/// around the base, starting after the widest empty sector; clients without a location
/// close their tier in rank order.
fn sweep_by_tier<'a>(ranked: &[&'a DueClient], base: Option<GeoPoint>) -> Vec<&'a DueClient> {
    let mut sequence = Vec::with_capacity(ranked.len());
    let mut start = 0;
    while start < ranked.len() {
        let tier = ranked[start].tier();
        let end = start
            + ranked[start..]
                .iter()
                .take_while(|c| c.tier() == tier)
                .count();
        let group = &ranked[start..end];
        let mut swept: Vec<(f64, &DueClient)> = Vec::new();
        let mut unlocated = Vec::new();
        for c in group {
            match (located(c.location), base) {
                (Some(p), Some(b)) => swept.push((bearing(&b, &p), c)),
                _ => unlocated.push(*c),
            }
        }
        swept.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.client_id.cmp(&b.1.client_id)));
        let first = widest_gap_end(&swept.iter().map(|s| s.0).collect::<Vec<_>>());
        sequence.extend(swept[first..].iter().chain(&swept[..first]).map(|s| s.1));
        sequence.extend(unlocated);
        start = end;
    }
    sequence
}

/// Bearing of `p` seen from `base`, radians (−π…π), on a local flat projection.
fn bearing(base: &GeoPoint, p: &GeoPoint) -> f64 {
    let dx = (p.lon - base.lon) * base.lat.to_radians().cos();
    let dy = p.lat - base.lat;
    dy.atan2(dx)
}

/// Index in sorted `angles` that follows the widest gap between neighbours (wrapping round).
fn widest_gap_end(angles: &[f64]) -> usize {
    let n = angles.len();
    if n < 2 {
        return 0;
    }
    let mut best = (angles[0] + std::f64::consts::TAU - angles[n - 1], 0);
    for k in 1..n {
        let gap = angles[k] - angles[k - 1];
        if gap > best.0 {
            best = (gap, k);
        }
    }
    best.1
}

/// `n` items spread over bins already holding `loads`, each taking at most `free[i]`: bin i
/// takes ⌈(items left + loads left) ÷ bins left⌉ − loads[i], raised to what the later bins
/// cannot absorb and capped at its room. Requires n ≤ Σ free; the counts sum to n.
fn spread(n: usize, loads: &[usize], free: &[usize]) -> Vec<usize> {
    let bins = loads.len().min(free.len());
    let mut later_free = vec![0; bins + 1];
    for i in (0..bins).rev() {
        later_free[i] = later_free[i + 1] + free[i];
    }
    let mut load_left: usize = loads[..bins].iter().sum();
    let mut remaining = n.min(later_free[0]);
    let mut counts = Vec::with_capacity(bins);
    for i in 0..bins {
        let target = (remaining + load_left).div_ceil(bins - i);
        let want = target.saturating_sub(loads[i]);
        let must = remaining.saturating_sub(later_free[i + 1]);
        let take = want.max(must).min(free[i]).min(remaining);
        counts.push(take);
        remaining -= take;
        load_left -= loads[i];
    }
    counts
}

/// `n` items put into bins in order, each filled to its room before the next.
fn fill(n: usize, free: &[usize]) -> Vec<usize> {
    let mut remaining = n;
    free.iter()
        .map(|&room| {
            let take = room.min(remaining);
            remaining -= take;
            take
        })
        .collect()
}

/// The clients of a week in route order from the base, so consecutive ones are close and the
/// route can be cut into days; clients without a location go last.
fn route_clients<'a>(clients: &[&'a DueClient], base: Option<GeoPoint>) -> Vec<&'a DueClient> {
    let stops: Vec<(Option<GeoPoint>, &DueClient)> =
        clients.iter().map(|c| (c.location, *c)).collect();
    let (order, _) = route_day(&stops, base, RouteShape::Open);
    order.into_iter().map(|i| stops[i].1).collect()
}

/// The visiting order (indices into `stops`) and the routed length: located stops routed from
/// the base, then the others in their given order.
fn route_day<T>(
    stops: &[(Option<GeoPoint>, T)],
    base: Option<GeoPoint>,
    shape: RouteShape,
) -> (Vec<usize>, f64) {
    let (mut routed, mut rest): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
    let mut points = Vec::new();
    for (i, (location, _)) in stops.iter().enumerate() {
        match (located(*location), base) {
            (Some(p), Some(_)) => {
                routed.push(i);
                points.push(p);
            }
            _ => rest.push(i),
        }
    }
    let mut length_m = 0.0;
    if let Some(base) = base.filter(|_| !points.is_empty()) {
        let route = plan_route(&DistanceMatrix::haversine(&base, &points), shape);
        routed = route.order.iter().map(|&k| routed[k]).collect();
        length_m = route.length_m;
    }
    routed.extend(rest);
    (routed, length_m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::SplitMix64;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn h1() -> HalfYear {
        HalfYear {
            year: 2026,
            half: Half::H1,
        }
    }

    fn base() -> GeoPoint {
        GeoPoint {
            lat: 28.2,
            lon: 112.9,
        }
    }

    fn client(n: u128, lat: f64, lon: f64) -> DueClient {
        DueClient {
            client_id: Uuid::from_u128(n),
            location: Some(GeoPoint { lat, lon }),
            grade_a: false,
            at_risk: false,
            expected_volume_at_risk_t: 0.0,
        }
    }

    fn scattered(count: u128, seed: u64) -> Vec<DueClient> {
        let mut rng = SplitMix64(seed);
        (1..=count)
            .map(|n| {
                let mut c = client(n, rng.between(27.9, 28.5), rng.between(112.6, 113.2));
                c.grade_a = rng.unit() < 0.15;
                c.at_risk = rng.unit() < 0.1;
                c.expected_volume_at_risk_t = rng.between(0.0, 50.0);
                c
            })
            .collect()
    }

    fn input(due: Vec<DueClient>, start: NaiveDate) -> PlanningInput {
        PlanningInput {
            base: Some(base()),
            half_year: h1(),
            start,
            due,
            done: Vec::new(),
            dated: Vec::new(),
            holidays: Vec::new(),
        }
    }

    #[test]
    fn half_years_know_their_days_and_weeks() {
        assert_eq!(HalfYear::of(date(2026, 3, 10)), h1());
        assert_eq!(HalfYear::of(date(2026, 7, 1)).half, Half::H2);
        assert_eq!(h1().first_day(), date(2026, 1, 1));
        assert_eq!(h1().last_day(), date(2026, 6, 30));
        assert_eq!(h1().next().last_day(), date(2026, 12, 31));
        assert_eq!(
            h1().next().next(),
            HalfYear {
                year: 2027,
                half: Half::H1
            }
        );
        let weeks = h1().weeks();
        // 1 Jan 2026 is a Thursday; 30 Jun 2026 a Tuesday.
        assert_eq!(weeks.first(), Some(&date(2025, 12, 29)));
        assert_eq!(weeks.last(), Some(&date(2026, 6, 29)));
        assert_eq!(weeks.len(), 27);
        assert!(weeks.iter().all(|w| w.weekday() == Weekday::Mon));
        // 1 Jan 2028 is a Saturday: that week has no working day in the half-year.
        let h1_2028 = HalfYear {
            year: 2028,
            half: Half::H1,
        };
        assert_eq!(h1_2028.weeks().first(), Some(&date(2028, 1, 3)));
        assert_eq!(HalfYear::parse("2026-h2"), Some(h1().next()));
        assert_eq!(h1().to_string(), "2026-h1");
        assert_eq!(HalfYear::parse("2026-h3"), None);
        assert_eq!(monday_of(date(2026, 3, 15)), date(2026, 3, 9));
    }

    #[test]
    fn coverage_is_a_percentage_with_one_decimal() {
        let c = coverage(3, 2);
        assert_eq!((c.due, c.covered, c.percent), (3, 2, 66.7));
        assert_eq!(coverage(0, 0).percent, 100.0);
        assert_eq!(coverage(4, 9).covered, 4);
    }

    #[test]
    fn a_territory_is_spread_evenly_over_the_half_year() {
        let plan = plan_half_year(
            &input(scattered(150, 1), date(2026, 1, 1)),
            &PlanningRules::default(),
        );
        assert!(plan.unplanned.is_empty());
        assert_eq!(plan.visits.len(), 150);
        let full_weeks: Vec<u32> = plan.weeks[1..plan.weeks.len() - 1]
            .iter()
            .map(|w| w.planned)
            .collect();
        let (min, max) = (
            full_weeks.iter().min().unwrap(),
            full_weeks.iter().max().unwrap(),
        );
        assert!(max - min <= 1, "{full_weeks:?}");
        assert!(plan.weeks.iter().all(|w| w.planned <= 15));
        assert_eq!(plan.coverage.covered, 0);
    }

    #[test]
    fn grade_a_and_at_risk_clients_come_first() {
        let plan = plan_half_year(
            &input(scattered(150, 2), date(2026, 1, 1)),
            &PlanningRules::default(),
        );
        let mut last_week_of_tier: HashMap<PriorityTier, NaiveDate> = HashMap::new();
        let mut first_week_of_tier: HashMap<PriorityTier, NaiveDate> = HashMap::new();
        for v in &plan.visits {
            let tier = v.tier.unwrap();
            let last = last_week_of_tier.entry(tier).or_insert(v.week);
            *last = (*last).max(v.week);
            let first = first_week_of_tier.entry(tier).or_insert(v.week);
            *first = (*first).min(v.week);
        }
        for pair in PriorityTier::ALL.windows(2) {
            if let (Some(end), Some(begin)) = (
                last_week_of_tier.get(&pair[0]),
                first_week_of_tier.get(&pair[1]),
            ) {
                assert!(end <= begin, "{pair:?}");
            }
        }
    }

    #[test]
    fn neighbouring_clients_share_a_week() {
        // Two towns 40 km north and south of the base, twelve clients each.
        let mut due = Vec::new();
        for n in 0..12 {
            let jitter = n as f64 * 0.001;
            due.push(client(100 + n, 28.56 + jitter, 112.9 + jitter));
            due.push(client(200 + n, 27.84 - jitter, 112.9 - jitter));
        }
        let mut i = input(due, date(2026, 6, 15));
        // Close 29–30 June so exactly two full weeks remain.
        i.holidays = vec![date(2026, 6, 29), date(2026, 6, 30)];
        let plan = plan_half_year(&i, &PlanningRules::default());
        assert!(plan.unplanned.is_empty());
        let mut towns_by_week: BTreeMap<NaiveDate, HashSet<u128>> = BTreeMap::new();
        for v in &plan.visits {
            towns_by_week
                .entry(v.week)
                .or_default()
                .insert(v.client_id.as_u128() / 100);
        }
        assert_eq!(towns_by_week.len(), 2);
        assert!(
            towns_by_week.values().all(|towns| towns.len() == 1),
            "{towns_by_week:?}"
        );
    }

    /// Mean distance between two clients of the same week, and between any two clients.
    fn week_and_territory_spread(plan: &CoveragePlan, due: &[DueClient]) -> (f64, f64) {
        let location: HashMap<Uuid, GeoPoint> = due
            .iter()
            .filter_map(|c| Some((c.client_id, c.location?)))
            .collect();
        let mean_pairwise = |points: &[GeoPoint]| {
            let (mut sum, mut pairs) = (0.0, 0);
            for (k, p) in points.iter().enumerate() {
                for q in &points[k + 1..] {
                    sum += p.distance_m(q);
                    pairs += 1;
                }
            }
            (sum, pairs)
        };
        let mut by_week: BTreeMap<NaiveDate, Vec<GeoPoint>> = BTreeMap::new();
        for v in &plan.visits {
            by_week
                .entry(v.week)
                .or_default()
                .push(location[&v.client_id]);
        }
        let (mut sum, mut pairs) = (0.0, 0);
        for points in by_week.values() {
            let (s, p) = mean_pairwise(points);
            sum += s;
            pairs += p;
        }
        let all: Vec<GeoPoint> = location.values().copied().collect();
        let (all_sum, all_pairs) = mean_pairwise(&all);
        (sum / pairs as f64, all_sum / all_pairs as f64)
    }

    #[test]
    fn clients_of_a_week_are_much_closer_together_than_the_territory() {
        let mut due = scattered(150, 6);
        for c in &mut due {
            c.grade_a = false;
            c.at_risk = false;
        }
        let plan = plan_half_year(
            &input(due.clone(), date(2026, 1, 1)),
            &PlanningRules::default(),
        );
        let (week, territory) = week_and_territory_spread(&plan, &due);
        assert!(week < 0.5 * territory, "{week:.0} m vs {territory:.0} m");
    }

    #[test]
    fn compact_days_mean_fewer_field_days_and_less_driving() {
        let i = input(scattered(150, 7), date(2026, 1, 1));
        let spread_out = plan_half_year(&i, &PlanningRules::default());
        let compact = plan_half_year(
            &i,
            &PlanningRules {
                compact_days: true,
                ..PlanningRules::default()
            },
        );
        let km = |p: &CoveragePlan| p.days.iter().map(|d| d.length_m).sum::<f64>() / 1000.0;
        assert_eq!(compact.visits.len(), 150);
        assert!(compact.days.len() < spread_out.days.len());
        assert!(
            km(&compact) < 0.8 * km(&spread_out),
            "{} vs {}",
            km(&compact),
            km(&spread_out)
        );
        assert!(compact.days.iter().all(|d| d.stops <= 3));
    }

    #[test]
    fn each_day_is_routed_outwards_from_the_base() {
        // Three clients on a line east of the base, one day's worth.
        let due = vec![
            client(3, 28.2, 113.05),
            client(1, 28.2, 112.95),
            client(2, 28.2, 113.0),
        ];
        let mut i = input(due, date(2026, 6, 30));
        i.base = Some(base());
        let plan = plan_half_year(&i, &PlanningRules::default());
        let order: Vec<(u128, u32)> = plan
            .visits
            .iter()
            .map(|v| (v.client_id.as_u128(), v.order))
            .collect();
        assert_eq!(order, [(1, 1), (2, 2), (3, 3)]);
        assert_eq!(plan.days.len(), 1);
        assert!(
            (plan.days[0].length_m
                - base().distance_m(&GeoPoint {
                    lat: 28.2,
                    lon: 113.05
                }))
            .abs()
                < 1.0
        );
    }

    #[test]
    fn too_many_clients_leave_the_lowest_priority_unplanned() {
        let mut due = scattered(40, 3);
        due[39].grade_a = true;
        due[39].at_risk = true;
        // Only the last week of June is left: 2 working days × 3 = 6 slots.
        let plan = plan_half_year(&input(due, date(2026, 6, 29)), &PlanningRules::default());
        assert_eq!(plan.visits.len(), 6);
        assert_eq!(plan.unplanned.len(), 34);
        assert!(plan
            .visits
            .iter()
            .any(|v| v.client_id == Uuid::from_u128(40)));
        assert!(plan
            .unplanned
            .iter()
            .all(|u| u.reason == UnplannedReason::OverCapacity));
        let after_end = plan_half_year(
            &input(scattered(5, 3), date(2026, 7, 1)),
            &PlanningRules::default(),
        );
        assert!(after_end.visits.is_empty());
        assert!(after_end
            .unplanned
            .iter()
            .all(|u| u.reason == UnplannedReason::NoTimeLeft));
    }

    #[test]
    fn holidays_and_weekends_get_no_visits() {
        let mut i = input(scattered(60, 4), date(2026, 1, 1));
        i.holidays = (16..=20).map(|d| date(2026, 2, d)).collect();
        let plan = plan_half_year(&i, &PlanningRules::default());
        assert!(plan
            .visits
            .iter()
            .all(|v| is_weekday(v.date) && !i.holidays.contains(&v.date)));
        assert_eq!(plan.visits.len(), 60);
    }

    #[test]
    fn clients_without_a_location_are_planned_but_not_routed() {
        let mut due = scattered(10, 5);
        for c in &mut due {
            c.location = None;
        }
        let mut i = input(due, date(2026, 1, 1));
        i.base = None;
        let plan = plan_half_year(&i, &PlanningRules::default());
        assert_eq!(plan.visits.len(), 10);
        assert!(plan.days.iter().all(|d| d.length_m == 0.0));
    }

    /// Checks the invariants of a plan against its input; returns the clients newly planned.
    fn check_invariants(
        i: &PlanningInput,
        rules: &PlanningRules,
        plan: &CoveragePlan,
    ) -> Result<HashSet<Uuid>, TestCaseError> {
        let hy = i.half_year;
        let week_capacity = rules.capacity_per_week as usize;
        let day_capacity = rules.capacity_per_day() as usize;
        let mut existing_day: HashMap<NaiveDate, usize> = HashMap::new();
        let mut existing_week: HashMap<NaiveDate, usize> = HashMap::new();
        for d in i
            .done
            .iter()
            .map(|v| v.date)
            .chain(i.dated.iter().map(|t| t.date))
        {
            *existing_day.entry(d).or_default() += 1;
            *existing_week.entry(monday_of(d)).or_default() += 1;
        }
        let mut new_day: HashMap<NaiveDate, usize> = HashMap::new();
        let mut new_week: HashMap<NaiveDate, usize> = HashMap::new();
        let mut planned = HashSet::new();
        for v in plan.visits.iter().filter(|v| !v.kept) {
            prop_assert!(v.date >= i.start, "{} before start {}", v.date, i.start);
            prop_assert!(
                hy.contains(v.date) && is_weekday(v.date) && !i.holidays.contains(&v.date)
            );
            prop_assert_eq!(v.week, monday_of(v.date));
            prop_assert!(planned.insert(v.client_id), "{} planned twice", v.client_id);
            *new_day.entry(v.date).or_default() += 1;
            *new_week.entry(v.week).or_default() += 1;
        }
        for (day, n) in &new_day {
            let existing = existing_day.get(day).copied().unwrap_or(0);
            prop_assert!(
                *n <= day_capacity.saturating_sub(existing),
                "day {day}: {n} new + {existing}"
            );
        }
        for (week, n) in &new_week {
            let existing = existing_week.get(week).copied().unwrap_or(0);
            prop_assert!(
                *n <= week_capacity.saturating_sub(existing),
                "week {week}: {n} new + {existing}"
            );
        }
        // A client of a later tier never has an earlier week than one of an earlier tier.
        let mut tiers_by_week: BTreeMap<NaiveDate, Vec<PriorityTier>> = BTreeMap::new();
        for v in plan.visits.iter().filter(|v| !v.kept) {
            tiers_by_week.entry(v.week).or_default().extend(v.tier);
        }
        let mut latest_so_far: Option<PriorityTier> = None;
        for tiers in tiers_by_week.values() {
            let earliest = tiers.iter().min().copied();
            prop_assert!(
                latest_so_far <= earliest,
                "{:?} after {:?}",
                earliest,
                latest_so_far
            );
            latest_so_far = latest_so_far.max(tiers.iter().max().copied());
        }
        // Kept tasks: all there, on their date.
        let kept: Vec<(Uuid, NaiveDate)> = plan
            .visits
            .iter()
            .filter(|v| v.kept)
            .map(|v| (v.task_id.unwrap(), v.date))
            .collect();
        let mut expected: Vec<(Uuid, NaiveDate)> = i
            .dated
            .iter()
            .filter(|t| hy.contains(t.date))
            .map(|t| (t.task_id, t.date))
            .collect();
        let mut got = kept.clone();
        expected.sort();
        got.sort();
        prop_assert_eq!(got, expected);
        // Every due client exactly once: covered, kept, planned or unplanned.
        let covered: HashSet<Uuid> = i
            .done
            .iter()
            .filter(|v| hy.contains(v.date))
            .map(|v| v.client_id)
            .collect();
        let kept_clients: HashSet<Uuid> = i
            .dated
            .iter()
            .filter(|t| hy.contains(t.date))
            .map(|t| t.client_id)
            .collect();
        let unplanned: HashSet<Uuid> = plan.unplanned.iter().map(|u| u.client_id).collect();
        prop_assert_eq!(unplanned.len(), plan.unplanned.len());
        let due: HashSet<Uuid> = i.due.iter().map(|c| c.client_id).collect();
        for id in &due {
            let ways = [
                covered.contains(id) || kept_clients.contains(id),
                planned.contains(id),
                unplanned.contains(id),
            ];
            prop_assert_eq!(ways.iter().filter(|w| **w).count(), 1, "client {}", id);
        }
        prop_assert!(planned.is_subset(&due) && unplanned.is_subset(&due));
        // The unplanned rank below every planned client.
        let rank = |id: &Uuid| {
            let c = i.due.iter().find(|c| c.client_id == *id).unwrap();
            (c.tier(), -c.volume(), c.client_id)
        };
        if let Some(lowest_planned) = planned
            .iter()
            .map(rank)
            .max_by(|a, b| a.partial_cmp(b).unwrap())
        {
            for u in &unplanned {
                prop_assert!(rank(u) > lowest_planned);
            }
        }
        // Days are numbered 1..n.
        let mut by_day: BTreeMap<NaiveDate, Vec<u32>> = BTreeMap::new();
        for v in &plan.visits {
            by_day.entry(v.date).or_default().push(v.order);
        }
        for orders in by_day.values() {
            prop_assert_eq!(
                orders.clone(),
                (1..=orders.len() as u32).collect::<Vec<_>>()
            );
        }
        Ok(planned)
    }

    fn arbitrary_input() -> impl Strategy<Value = (PlanningInput, PlanningRules)> {
        (
            proptest::collection::vec(
                (
                    proptest::option::weighted(0.9, (27.9f64..28.5, 112.6f64..113.2)),
                    any::<bool>(),
                    any::<bool>(),
                    0.0f64..100.0,
                    0u128..80,
                ),
                0..120,
            ),
            proptest::collection::vec((0u128..100, 0i64..200), 0..25),
            proptest::collection::vec((0u128..100, -7i64..190), 0..25),
            1u32..25,
            0i64..200,
            any::<bool>(),
            proptest::collection::vec(0i64..181, 0..10),
        )
            .prop_map(
                |(clients, done, dated, capacity, start, closed, holidays)| {
                    let first = h1().first_day();
                    let due = clients
                        .into_iter()
                        .map(|(location, grade_a, at_risk, volume, id)| DueClient {
                            client_id: Uuid::from_u128(id),
                            location: location.map(|(lat, lon)| GeoPoint { lat, lon }),
                            grade_a,
                            at_risk,
                            expected_volume_at_risk_t: volume,
                        })
                        .collect();
                    let input = PlanningInput {
                        base: Some(base()),
                        half_year: h1(),
                        start: first + TimeDelta::days(start),
                        due,
                        done: done
                            .into_iter()
                            .map(|(id, day)| DoneVisit {
                                client_id: Uuid::from_u128(id),
                                date: first + TimeDelta::days(day),
                            })
                            .collect(),
                        dated: dated
                            .into_iter()
                            .enumerate()
                            .map(|(k, (id, day))| DatedTask {
                                task_id: Uuid::from_u128(10_000 + k as u128),
                                client_id: Uuid::from_u128(id),
                                date: first + TimeDelta::days(day),
                                location: Some(base()),
                            })
                            .collect(),
                        holidays: holidays
                            .into_iter()
                            .map(|d| first + TimeDelta::days(d))
                            .collect(),
                    };
                    let rules = PlanningRules {
                        capacity_per_week: capacity,
                        route_shape: if closed {
                            RouteShape::Closed
                        } else {
                            RouteShape::Open
                        },
                        compact_days: capacity % 2 == 0,
                    };
                    (input, rules)
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn plans_keep_every_invariant((i, rules) in arbitrary_input()) {
            let plan = plan_half_year(&i, &rules);
            check_invariants(&i, &rules, &plan)?;
        }

        #[test]
        fn replanning_keeps_done_visits_and_does_not_plan_their_clients_again(
            (i, rules) in arbitrary_input(),
            cut in 0i64..200,
        ) {
            let first = plan_half_year(&i, &rules);
            let planned_first = check_invariants(&i, &rules, &first)?;
            let cut = i.start.max(h1().first_day() + TimeDelta::days(cut));
            let mut again = i.clone();
            again.start = cut;
            let newly_done: Vec<DoneVisit> = first
                .visits
                .iter()
                .filter(|v| !v.kept && v.date < cut)
                .map(|v| DoneVisit { client_id: v.client_id, date: v.date })
                .collect();
            again.done.extend(newly_done.iter().copied());
            let second = plan_half_year(&again, &rules);
            let planned_second = check_invariants(&again, &rules, &second)?;
            for d in &newly_done {
                prop_assert!(!planned_second.contains(&d.client_id));
                prop_assert!(!second.unplanned.iter().any(|u| u.client_id == d.client_id));
            }
            // Whoever had a date on or after the cut still has one.
            for v in first.visits.iter().filter(|v| !v.kept && v.date >= cut) {
                prop_assert!(planned_second.contains(&v.client_id), "{} lost its date", v.client_id);
            }
            prop_assert!(planned_first.len() >= newly_done.len());
        }
    }

    #[test]
    fn a_province_plans_in_well_under_five_seconds() {
        let started = std::time::Instant::now();
        let mut visits = 0;
        for assignee in 0..40u64 {
            let mut i = input(scattered(150, assignee), date(2026, 1, 1));
            i.base = Some(GeoPoint {
                lat: 28.2,
                lon: 112.9,
            });
            let plan = plan_half_year(&i, &PlanningRules::default());
            visits += plan.visits.len();
        }
        let elapsed = started.elapsed();
        assert_eq!(visits, 6_000);
        // Debug builds are an order of magnitude slower than release.
        let limit = if cfg!(debug_assertions) { 30.0 } else { 5.0 };
        assert!(elapsed.as_secs_f64() < limit, "{elapsed:?}");
    }
}
