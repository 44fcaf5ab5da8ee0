//! Sales orders: each client's latent buying profile, seasonality, prices, and the order book
//! that numbers orders day by day.

use crate::random::{self, DemoRng, Stream};
use crate::{hunan, Behaviour, DemoClient, DemoGenerator};
use chrono::{Datelike, Months, NaiveDate, TimeDelta};
use domain::client::{ClientCategory, Industry};
use domain::sales::{Product, SalesChannel, SalesOrder};
use rand::Rng;

/// Lunar New Year's Day (春节) by year; demand for diesel stops around it and petrol peaks before it.
const SPRING_FESTIVAL: &[(i32, u32, u32)] = &[
    (2015, 2, 19),
    (2016, 2, 8),
    (2017, 1, 28),
    (2018, 2, 16),
    (2019, 2, 5),
    (2020, 1, 25),
    (2021, 2, 12),
    (2022, 2, 1),
    (2023, 1, 22),
    (2024, 2, 10),
    (2025, 1, 29),
    (2026, 2, 17),
    (2027, 2, 6),
    (2028, 1, 26),
    (2029, 2, 13),
    (2030, 2, 3),
    (2031, 1, 23),
    (2032, 2, 11),
    (2033, 1, 31),
    (2034, 2, 19),
    (2035, 2, 8),
];

/// Diesel demand by month (mid-month values, mean ≈ 1): planting (Mar–May), harvest and the
/// autumn construction season (Sep–Nov) peak; winter and the July heat and floods are slack.
const DIESEL_BY_MONTH: [f64; 12] = [
    0.85, 0.80, 1.10, 1.20, 1.15, 1.00, 0.80, 0.92, 1.12, 1.18, 1.03, 0.95,
];

/// Petrol demand by month (mean ≈ 1): travel in the summer holidays and around the festivals.
const PETROL_BY_MONTH: [f64; 12] = [
    1.04, 0.94, 0.92, 1.00, 1.04, 0.95, 1.06, 1.07, 0.97, 1.08, 0.96, 0.97,
];

/// The day of the Spring Festival in `year` (about Feb 1 outside the table).
fn spring_festival(year: i32) -> NaiveDate {
    let (m, d) = SPRING_FESTIVAL
        .iter()
        .find(|(y, _, _)| *y == year)
        .map(|&(_, m, d)| (m, d))
        .unwrap_or((2, 1));
    NaiveDate::from_ymd_opt(year, m, d).unwrap_or(NaiveDate::MIN)
}

/// A month table read smoothly: linear between mid-month values.
fn smooth(table: &[f64; 12], date: NaiveDate) -> f64 {
    let m = date.month0() as usize;
    let day = f64::from(date.day());
    if day >= 15.0 {
        let next = table[(m + 1) % 12];
        table[m] + (next - table[m]) * (day - 15.0) / 30.0
    } else {
        let prev = table[(m + 11) % 12];
        table[m] + (prev - table[m]) * (15.0 - day) / 30.0
    }
}

fn within(date: NaiveDate, from: (u32, u32), to: (u32, u32)) -> bool {
    let md = (date.month(), date.day());
    md >= from && md <= to
}

/// Diesel seasonality of one day.
fn diesel_season(date: NaiveDate) -> f64 {
    let mut f = smooth(&DIESEL_BY_MONTH, date);
    let offset = (date - spring_festival(date.year())).num_days();
    // Sites close a week before the festival and reopen after the Lantern Festival.
    if (-7..=12).contains(&offset) {
        f *= 0.4;
    } else if (-14..-7).contains(&offset) || (13..=18).contains(&offset) {
        f *= 0.75;
    }
    f
}

/// Petrol seasonality of one day.
fn petrol_season(date: NaiveDate) -> f64 {
    let mut f = smooth(&PETROL_BY_MONTH, date);
    let offset = (date - spring_festival(date.year())).num_days();
    if (-20..=-3).contains(&offset) {
        f *= 1.3; // travel home before the festival (春运)
    } else if (-2..=5).contains(&offset) {
        f *= 0.8;
    }
    if within(date, (4, 28), (5, 5)) || within(date, (9, 28), (10, 7)) {
        f *= 1.25; // May Day and National Day holidays
    } else if within(date, (4, 2), (4, 6)) {
        f *= 1.12; // Qingming
    }
    f
}

