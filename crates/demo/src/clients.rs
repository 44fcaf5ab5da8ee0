//! Clients: names, codes, places, contacts, equipment and demand, one county at a time.

use crate::hunan::{self, City, County};
use crate::orders::Profile;
use crate::people::{self, PhoneBook};
use crate::random::{self, DemoRng, Stream};
use crate::words::*;
use crate::{Behaviour, CountyPlan, DemoClient, DemoGenerator};
use chrono::{NaiveTime, TimeDelta};
use domain::client::{
    ClientCategory, ClientFields, Contact, DemandPreference, Facilities, Industry, OnlineOrdering,
    PurchaseChannel,
};
use domain::geo::GeoPoint;
use domain::sales::Product;
use rand::Rng;
use std::collections::HashSet;

/// Characters of GB 11714 organisation codes that the USCC alphabet also allows.
const CODE_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The GB 11714-1997 check character of an 8-character organisation code body.
fn organisation_check(body: &[u8; 8]) -> char {
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let value = |b: u8| -> u32 {
        if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        }
    };
    let sum: u32 = body.iter().zip(WEIGHTS).map(|(&b, w)| value(b) * w).sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        c => char::from(b'0' + c as u8),
    }
}

/// A USCC of a for-profit company (`9` registered by market regulation, `1` company)
/// registered in `division`, with a GB 11714 organisation code and the GB 32100 check character.
pub(crate) fn make_uscc(rng: &mut DemoRng, division: &str) -> String {
    loop {
        let mut body = [0u8; 8];
        if rng.random_bool(0.6) {
            // Codes issued since the 2015 reform in Hunan start `MA4`.
            body[..3].copy_from_slice(b"MA4");
            for b in &mut body[3..] {
                *b = *random::pick(rng, CODE_CHARS);
            }
        } else {
            body[0] = b'0' + rng.random_range(1..8u8);
            for b in &mut body[1..] {
                *b = b'0' + rng.random_range(0..10u8);
            }
        }
        let mut first17 = String::with_capacity(18);
        first17.push_str("91");
        first17.push_str(division);
        first17.extend(body.iter().map(|&b| char::from(b)));
        first17.push(organisation_check(&body));
        if let Some(check) = domain::uscc::check_character(&first17) {
            first17.push(check);
            return first17;
        }
    }
}

/// The clients of a [`DemoGenerator`], made one at a time (names, codes and phones unique).
#[derive(Debug)]
pub struct Clients<'a> {
    generator: &'a DemoGenerator,
    /// Global index of the next client.
    next: usize,
    /// Plan of the county being filled.
    county: usize,
    names: HashSet<String>,
    usccs: HashSet<String>,
    phones: PhoneBook,
}

impl<'a> Clients<'a> {
    pub(crate) fn new(generator: &'a DemoGenerator) -> Self {
        Clients {
            generator,
            next: 0,
            county: 0,
            names: HashSet::new(),
            usccs: HashSet::new(),
            phones: PhoneBook::with_used(generator.user_phones.clone()),
        }
    }
}

