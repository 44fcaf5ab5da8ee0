//! A deterministic generator of a realistic demo province (DESIGN §3, "Embedded default").
//!
//! Pure: no I/O, no clock, no global randomness. The same [`DemoConfig`] always yields the same
//! [`DemoData`], byte for byte, so demo screenshots, tests and benchmarks are reproducible.
//!
//! The province is Hunan: its 14 prefecture-level units and 122 county-level divisions
//! ([`hunan`]), with directors, leaders and account managers, ~6,000 clients per unit of
//! [`DemoConfig::scale`] and 24 months of seasonal sales orders shaped by each client's
//! [`Behaviour`] (steady, declining, lapsing, churned, returning, new, prospect).
//!
//! For large scales, [`DemoGenerator`] streams clients ([`DemoGenerator::clients`]) and their
//! orders ([`OrderBook::orders_for`]) so that the ~30 million orders of scale 100 never sit in
//! memory at once; [`generate`] is the convenient all-in-memory form.

pub mod hunan;

mod clients;
pub mod documents;
mod orders;
mod people;
mod random;
mod words;

pub use clients::Clients;
pub use orders::OrderBook;

use chrono::{DateTime, NaiveDate, Utc};
use domain::client::{ClientCategory, ClientFields};
use domain::org::{OrgLevel, OrgUnit, Role};
use domain::sales::SalesOrder;
use random::Stream;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The password of every demo user (the README lists the demo accounts).
pub const DEMO_PASSWORD: &str = "Demo@2026";

/// Clients per unit of scale: the reference province has about 6,000 ordering clients.
pub const CLIENTS_PER_SCALE: f64 = 6_000.0;

/// Fewest clients at any scale, so tiny test provinces still show every behaviour.
pub const MIN_CLIENTS: usize = 12;

/// Code of the county whose director and first account manager are the `director` and
/// `manager` demo accounts (长沙市岳麓区).
pub const DEMO_COUNTY_CODE: &str = "430104";

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemoConfig {
    /// Seed of every random choice; the same seed gives the same province.
    pub seed: u64,
    /// Size: 1.0 ≈ 6,000 clients (the reference province); 0.02 for tests; 100 for benchmarks.
    /// The org tree does not grow with it; account managers do.
    pub scale: f64,
    /// The last day of sales history; orders cover the 24 months ending on it.
    pub as_of: NaiveDate,
}

impl DemoConfig {
    /// A configuration.
    pub fn new(seed: u64, scale: f64, as_of: NaiveDate) -> Self {
        Self { seed, scale, as_of }
    }

    /// How many clients this scale makes (at least [`MIN_CLIENTS`]).
    pub fn client_count(&self) -> usize {
        let wanted = CLIENTS_PER_SCALE * self.scale;
        if wanted.is_finite() && wanted > MIN_CLIENTS as f64 {
            wanted.round() as usize
        } else {
            MIN_CLIENTS
        }
    }
}

/// A demo user; every one signs in with [`DEMO_PASSWORD`].
#[derive(Debug, Clone, PartialEq)]
pub struct DemoUser {
    /// Identifier.
    pub id: Uuid,
    /// Sign-in name: `admin`, `leader`, `director`, `manager`, `viewer`, or systematic
    /// (`ldr4301`, `dir4301`, `dir430181`, `am430181a`, …).
    pub username: String,
    /// Chinese name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// The unit the user belongs to.
    pub org_unit_id: Uuid,
    /// Unique 11-digit mobile number.
    pub phone: String,
    /// Employee number, `E000001` …
    pub employee_id: String,
}

/// How a client's purchases evolve over the 24 months; it decides the shape of its orders
/// (and so the churn class DESIGN §2.3 should find).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Behaviour {
    /// Buys regularly to the end.
    Steady,
    /// The last ~6 months fall to 30–65 % of the volume before.
    Declining,
    /// Normal until its last order 40–85 days before `as_of` (at risk).
    Lapsing,
    /// Stopped 100–400 days before `as_of`.
    Churned,
    /// Stopped for 100–200 days, then bought again within the last 60 days.
    Returning,
    /// First order within the last 80 days.
    New,
    /// Has never bought.
    Prospect,
}