/// Market price level of one day (1 = average), a smooth wave like the NDRC's ten-day
/// price adjustments; the same for every seed so prices agree across demo databases.
fn price_level(date: NaiveDate) -> f64 {
    let t =
        (date - NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or(NaiveDate::MIN)).num_days() as f64;
    // Prices move in steps every 10 working days; sample the wave at the step.
    let t = (t / 14.0).floor() * 14.0;
    1.0 + 0.035 * (std::f64::consts::TAU * t / 420.0).sin()
        + 0.012 * (std::f64::consts::TAU * t / 91.0).sin()
}

/// List price of a product at price level 1, yuan per tonne.
fn base_price(product: Product) -> f64 {
    match product {
        Product::Petrol92 => 9_000.0,
        Product::Petrol95 => 9_350.0,
        Product::Petrol98 => 9_550.0,
        Product::Diesel0 => 7_380.0,
        Product::DieselMinus10 => 7_480.0,
        Product::DieselMinus20 => 7_520.0,
        Product::DieselMinus35 => 7_560.0,
    }
}

/// One day of the 24-month window, precomputed.
#[derive(Debug, Clone)]
struct Day {
    /// `SO` + `YYYYMMDD`.
    prefix: String,
    date: NaiveDate,
    petrol: f64,
    diesel: f64,
    price: f64,
    /// December to February, when some buyers switch to -10# diesel.
    winter: bool,
}

/// The 24 months of sales history ending at `as_of`, one entry per day.
#[derive(Debug, Clone)]
pub(crate) struct Calendar {
    start: NaiveDate,
    days: Vec<Day>,
}

impl Calendar {
    pub(crate) fn new(as_of: NaiveDate) -> Self {
        let start = as_of
            .checked_sub_months(Months::new(24))
            .unwrap_or(as_of - TimeDelta::days(730))
            + TimeDelta::days(1);
        let days = start
            .iter_days()
            .take_while(|d| *d <= as_of)
            .map(|date| Day {
                prefix: format!("SO{}", date.format("%Y%m%d")),
                date,
                petrol: petrol_season(date),
                diesel: diesel_season(date),
                price: price_level(date),
                winter: matches!(date.month(), 12 | 1 | 2),
            })
            .collect();
        Calendar { start, days }
    }

    pub(crate) fn start(&self) -> NaiveDate {
        self.start
    }

    /// Index of `as_of`.
    pub(crate) fn last(&self) -> i32 {
        self.days.len() as i32 - 1
    }

    /// The date of a day index (which may lie before the window, e.g. for creation dates).
    pub(crate) fn date(&self, day: i32) -> NaiveDate {
        self.start + TimeDelta::days(i64::from(day))
    }

    fn day(&self, day: i32) -> &Day {
        &self.days[day.clamp(0, self.last()) as usize]
    }
}

/// A client's latent buying pattern: drawn from its own stream, so the client generator (for
/// its demand estimate and creation date) and the order book see the same numbers.
#[derive(Debug, Clone)]
pub(crate) struct Profile {
    /// Normal yearly volume, tonnes.
    pub(crate) annual_tonnes: f64,
    /// Typical days between purchases.
    pub(crate) interval: f64,
    /// Day index of the first purchase (the renewal process starts there).
    first: f64,
    /// Last day a purchase may happen.
    until: i32,
    /// Buy on `until` itself, so the last purchase is exactly where the behaviour says.
    force_last: bool,
    /// No purchases in `[start, resume)`; one on `resume`.
    gap: Option<(i32, i32)>,
    /// From this day volume ramps down over 30 days to the factor.
    decline: Option<(i32, f64)>,
    /// The client's usual depot, as a fraction in [0, 1) mapped onto the city's depots.
    depot_roll: f64,
    /// Price discount for volume, e.g. 0.02.
    discount: f64,
    /// Day index the record was created (negative: before the window).
    pub(crate) created_day: i32,
    /// Seconds after midnight UTC of the creation (office hours in Beijing).
    pub(crate) created_secs: i64,
}