impl Iterator for Clients<'_> {
    type Item = DemoClient;

    fn next(&mut self) -> Option<DemoClient> {
        let plans = &self.generator.plans;
        while self.county < plans.len()
            && self.next >= plans[self.county].first + plans[self.county].count
        {
            self.county += 1;
        }
        let plan = plans.get(self.county)?;
        let index = self.next;
        self.next += 1;
        Some(self.make(index, plan))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.generator.client_count() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Clients<'_> {}

impl Clients<'_> {
    fn make(&mut self, index: usize, plan: &CountyPlan) -> DemoClient {
        let generator = self.generator;
        let mut rng = random::stream(generator.config.seed, Stream::Client, index as u64);
        let id = random::uuid(&mut rng);
        let category = generator.categories[index];
        let behaviour = generator.behaviours[index];
        let (city, county) = (plan.city, plan.county);
        let industry = match category {
            ClientCategory::EndUser => end_user_industry(&mut rng, county),
            ClientCategory::FillingStation => Industry::FuelRetail,
            ClientCategory::Trader => Industry::FuelTrading,
        };
        let (profile, _) =
            Profile::draw(generator, random::key_of(id), category, industry, behaviour);

        let name = self.unique_name(&mut rng, category, industry, city, county);
        let uscc = loop {
            let code = make_uscc(&mut rng, county.code);
            if self.usccs.insert(code.clone()) {
                break code;
            }
        };
        let location = near(&mut rng, county);
        let address = address(&mut rng, category, industry, city, county);
        let contacts = self.contacts(&mut rng, category, industry, city);
        let facilities = facilities(&mut rng, category, industry, profile.annual_tonnes);
        let products = products(&mut rng, category, industry);

        let delivery = rng.random_bool(match category {
            ClientCategory::EndUser => 0.40,
            ClientCategory::FillingStation => 0.45,
            ClientCategory::Trader => 0.20,
        });
        let card_share = match (category, industry) {
            (ClientCategory::EndUser, Industry::PublicSector) => 0.5,
            (ClientCategory::EndUser, Industry::Other | Industry::Logistics) => 0.25,
            (ClientCategory::EndUser, _) => 0.10,
            _ => 0.0,
        };
        let membership_card_no = rng
            .random_bool(card_share)
            .then(|| format!("1000114300{:09}", rng.random_range(0..1_000_000_000u32)));
        let online_share = match (behaviour, category) {
            (Behaviour::Prospect, _) => 0.05,
            (_, ClientCategory::EndUser) => 0.22,
            _ => 0.35,
        };
        let last = generator.calendar.last();
        let online_ordering = if rng.random_bool(online_share) {
            let from = profile.created_day.max(last - 1_000);
            let day = rng.random_range(from..=last.max(from));
            OnlineOrdering {
                registered: true,
                registered_on: Some(generator.calendar.date(day)),
                account: contacts.first().map(|c| c.phone.clone()),
            }
        } else {
            OnlineOrdering::default()
        };

        let mut purchase_channels = Vec::with_capacity(4);
        if !delivery || rng.random_bool(0.3) {
            purchase_channels.push(PurchaseChannel::SelfPickup);
        }
        if delivery {
            purchase_channels.push(PurchaseChannel::Delivery);
        }
        if online_ordering.registered {
            purchase_channels.push(PurchaseChannel::Online);
        }
        if membership_card_no.is_some() {
            purchase_channels.push(PurchaseChannel::FuelCard);
        }

        let monthly = profile.annual_tonnes / 12.0 * rng.random_range(0.8..1.25);
        let notes = if rng.random_bool(0.25) {
            (*random::pick(&mut rng, DEMAND_NOTES)).to_owned()
        } else {
            String::new()
        };
        let demand = DemandPreference {
            products,
            monthly_tonnes: Some((monthly * 10.0).round() / 10.0),
            notes,
        };
        let tags = tags(
            &mut rng,
            category,
            industry,
            behaviour,
            profile.annual_tonnes,
            county,
            &address,
        );

        let local = index - plan.first;
        let account_manager_id = plan.managers[local % plan.managers.len()];
        let created_at = generator
            .calendar
            .date(profile.created_day)
            .and_time(NaiveTime::MIN + TimeDelta::seconds(profile.created_secs))
            .and_utc();

        DemoClient {
            id,
            fields: ClientFields {
                uscc,
                name,
                category,
                industry,
                address,
                location: Some(location),
                org_unit_id: plan.unit_id,
                account_manager_id,
                contacts,
                facilities,
                purchase_channels,
                demand,
                delivery,
                membership_card_no,
                online_ordering,
                tags,
            },
            behaviour,
            created_at,
        }
    }

    fn unique_name(
        &mut self,
        rng: &mut DemoRng,
        category: ClientCategory,
        industry: Industry,
        city: &City,
        county: &County,
    ) -> String {
        let mut attempt = 0;
        loop {
            let mut name = name_candidate(rng, category, industry, city, county, attempt);
            if attempt >= 60 {
                // Only reachable at benchmark scales, where plausible names run out.
                name = format!("{name}（{}）", attempt - 59);
            }
            if self.names.insert(name.clone()) {
                return name;
            }
            attempt += 1;
        }
    }

    fn contacts(
        &mut self,
        rng: &mut DemoRng,
        category: ClientCategory,
        industry: Industry,
        city: &City,
    ) -> Vec<Contact> {
        let titles = match (category, industry) {
            (ClientCategory::FillingStation, _) => STATION_TITLES,
            (ClientCategory::Trader, _) => TRADER_TITLES,
            (_, Industry::PublicSector) => PUBLIC_TITLES,
            _ => END_USER_TITLES,
        };
        let count = random::pick_weighted(rng, &[(1usize, 45), (2, 40), (3, 15)]);
        let first_title = rng.random_range(0..titles.len());
        (0..count)
            .map(|i| {
                let phone = if i == 0 || rng.random_bool(0.8) {
                    self.phones.mobile(rng)
                } else {
                    people::landline(rng, city.area_code)
                };
                Contact {
                    name: people::person_name(rng),
                    title: titles[(first_title + i) % titles.len()].to_owned(),
                    phone,
                }
            })
            .collect()
    }
}