impl Behaviour {
    /// Every behaviour, in declaration order.
    pub const ALL: &'static [Behaviour] = &[
        Behaviour::Steady,
        Behaviour::Declining,
        Behaviour::Lapsing,
        Behaviour::Churned,
        Behaviour::Returning,
        Behaviour::New,
        Behaviour::Prospect,
    ];

    /// Share of clients with this behaviour.
    pub fn share(self) -> f64 {
        match self {
            Behaviour::Steady => 0.55,
            Behaviour::Declining => 0.12,
            Behaviour::Lapsing => 0.07,
            Behaviour::Churned => 0.10,
            Behaviour::Returning => 0.05,
            Behaviour::New => 0.08,
            Behaviour::Prospect => 0.03,
        }
    }

    /// Stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Behaviour::Steady => "steady",
            Behaviour::Declining => "declining",
            Behaviour::Lapsing => "lapsing",
            Behaviour::Churned => "churned",
            Behaviour::Returning => "returning",
            Behaviour::New => "new",
            Behaviour::Prospect => "prospect",
        }
    }

    /// Chinese label, in the words of DESIGN §2.3.
    pub fn label_zh(self) -> &'static str {
        match self {
            Behaviour::Steady => "稳定客户",
            Behaviour::Declining => "减量客户",
            Behaviour::Lapsing => "潜在流失客户",
            Behaviour::Churned => "流失客户",
            Behaviour::Returning => "回流客户",
            Behaviour::New => "新增客户",
            Behaviour::Prospect => "潜在客户",
        }
    }

    /// True when the client has at least one order.
    pub fn buys(self) -> bool {
        self != Behaviour::Prospect
    }
}

/// A generated client.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoClient {
    /// Identifier.
    pub id: Uuid,
    /// Master data; always passes [`ClientFields::validate`].
    pub fields: ClientFields,
    /// The purchase pattern its orders follow.
    pub behaviour: Behaviour,
    /// When the record was created (before its first order; prospects within the last year).
    pub created_at: DateTime<Utc>,
}

/// A whole demo province.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoData {
    /// Province, cities, counties (parents before children).
    pub org_units: Vec<OrgUnit>,
    /// Users of every unit.
    pub users: Vec<DemoUser>,
    /// Clients, county by county.
    pub clients: Vec<DemoClient>,
    /// Sales orders, client by client, each client's in date order.
    pub orders: Vec<SalesOrder>,
}

impl DemoData {
    /// The user with this sign-in name.
    pub fn user(&self, username: &str) -> Option<&DemoUser> {
        self.users.iter().find(|u| u.username == username)
    }
}

/// Generates the whole province in memory.
///
/// Scale 1 takes well under a second in release; for scale 100 stream with [`DemoGenerator`].
pub fn generate(config: &DemoConfig) -> DemoData {
    let generator = DemoGenerator::new(config);
    let clients: Vec<DemoClient> = generator.clients().collect();
    let mut book = generator.order_book();
    let mut orders = Vec::with_capacity(clients.len() * 50);
    for client in &clients {
        book.extend_orders_for(client, &mut orders);
    }
    DemoData {
        org_units: generator.org_units,
        users: generator.users,
        clients,
        orders,
    }
}

/// The id of the org unit with this GB/T 2260 code (the province, a city or a county).
///
/// Ids depend on the code only, not on the seed, so they are the same in every demo database.
pub fn org_unit_id(code: &str) -> Uuid {
    random::uuid_from_key(random::hash_str(&format!("youguanjia-org-unit:{code}")))
}

/// One county's share of the plan.
#[derive(Debug, Clone)]
pub(crate) struct CountyPlan {
    pub(crate) city: &'static hunan::City,
    pub(crate) county: &'static hunan::County,
    pub(crate) unit_id: Uuid,
    /// Global index of its first client.
    pub(crate) first: usize,
    /// Number of clients.
    pub(crate) count: usize,
    /// Its account managers; clients are dealt to them in turn.
    pub(crate) managers: Vec<Uuid>,
}

/// The streaming form of [`generate`]: the org tree and users up front, clients and orders
/// on demand.
///
/// Clients come out of [`DemoGenerator::clients`] in the same order and with the same content
/// as in [`generate`]; orders come from an [`OrderBook`] fed those clients in that order.
#[derive(Debug, Clone)]
pub struct DemoGenerator {
    pub(crate) config: DemoConfig,
    org_units: Vec<OrgUnit>,
    users: Vec<DemoUser>,
    pub(crate) plans: Vec<CountyPlan>,
    pub(crate) categories: Vec<ClientCategory>,
    pub(crate) behaviours: Vec<Behaviour>,
    pub(crate) calendar: orders::Calendar,
    /// County unit id → its city, for depots.
    pub(crate) city_of_unit: HashMap<Uuid, &'static hunan::City>,
    /// Users' phones, so clients' contacts never reuse one.
    pub(crate) user_phones: HashSet<u64>,
}