impl Profile {
    /// Draws the profile of the client with this id.
    pub(crate) fn draw(
        generator: &DemoGenerator,
        client_key: u64,
        category: ClientCategory,
        industry: Industry,
        behaviour: Behaviour,
    ) -> (Profile, DemoRng) {
        let mut rng = random::stream(generator.config.seed, Stream::Profile, client_key);
        let last = generator.calendar.last();
        let (median, sigma, cap) = match category {
            ClientCategory::EndUser => (60.0 * industry_factor(industry), 1.3, 8_000.0),
            ClientCategory::FillingStation => (400.0, 1.0, 6_000.0),
            ClientCategory::Trader => (1_500.0, 1.0, 40_000.0),
        };
        let annual_tonnes = random::lognormal(&mut rng, median, sigma).clamp(4.0, cap);
        // Larger buyers come more often: ~45 days at 20 t/yr, ~13 at 400, ~7 at 1,500.
        let typical = 45.0 * (annual_tonnes / 20.0).powf(-0.42);
        let mut interval = (typical * random::lognormal(&mut rng, 1.0, 0.25)).clamp(3.0, 45.0);
        let phase = rng.random::<f64>() * interval;
        let mut profile = Profile {
            annual_tonnes,
            interval,
            first: phase,
            until: last,
            force_last: false,
            gap: None,
            decline: None,
            depot_roll: rng.random::<f64>(),
            discount: (0.005 * (annual_tonnes / 50.0).ln()).clamp(0.0, 0.025),
            created_day: -rng.random_range(20..1_800),
            created_secs: 0,
        };
        match behaviour {
            Behaviour::Steady | Behaviour::Prospect => {}
            Behaviour::Declining => {
                let start = last - rng.random_range(150..=200);
                profile.decline = Some((start, rng.random_range(0.30..0.65)));
            }
            Behaviour::Lapsing => {
                // The gap must exceed twice the usual interval to read as "at risk", and stay
                // under 90 days so the client is not yet churned.
                interval = interval.min(30.0);
                profile.interval = interval;
                profile.first = phase.min(interval);
                let low = 40.max((2.2 * interval).ceil() as i32 + 1);
                profile.until = last - rng.random_range(low..=85.max(low));
                profile.force_last = true;
            }
            Behaviour::Churned => {
                profile.until = last - rng.random_range(100..=400);
                profile.force_last = true;
            }
            Behaviour::Returning => {
                let resume = last - rng.random_range(3..=60);
                let gap = rng.random_range(100..=200);
                profile.gap = Some((resume - gap, resume));
            }
            Behaviour::New => {
                profile.first = f64::from(last - rng.random_range(0..80));
                profile.created_day = profile.first as i32 - rng.random_range(1..=20);
            }
        }
        if behaviour == Behaviour::Prospect {
            profile.created_day = last - rng.random_range(0..365);
        }
        // 09:00–18:00 Beijing time.
        profile.created_secs = rng.random_range(3_600..36_000);
        (profile, rng)
    }

    fn depot<'c>(&self, city: &'c hunan::City) -> &'c str {
        let n = city.depots.len();
        // The main depot serves most clients of its city.
        let index = if n == 1 || self.depot_roll < 0.65 {
            0
        } else {
            1 + (((self.depot_roll - 0.65) / 0.35) * (n - 1) as f64) as usize
        };
        city.depots[index.min(n - 1)]
    }

    fn volume_factor(&self, day: i32) -> f64 {
        match self.decline {
            Some((start, factor)) if day >= start => {
                let ramp = (f64::from(day - start) / 30.0).min(1.0);
                1.0 - (1.0 - factor) * ramp
            }
            _ => 1.0,
        }
    }
}

/// Median volume of an end user's industry relative to the 60 t/yr of an average end user.
fn industry_factor(industry: Industry) -> f64 {
    match industry {
        Industry::PublicTransport => 2.5,
        Industry::Mining => 1.6,
        Industry::Logistics => 1.3,
        Industry::Shipping => 1.2,
        Industry::Construction => 1.1,
        Industry::Manufacturing => 0.9,
        Industry::Agriculture => 0.5,
        Industry::Other => 0.5,
        Industry::PublicSector => 0.4,
        Industry::FuelRetail | Industry::FuelTrading => 1.0,
    }
}

/// How strongly an industry follows the diesel season (farm work is the most seasonal).
fn season_exponent(industry: Industry) -> f64 {
    match industry {
        Industry::Agriculture => 1.8,
        Industry::Construction | Industry::Mining => 1.3,
        Industry::Shipping => 1.2,
        _ => 1.0,
    }
}