fn end_user_industry(rng: &mut DemoRng, county: &County) -> Industry {
    let mining = if hunan::MINING_COUNTIES.contains(&county.code) {
        20
    } else {
        4
    };
    let shipping = if hunan::WATERWAY_COUNTIES.contains(&county.code) {
        10
    } else {
        1
    };
    random::pick_weighted(
        rng,
        &[
            (Industry::Manufacturing, 20),
            (Industry::Logistics, 22),
            (Industry::Mining, mining),
            (Industry::Construction, 18),
            (Industry::Agriculture, 12),
            (Industry::PublicTransport, 4),
            (Industry::Shipping, shipping),
            (Industry::PublicSector, 7),
            (Industry::Other, 8),
        ],
    )
}

/// A two-character trade name (three characters once two-character ones run short).
fn brand(rng: &mut DemoRng, long: bool) -> String {
    let first = random::pick(rng, BRAND_FIRST);
    let mut second = random::pick(rng, BRAND_SECOND);
    while second == first {
        second = random::pick(rng, BRAND_SECOND);
    }
    let mut out = format!("{first}{second}");
    if long {
        out.push_str(random::pick::<&str>(rng, BRAND_SECOND));
    }
    out
}

fn name_candidate(
    rng: &mut DemoRng,
    category: ClientCategory,
    industry: Industry,
    city: &City,
    county: &County,
    attempt: u32,
) -> String {
    let short = hunan::short_name(county.name);
    let city_short = hunan::short_name(city.name);
    let long = attempt >= 8;
    let brand = brand(rng, long);
    // After a few collisions a town name makes room: real names often carry one.
    let town = if attempt >= 4 {
        *random::pick(rng, PLACES)
    } else {
        ""
    };
    match category {
        ClientCategory::FillingStation => match random::pick_weighted(
            rng,
            &[(0, 35), (1, 15), (2, 15), (3, 15), (4, 10), (5, 10)],
        ) {
            0 => format!("{short}{town}{brand}加油站"),
            1 => format!("{}{town}{brand}加油站", county.name),
            2 => format!("{short}{town}{brand}石化加油站"),
            3 if attempt < 2 => format!("{}{}加油站", county.name, random::pick(rng, PLACES)),
            3 => format!("{}{}{brand}加油站", county.name, random::pick(rng, PLACES)),
            4 => format!("湖南{brand}石油有限公司{short}{town}加油站"),
            _ => format!(
                "{short}{}{town}{brand}加油站",
                random::pick(rng, ROADS).trim_end_matches('路')
            ),
        },
        ClientCategory::Trader => {
            let ending = random::pick(rng, TRADER_ENDINGS);
            match random::pick_weighted(rng, &[(0, 40), (1, 30), (2, 30)]) {
                0 => format!("湖南{town}{brand}{ending}"),
                1 => format!("{city_short}{town}{brand}{ending}"),
                _ => format!("{short}{town}{brand}{ending}"),
            }
        }
        ClientCategory::EndUser if industry == Industry::PublicSector => {
            if attempt < 3 {
                format!("{}{}", county.name, random::pick(rng, PUBLIC_BODIES))
            } else if attempt < 10 {
                let body = random::pick(
                    rng,
                    &[
                        "人民政府",
                        "中心学校",
                        "卫生院",
                        "农业综合服务中心",
                        "财政所",
                        "派出所",
                    ],
                );
                format!("{}{}镇{body}", county.name, random::pick(rng, PLACES))
            } else {
                format!(
                    "{}{}镇{}村村民委员会",
                    county.name,
                    random::pick(rng, PLACES),
                    random::pick(rng, PLACES)
                )
            }
        }
        ClientCategory::EndUser => {
            let ending = random::pick(rng, industry_endings(industry));
            match random::pick_weighted(rng, &[(0, 55), (1, 15), (2, 15), (3, 15)]) {
                0 => format!("{short}{town}{brand}{ending}"),
                1 => format!("{}{town}{brand}{ending}", county.name),
                2 => format!("{city_short}{town}{brand}{ending}"),
                _ => format!("湖南{town}{brand}{ending}"),
            }
        }
    }
}