impl DemoGenerator {
    /// Plans the province: org units, users, and how many clients of each kind go where.
    pub fn new(config: &DemoConfig) -> Self {
        let total = config.client_count();
        let org_units = build_org_units();

        let counties: Vec<(&'static hunan::City, &'static hunan::County)> = hunan::CITIES
            .iter()
            .flat_map(|city| city.counties.iter().map(move |county| (city, county)))
            .collect();
        let weights: Vec<f64> = counties.iter().map(|(_, c)| f64::from(c.weight)).collect();
        let mut counts = random::apportion(total, &weights, 0);
        ensure_demo_county_has_clients(&counties, &mut counts, total.min(3));

        let mut first = 0;
        let mut plans = Vec::with_capacity(counties.len());
        for ((city, county), count) in counties.into_iter().zip(counts) {
            plans.push(CountyPlan {
                city,
                county,
                unit_id: org_unit_id(county.code),
                first,
                count,
                managers: Vec::new(),
            });
            first += count;
        }

        let mut people = people::PhoneBook::default();
        let users = people::build_users(config.seed, &mut plans, &mut people);

        let mut quota_rng = random::stream(config.seed, Stream::Quotas, 0);
        let categories = shuffled_quota(
            &mut quota_rng,
            total,
            &[
                (ClientCategory::EndUser, 0.70),
                (ClientCategory::FillingStation, 0.27),
                (ClientCategory::Trader, 0.03),
            ],
        );
        let shares: Vec<(Behaviour, f64)> =
            Behaviour::ALL.iter().map(|&b| (b, b.share())).collect();
        let behaviours = shuffled_quota(&mut quota_rng, total, &shares);

        let city_of_unit = plans.iter().map(|p| (p.unit_id, p.city)).collect();
        DemoGenerator {
            config: *config,
            org_units,
            users,
            plans,
            categories,
            behaviours,
            calendar: orders::Calendar::new(config.as_of),
            city_of_unit,
            user_phones: people.into_used(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &DemoConfig {
        &self.config
    }

    /// Province, cities and counties (parents before children).
    pub fn org_units(&self) -> &[OrgUnit] {
        &self.org_units
    }

    /// Every user.
    pub fn users(&self) -> &[DemoUser] {
        &self.users
    }

    /// Number of clients [`DemoGenerator::clients`] yields.
    pub fn client_count(&self) -> usize {
        self.categories.len()
    }

    /// The first day of sales history (24 months before `as_of`, plus one day).
    pub fn first_order_day(&self) -> NaiveDate {
        self.calendar.start()
    }

    /// The clients, county by county, made one at a time.
    pub fn clients(&self) -> Clients<'_> {
        Clients::new(self)
    }

    /// A fresh order book: it numbers orders day by day, so give it each client once.
    pub fn order_book(&self) -> OrderBook<'_> {
        OrderBook::new(self)
    }
}

fn build_org_units() -> Vec<OrgUnit> {
    let province_id = org_unit_id(hunan::PROVINCE_CODE);
    let mut units = vec![OrgUnit {
        id: province_id,
        parent_id: None,
        level: OrgLevel::Province,
        name: hunan::PROVINCE_NAME.to_owned(),
        code: hunan::PROVINCE_CODE.to_owned(),
        base_lat: Some(hunan::PROVINCE_LAT),
        base_lon: Some(hunan::PROVINCE_LON),
    }];
    for city in hunan::CITIES {
        let city_id = org_unit_id(city.code);
        units.push(OrgUnit {
            id: city_id,
            parent_id: Some(province_id),
            level: OrgLevel::City,
            name: city.name.to_owned(),
            code: city.code.to_owned(),
            base_lat: Some(city.lat),
            base_lon: Some(city.lon),
        });
        for county in city.counties {
            units.push(OrgUnit {
                id: org_unit_id(county.code),
                parent_id: Some(city_id),
                level: OrgLevel::County,
                name: county.name.to_owned(),
                code: county.code.to_owned(),
                base_lat: Some(county.lat),
                base_lon: Some(county.lon),
            });
        }
    }
    units
}

/// The `manager` demo account must own clients even in the tiniest test province.
fn ensure_demo_county_has_clients(
    counties: &[(&'static hunan::City, &'static hunan::County)],
    counts: &mut [usize],
    wanted: usize,
) {
    let Some(demo) = counties
        .iter()
        .position(|(_, c)| c.code == DEMO_COUNTY_CODE)
    else {
        return;
    };
    while counts[demo] < wanted {
        let largest = (0..counts.len())
            .filter(|&i| i != demo)
            .max_by_key(|&i| (counts[i], usize::MAX - i));
        match largest {
            Some(i) if counts[i] > 0 => {
                counts[i] -= 1;
                counts[demo] += 1;
            }
            _ => break,
        }
    }
}

/// Exactly apportioned labels in a seeded random order: the mix is exact at every scale and
/// every label occurs when there is room for it.
fn shuffled_quota<T: Copy>(rng: &mut random::DemoRng, total: usize, shares: &[(T, f64)]) -> Vec<T> {
    use rand::seq::SliceRandom;
    let weights: Vec<f64> = shares.iter().map(|(_, s)| *s).collect();
    let counts = random::apportion(total, &weights, 1);
    let mut labels = Vec::with_capacity(total);
    for ((label, _), count) in shares.iter().zip(counts) {
        labels.extend(std::iter::repeat_n(*label, count));
    }
    labels.shuffle(rng);
    labels
}

#[cfg(test)]
mod tests;