/// A product the client buys, its share of the volume and how often it is on an order.
#[derive(Debug, Clone, Copy)]
struct Line {
    product: Product,
    share: f64,
    presence: f64,
}

fn lines(category: ClientCategory, products: &[Product]) -> Vec<Line> {
    let regular: Vec<Product> = products
        .iter()
        .copied()
        .filter(|p| {
            !matches!(
                p,
                Product::DieselMinus10 | Product::DieselMinus20 | Product::DieselMinus35
            )
        })
        .collect();
    let regular = if regular.is_empty() {
        vec![products.first().copied().unwrap_or(Product::Diesel0)]
    } else {
        regular
    };
    let weight = |p: Product, main: bool| -> (f64, f64) {
        match category {
            ClientCategory::FillingStation => match p {
                Product::Petrol92 => (0.45, 0.95),
                Product::Petrol95 => (0.17, 0.45),
                Product::Petrol98 => (0.03, 0.2),
                _ => (0.35, 0.65),
            },
            ClientCategory::Trader => match p {
                Product::Diesel0 => (0.6, 0.9),
                Product::Petrol92 => (0.3, 0.6),
                _ => (0.1, 0.4),
            },
            ClientCategory::EndUser if main => (0.85, 1.0),
            ClientCategory::EndUser => (0.15, 0.3),
        }
    };
    let raw: Vec<(Product, f64, f64)> = regular
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let (share, presence) = weight(p, i == 0);
            (p, share, presence)
        })
        .collect();
    let total: f64 = raw.iter().map(|(_, s, _)| s).sum();
    raw.into_iter()
        .map(|(product, share, presence)| Line {
            product,
            share: share / total,
            presence,
        })
        .collect()
}

/// Numbers orders per day (`SO` + date + 5-digit sequence) across all clients fed to it.
///
/// Feed it each client once, in the same order every time, and the order numbers are the
/// same every time.
#[derive(Debug, Clone)]
pub struct OrderBook<'a> {
    generator: &'a DemoGenerator,
    counters: Vec<u32>,
}

impl<'a> OrderBook<'a> {
    pub(crate) fn new(generator: &'a DemoGenerator) -> Self {
        OrderBook {
            generator,
            counters: vec![0; generator.calendar.days.len()],
        }
    }

    /// The client's orders over the 24 months, in date order; none for a prospect.
    pub fn orders_for(&mut self, client: &DemoClient) -> Vec<SalesOrder> {
        let mut out = Vec::new();
        self.extend_orders_for(client, &mut out);
        out
    }