/// A point within ~15 km of the county seat (~8 km in city districts), uniform over the disc.
fn near(rng: &mut DemoRng, county: &County) -> GeoPoint {
    let radius_km = if county.name.ends_with('区') {
        8.0
    } else {
        15.0
    };
    let r = radius_km * rng.random::<f64>().sqrt();
    let theta = rng.random::<f64>() * std::f64::consts::TAU;
    let lat = county.lat + r * theta.cos() / 111.2;
    let lon = county.lon + r * theta.sin() / (111.2 * county.lat.to_radians().cos());
    GeoPoint {
        lat: (lat * 1e6).round() / 1e6,
        lon: (lon * 1e6).round() / 1e6,
    }
}

fn address(
    rng: &mut DemoRng,
    category: ClientCategory,
    industry: Industry,
    city: &City,
    county: &County,
) -> String {
    let province = if rng.random_bool(0.3) {
        hunan::PROVINCE_NAME
    } else {
        ""
    };
    let head = format!("{province}{}{}", city.name, county.name);
    let number = rng.random_range(1..=899);
    let urban = county.name.ends_with('区');
    let rural = matches!(industry, Industry::Agriculture | Industry::Mining);
    let tail = if rural && (!urban || rng.random_bool(0.5)) {
        let group = if rng.random_bool(0.5) {
            format!("{}组", rng.random_range(1..=12))
        } else {
            String::new()
        };
        format!(
            "{}镇{}村{group}",
            random::pick(rng, PLACES),
            random::pick(rng, PLACES)
        )
    } else if category == ClientCategory::FillingStation && rng.random_bool(0.5) {
        let highway = random::pick(rng, HIGHWAYS);
        if rng.random_bool(0.5) {
            format!("{}镇{highway}旁", random::pick(rng, PLACES))
        } else {
            format!(
                "{highway}K{}+{:03}处",
                rng.random_range(100..2_500),
                rng.random_range(0..1_000)
            )
        }
    } else {
        match random::pick_weighted(
            rng,
            &[
                (0, 55),
                // Public bodies sit in town, not in industrial parks.
                (
                    1,
                    if industry == Industry::PublicSector {
                        0
                    } else {
                        25
                    },
                ),
                (2, 10),
                (3, if urban { 0 } else { 10 }),
            ],
        ) {
            0 => format!("{}{number}号", random::pick(rng, ROADS)),
            1 => format!(
                "{}{}{number}号",
                random::pick(rng, ZONES),
                random::pick(rng, ROADS)
            ),
            2 => {
                let a = random::pick(rng, ROADS);
                let mut b = random::pick(rng, ROADS);
                while b == a {
                    b = random::pick(rng, ROADS);
                }
                format!("{a}与{b}交叉口")
            }
            _ => format!(
                "{}镇{}{number}号",
                random::pick(rng, PLACES),
                random::pick(rng, ROADS)
            ),
        }
    };
    format!("{head}{tail}")
}

fn facilities(
    rng: &mut DemoRng,
    category: ClientCategory,
    industry: Industry,
    annual: f64,
) -> Facilities {
    let round1 = |x: f64| (x * 10.0).round() / 10.0;
    match category {
        ClientCategory::FillingStation => {
            let tanks = rng.random_range(2..=6u32);
            let capacity: f64 = (0..tanks)
                .map(|_| f64::from(rng.random_range(20..=30u32)))
                .sum();
            Facilities {
                tank_count: tanks,
                tank_capacity_m3: capacity,
                dispenser_count: rng.random_range(2..=8),
                vehicle_count: 0,
            }
        }
        ClientCategory::Trader => {
            let tanks = rng.random_range(2..=8u32);
            let capacity: f64 = (0..tanks)
                .map(|_| f64::from(rng.random_range(5..=50u32) * 10))
                .sum();
            Facilities {
                tank_count: tanks,
                tank_capacity_m3: capacity,
                dispenser_count: rng.random_range(0..=2),
                vehicle_count: rng.random_range(2..=15),
            }
        }
        ClientCategory::EndUser => {
            // Tonnes a vehicle or machine burns in a year, by industry.
            let per_vehicle = match industry {
                Industry::Logistics => 25.0,
                Industry::PublicTransport => 18.0,
                Industry::Construction => 15.0,
                Industry::Mining => 20.0,
                Industry::Agriculture => 4.0,
                Industry::Shipping => 60.0,
                Industry::PublicSector => 2.5,
                _ => 12.0,
            };
            let vehicles = (annual / per_vehicle * rng.random_range(0.6..1.5))
                .round()
                .max(1.0) as u32;
            let has_tank = annual >= 120.0 && rng.random_bool(0.6);
            let tanks = if has_tank {
                rng.random_range(1..=3u32)
            } else {
                0
            };
            // Folded from +0.0: an empty float `sum()` is -0.0, which would show as "-0".
            let capacity =
                (0..tanks).fold(0.0, |acc, _| acc + round1(rng.random_range(10.0..50.0)));
            Facilities {
                tank_count: tanks,
                tank_capacity_m3: round1(capacity),
                dispenser_count: if tanks > 0 {
                    rng.random_range(1..=2)
                } else {
                    0
                },
                vehicle_count: vehicles,
            }
        }
    }
}