    /// Appends the client's orders to `out` (saves an allocation per client when collecting).
    pub fn extend_orders_for(&mut self, client: &DemoClient, out: &mut Vec<SalesOrder>) {
        if !client.behaviour.buys() {
            return;
        }
        let generator = self.generator;
        let fields = &client.fields;
        let calendar = &generator.calendar;
        let (profile, mut rng) = Profile::draw(
            generator,
            random::key_of(client.id),
            fields.category,
            fields.industry,
            client.behaviour,
        );
        let city = generator
            .city_of_unit
            .get(&fields.org_unit_id)
            .copied()
            .unwrap_or(&hunan::CITIES[0]);
        let home_depot = profile.depot(city);
        let lines = lines(fields.category, &fields.demand.products);
        let winter_grade = fields.demand.products.iter().copied().find(|p| {
            matches!(
                p,
                Product::DieselMinus10 | Product::DieselMinus20 | Product::DieselMinus35
            )
        });
        let exponent = season_exponent(fields.industry);
        let season = |day: &Day, product: Product| -> f64 {
            if product.is_diesel() {
                day.diesel.powf(exponent)
            } else {
                day.petrol
            }
        };
        let main = lines.first().map(|l| l.product).unwrap_or(Product::Diesel0);
        let base_channel = if fields.category == ClientCategory::EndUser {
            SalesChannel::Direct
        } else {
            SalesChannel::Distribution
        };
        let online = fields.online_ordering.registered;
        let card =
            fields.membership_card_no.is_some() && fields.category == ClientCategory::EndUser;
        let per_event = profile.annual_tonnes * profile.interval / 365.0;

        let emit = |d: i32, rng: &mut DemoRng, counters: &mut [u32], out: &mut Vec<SalesOrder>| {
            let day = calendar.day(d);
            let s_main = season(day, main);
            let tonnes = per_event
                * s_main.sqrt()
                * random::lognormal(rng, 1.0, 0.22)
                * profile.volume_factor(d);
            let mut any = false;
            for (i, line) in lines.iter().enumerate() {
                let last_chance = i + 1 == lines.len() && !any;
                if !last_chance && rng.random::<f64>() >= line.presence {
                    continue;
                }
                any = true;
                let mut product = line.product;
                if let (Some(cold), true, Product::Diesel0) = (winter_grade, day.winter, product) {
                    if rng.random_bool(0.5) {
                        product = cold;
                    }
                }
                let qty = tonnes * line.share / line.presence * season(day, product) / s_main;
                let kg = ((qty * 1000.0).round() as i64).max(100);
                let (low, high) = if product.is_diesel() {
                    (7_000.0, 7_800.0)
                } else {
                    (8_500.0, 9_800.0)
                };
                let price = (base_price(product)
                    * day.price
                    * (1.0 - profile.discount)
                    * (1.0 + 0.004 * random::normal(rng)))
                .clamp(low, high)
                .round() as i64;
                let roll = rng.random::<f64>();
                let channel = if online && roll < 0.25 {
                    SalesChannel::Online
                } else if card && roll < 0.40 {
                    SalesChannel::FuelCard
                } else {
                    base_channel
                };
                let depot = if rng.random_bool(0.9) {
                    home_depot
                } else {
                    random::pick(rng, city.depots)
                };
                let counter = &mut counters[d as usize];
                *counter += 1;
                out.push(SalesOrder {
                    id: random::uuid(rng),
                    order_no: format!("{}{:05}", day.prefix, counter),
                    client_id: client.id,
                    order_date: day.date,
                    product,
                    quantity_kg: kg,
                    amount_fen: (kg * price + 5) / 10,
                    channel,
                    depot: depot.to_owned(),
                });
            }
        };

        let last = calendar.last();
        let mut t = profile.first;
        let mut last_emitted = i32::MIN;
        loop {
            let mut d = t.floor() as i32;
            if let Some((start, resume)) = profile.gap {
                if d >= start && d < resume {
                    d = resume;
                    t = f64::from(resume);
                }
            }
            if d > profile.until || d > last {
                break;
            }
            if d >= 0 && d > last_emitted {
                emit(d, &mut rng, &mut self.counters, out);
                last_emitted = d;
            }
            // Slack seasons stretch the gaps as well as shrink the orders; a regular buyer
            // never waits more than about twice its interval (under the 90 days of "churned").
            let s = season(calendar.day(d), main).sqrt().max(0.75);
            let step = profile.interval * random::lognormal(&mut rng, 1.0, 0.22) / s;
            t += step.clamp(1.0, 1.9 * profile.interval);
        }
        if profile.force_last && last_emitted < profile.until && (0..=last).contains(&profile.until)
        {
            emit(profile.until, &mut rng, &mut self.counters, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seasons_average_about_one_and_dip_at_the_spring_festival() {
        let year: Vec<NaiveDate> = NaiveDate::from_ymd_opt(2025, 1, 1)
            .into_iter()
            .flat_map(|d| d.iter_days().take(365))
            .collect();
        let diesel: f64 = year.iter().map(|&d| diesel_season(d)).sum::<f64>() / 365.0;
        let petrol: f64 = year.iter().map(|&d| petrol_season(d)).sum::<f64>() / 365.0;
        assert!((0.9..1.1).contains(&diesel), "{diesel}");
        assert!((0.95..1.1).contains(&petrol), "{petrol}");
        let festival = spring_festival(2026);
        assert!(diesel_season(festival) < 0.5 * diesel_season(festival + TimeDelta::days(60)));
        assert!(
            petrol_season(festival - TimeDelta::days(10))
                > petrol_season(festival + TimeDelta::days(30))
        );
    }

    #[test]
    fn the_calendar_covers_24_months_ending_at_as_of() {
        let as_of = NaiveDate::from_ymd_opt(2026, 5, 31).unwrap_or_default();
        let calendar = Calendar::new(as_of);
        assert_eq!(
            calendar.start(),
            NaiveDate::from_ymd_opt(2024, 6, 1).unwrap_or_default()
        );
        assert_eq!(calendar.date(calendar.last()), as_of);
        assert_eq!(calendar.days[0].prefix, "SO20240601");
    }
}