fn products(rng: &mut DemoRng, category: ClientCategory, industry: Industry) -> Vec<Product> {
    let mut products = Vec::with_capacity(5);
    match category {
        ClientCategory::FillingStation => {
            products.push(Product::Petrol92);
            if rng.random_bool(0.85) {
                products.push(Product::Petrol95);
            }
            if rng.random_bool(0.1) {
                products.push(Product::Petrol98);
            }
            if rng.random_bool(0.9) {
                products.push(Product::Diesel0);
                if rng.random_bool(0.15) {
                    products.push(Product::DieselMinus10);
                }
            }
        }
        ClientCategory::Trader => {
            products.push(Product::Diesel0);
            if rng.random_bool(0.7) {
                products.push(Product::Petrol92);
            }
            if rng.random_bool(0.4) {
                products.push(Product::Petrol95);
            }
            if rng.random_bool(0.2) {
                products.push(Product::DieselMinus10);
            }
        }
        ClientCategory::EndUser => match industry {
            Industry::PublicSector => {
                products.push(Product::Petrol92);
                if rng.random_bool(0.5) {
                    products.push(Product::Diesel0);
                }
            }
            Industry::Other if rng.random_bool(0.5) => products.push(Product::Petrol92),
            _ => {
                products.push(Product::Diesel0);
                if industry != Industry::Shipping && rng.random_bool(0.12) {
                    products.push(Product::Petrol92);
                }
                if industry == Industry::Logistics && rng.random_bool(0.1) {
                    products.push(Product::DieselMinus10);
                }
            }
        },
    }
    products
}

fn tags(
    rng: &mut DemoRng,
    category: ClientCategory,
    industry: Industry,
    behaviour: Behaviour,
    annual_tonnes: f64,
    county: &County,
    address: &str,
) -> Vec<String> {
    let mut tags: Vec<&str> = Vec::with_capacity(6);
    if annual_tonnes >= 500.0 && rng.random_bool(0.6) {
        tags.push("重点客户");
    }
    if annual_tonnes >= 1_500.0 && rng.random_bool(0.3) {
        tags.push("战略合作");
    }
    match industry {
        Industry::Agriculture if rng.random_bool(0.5) => tags.push("农忙用油"),
        Industry::Construction if rng.random_bool(0.5) => tags.push("工地用油"),
        Industry::PublicSector if rng.random_bool(0.5) => tags.push("招投标"),
        _ => {}
    }
    if industry != Industry::PublicSector && rng.random_bool(0.25) {
        tags.push(if rng.random_bool(0.8) {
            "民营企业"
        } else {
            "国有企业"
        });
    }
    if category == ClientCategory::FillingStation
        && address.contains("国道")
        && rng.random_bool(0.5)
    {
        tags.push("高速沿线");
    }
    if rng.random_bool(0.2) {
        tags.push(if ZONES.iter().any(|z| address.contains(z)) {
            "工业园区"
        } else if county.name.ends_with('区') {
            "城区"
        } else {
            "乡镇"
        });
    }
    if behaviour == Behaviour::Prospect {
        tags.push("新开发");
    }
    let extra = random::pick_weighted(rng, &[(0usize, 50), (1, 38), (2, 12)]);
    for _ in 0..extra {
        let tag = *random::pick(rng, TAGS);
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags.into_iter().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisation_codes_carry_the_gb_11714_check() {
        // The organisation codes inside two USCCs printed on real business licences.
        assert_eq!(organisation_check(b"80210043"), '3'); // 91110000802100433B
        assert_eq!(organisation_check(b"70846113"), '6'); // 91440300708461136T
        let mut rng = random::stream(3, Stream::Client, 0);
        for _ in 0..500 {
            let code = make_uscc(&mut rng, "430104");
            let parsed = domain::uscc::Uscc::parse(&code).map(|u| u.division_code().to_owned());
            assert_eq!(parsed, Ok("430104".to_owned()), "{code}");
            assert!(code.starts_with("91"));
            let body: [u8; 8] = code.as_bytes()[8..16].try_into().unwrap();
            assert_eq!(
                organisation_check(&body),
                char::from(code.as_bytes()[16]),
                "{code}"
            );
        }
    }
}
