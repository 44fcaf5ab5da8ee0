use super::*;
use chrono::{Datelike, Months};
use domain::client::{Industry, PurchaseChannel};
use domain::sales::{Product, SalesChannel};
use std::collections::{BTreeMap, HashMap, HashSet};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 31).unwrap()
}

fn config(seed: u64, scale: f64) -> DemoConfig {
    DemoConfig::new(seed, scale, as_of())
}

/// Trailing-12-month tonnes per buying client.
fn volumes_12m(data: &DemoData) -> HashMap<Uuid, f64> {
    let from = data_as_of(data)
        .checked_sub_months(Months::new(12))
        .unwrap();
    let mut volumes: HashMap<Uuid, f64> = HashMap::new();
    for o in &data.orders {
        if o.order_date > from {
            *volumes.entry(o.client_id).or_default() += o.quantity_kg as f64 / 1000.0;
        }
    }
    volumes
}

fn data_as_of(data: &DemoData) -> NaiveDate {
    data.orders.iter().map(|o| o.order_date).max().unwrap()
}

#[test]
fn a_small_province_has_the_expected_shape() {
    let config = config(42, 0.05);
    let data = generate(&config);
    let n = data.clients.len();
    assert_eq!(n, 300);

    // Org tree: 1 + 14 + 122 units, parents first, unique codes and ids.
    assert_eq!(data.org_units.len(), 137);
    let unit_ids: HashSet<Uuid> = data.org_units.iter().map(|u| u.id).collect();
    assert_eq!(unit_ids.len(), 137);
    let mut seen = HashSet::new();
    for unit in &data.org_units {
        if let Some(parent) = unit.parent_id {
            assert!(seen.contains(&parent), "{} before its parent", unit.name);
        }
        seen.insert(unit.id);
        assert_eq!(unit.code.len(), 6);
        assert!(unit.base_lat.is_some() && unit.base_lon.is_some());
    }
    let counties: Vec<&OrgUnit> = data
        .org_units
        .iter()
        .filter(|u| u.level == OrgLevel::County)
        .collect();
    assert_eq!(counties.len(), 122);
    assert_eq!(
        data.org_units
            .iter()
            .filter(|u| u.level == OrgLevel::City)
            .count(),
        14
    );

    // Users: every county has a director and at least two account managers; every city a
    // leader and a director; usernames, phones and employee ids unique.
    for county in &counties {
        let of = |role| {
            data.users
                .iter()
                .filter(|u| u.org_unit_id == county.id && u.role == role)
                .count()
        };
        assert_eq!(of(Role::Director), 1, "{}", county.name);
        assert!(of(Role::AccountManager) >= 2, "{}", county.name);
    }
    for city in data.org_units.iter().filter(|u| u.level == OrgLevel::City) {
        let of = |role| {
            data.users
                .iter()
                .filter(|u| u.org_unit_id == city.id && u.role == role)
                .count()
        };
        assert_eq!(
            (of(Role::Leader), of(Role::Director)),
            (1, 1),
            "{}",
            city.name
        );
    }
    let unique = |f: fn(&DemoUser) -> &str| data.users.iter().map(f).collect::<HashSet<_>>().len();
    assert_eq!(unique(|u| &u.username), data.users.len());
    assert_eq!(unique(|u| &u.phone), data.users.len());
    assert_eq!(unique(|u| &u.employee_id), data.users.len());
    for user in &data.users {
        assert!(
            domain::client::is_valid_phone(&user.phone) && user.phone.len() == 11,
            "{}",
            user.phone
        );
        assert!(user.employee_id.starts_with('E') && user.employee_id.len() == 7);
        assert!(
            (2..=4).contains(&user.display_name.chars().count()),
            "{}",
            user.display_name
        );
        assert!(unit_ids.contains(&user.org_unit_id));
    }

    // Demo accounts.
    let province = org_unit_id("430000");
    let yuelu = org_unit_id(DEMO_COUNTY_CODE);
    let account = |name: &str| data.user(name).unwrap_or_else(|| panic!("no user {name}"));
    assert_eq!(
        (account("admin").role, account("admin").org_unit_id),
        (Role::Admin, province)
    );
    assert_eq!(
        (account("leader").role, account("leader").org_unit_id),
        (Role::Leader, province)
    );
    assert_eq!(
        (account("viewer").role, account("viewer").org_unit_id),
        (Role::Viewer, province)
    );
    assert_eq!(
        (account("director").role, account("director").org_unit_id),
        (Role::Director, yuelu)
    );
    assert_eq!(
        (account("manager").role, account("manager").org_unit_id),
        (Role::AccountManager, yuelu)
    );
    let manager = account("manager").id;
    assert!(data
        .clients
        .iter()
        .any(|c| c.fields.account_manager_id == manager));
    assert!(
        data.user("ldr4301").is_some()
            && data.user("dir4301").is_some()
            && data.user("am430181a").is_some()
    );

    // Clients: valid, unique, in their county, owned by one of its managers, near its seat.
    let users: HashMap<Uuid, &DemoUser> = data.users.iter().map(|u| (u.id, u)).collect();
    let units: HashMap<Uuid, &OrgUnit> = data.org_units.iter().map(|u| (u.id, u)).collect();
    for client in &data.clients {
        let f = &client.fields;
        assert_eq!(f.validate(), Ok(()), "{f:?}");
        assert_eq!(f.clone().normalized(), *f, "already normalised");
        let unit = units[&f.org_unit_id];
        assert_eq!(unit.level, OrgLevel::County);
        let owner = users[&f.account_manager_id];
        assert_eq!(
            (owner.role, owner.org_unit_id),
            (Role::AccountManager, f.org_unit_id)
        );
        assert_eq!(&f.uscc[..8], &format!("91{}", unit.code));
        let seat = domain::geo::GeoPoint {
            lat: unit.base_lat.unwrap(),
            lon: unit.base_lon.unwrap(),
        };
        let distance = seat.distance_m(&f.location.unwrap());
        assert!(
            distance < 15_500.0,
            "{} is {distance} m from {}",
            f.name,
            unit.name
        );
        assert!(f.address.contains(&unit.name), "{}", f.address);
        assert!((1..=3).contains(&f.contacts.len()));
        assert!(!f.demand.products.is_empty() && !f.purchase_channels.is_empty());
        assert_eq!(
            f.delivery,
            f.purchase_channels.contains(&PurchaseChannel::Delivery)
        );
        assert!(client.created_at.date_naive() <= config.as_of);
        match f.category {
            ClientCategory::FillingStation => {
                assert_eq!(f.industry, Industry::FuelRetail);
                assert!(
                    (2..=6).contains(&f.facilities.tank_count)
                        && (2..=8).contains(&f.facilities.dispenser_count)
                );
                let per_tank = f.facilities.tank_capacity_m3 / f64::from(f.facilities.tank_count);
                assert!((20.0..=30.0).contains(&per_tank));
                assert!(f.demand.products.contains(&Product::Petrol92));
                assert!(f.name.ends_with("加油站"), "{}", f.name);
            }
            ClientCategory::Trader => assert_eq!(f.industry, Industry::FuelTrading),
            ClientCategory::EndUser => {
                assert!(!matches!(
                    f.industry,
                    Industry::FuelRetail | Industry::FuelTrading
                ));
            }
        }
    }
    let names: HashSet<&str> = data
        .clients
        .iter()
        .map(|c| c.fields.name.as_str())
        .collect();
    assert_eq!(names.len(), n, "names are unique");
    let usccs: HashSet<&str> = data
        .clients
        .iter()
        .map(|c| c.fields.uscc.as_str())
        .collect();
    assert_eq!(usccs.len(), n, "USCCs are unique");
    let client_ids: HashSet<Uuid> = data.clients.iter().map(|c| c.id).collect();
    assert_eq!(client_ids.len(), n);
    let mut phones: HashSet<&str> = data.users.iter().map(|u| u.phone.as_str()).collect();
    for c in data.clients.iter().flat_map(|c| &c.fields.contacts) {
        if !c.phone.contains('-') {
            assert!(phones.insert(&c.phone), "mobile {} used twice", c.phone);
        }
    }

    // Category mix 70 / 27 / 3 exactly by quota.
    let by_category = |cat| {
        data.clients
            .iter()
            .filter(|c| c.fields.category == cat)
            .count()
    };
    assert_eq!(by_category(ClientCategory::EndUser), 210);
    assert_eq!(by_category(ClientCategory::FillingStation), 81);
    assert_eq!(by_category(ClientCategory::Trader), 9);
    let delivery = data.clients.iter().filter(|c| c.fields.delivery).count() as f64 / n as f64;
    assert!((0.3..0.5).contains(&delivery), "{delivery}");

    // Every behaviour occurs, in roughly its share.
    for &b in Behaviour::ALL {
        let count = data.clients.iter().filter(|c| c.behaviour == b).count();
        assert!(
            (count as f64 - b.share() * n as f64).abs() <= 1.0,
            "{b:?}: {count}"
        );
    }

    // Orders: unique numbers, inside the window, none for prospects, plausible prices.
    let first_day = config.as_of.checked_sub_months(Months::new(24)).unwrap();
    let order_numbers: HashSet<&str> = data.orders.iter().map(|o| o.order_no.as_str()).collect();
    assert_eq!(order_numbers.len(), data.orders.len());
    let order_ids: HashSet<Uuid> = data.orders.iter().map(|o| o.id).collect();
    assert_eq!(order_ids.len(), data.orders.len());
    let behaviour: HashMap<Uuid, &DemoClient> = data.clients.iter().map(|c| (c.id, c)).collect();
    for o in &data.orders {
        assert!(
            o.order_date > first_day && o.order_date <= config.as_of,
            "{}",
            o.order_date
        );
        let client = behaviour[&o.client_id];
        assert_ne!(client.behaviour, Behaviour::Prospect);
        assert!(o
            .order_no
            .starts_with(&format!("SO{}", o.order_date.format("%Y%m%d"))));
        assert_eq!(o.order_no.len(), 15, "{}", o.order_no);
        assert!(o.quantity_kg >= 100);
        let price = o.amount_fen as f64 / 100.0 / (o.quantity_kg as f64 / 1000.0);
        let range = if o.product.is_diesel() {
            6_990.0..7_810.0
        } else {
            8_490.0..9_810.0
        };
        assert!(range.contains(&price), "{price} for {:?}", o.product);
        assert!(
            client.fields.demand.products.contains(&o.product),
            "{:?}",
            o.product
        );
        assert!(!o.depot.is_empty());
        assert!(
            client.created_at.date_naive() < o.order_date || client.behaviour != Behaviour::New
        );
    }
    assert!(data
        .orders
        .iter()
        .any(|o| o.channel == SalesChannel::Online));
    assert!(data
        .orders
        .iter()
        .any(|o| o.channel == SalesChannel::Direct));
    assert!(data
        .orders
        .iter()
        .any(|o| o.channel == SalesChannel::Distribution));
    let per_client = data.orders.len() as f64 / n as f64;
    assert!(
        (25.0..70.0).contains(&per_client),
        "{per_client} orders per client"
    );

    // Each behaviour leaves its mark on the last purchase.
    let mut last: HashMap<Uuid, NaiveDate> = HashMap::new();
    let mut first: HashMap<Uuid, NaiveDate> = HashMap::new();
    for o in &data.orders {
        let l = last.entry(o.client_id).or_insert(o.order_date);
        *l = (*l).max(o.order_date);
        let f = first.entry(o.client_id).or_insert(o.order_date);
        *f = (*f).min(o.order_date);
    }
    for c in &data.clients {
        let days_since = last.get(&c.id).map(|d| (config.as_of - *d).num_days());
        let since_first = first.get(&c.id).map(|d| (config.as_of - *d).num_days());
        match c.behaviour {
            Behaviour::Prospect => assert_eq!(days_since, None),
            Behaviour::Churned => {
                assert!((100..=400).contains(&days_since.unwrap()), "{days_since:?}")
            }
            Behaviour::Lapsing => {
                assert!((40..=85).contains(&days_since.unwrap()), "{days_since:?}")
            }
            Behaviour::New => assert!(since_first.unwrap() < 80, "{since_first:?}"),
            Behaviour::Returning => {
                assert!(days_since.unwrap() <= 60);
                assert!(since_first.unwrap() > 300);
            }
            _ => assert!(days_since.is_some()),
        }
    }
}

#[test]
fn returning_clients_have_a_long_gap_and_decliners_fall() {
    let data = generate(&config(7, 0.2));
    let by_client: BTreeMap<Uuid, Vec<&SalesOrder>> =
        data.orders.iter().fold(BTreeMap::new(), |mut m, o| {
            m.entry(o.client_id).or_insert_with(Vec::new).push(o);
            m
        });
    let end = as_of();
    let (mut decliners, mut below_70, mut declining_recent, mut declining_year_ago) =
        (0, 0, 0.0, 0.0);
    for client in &data.clients {
        let orders = by_client.get(&client.id).cloned().unwrap_or_default();
        match client.behaviour {
            Behaviour::Returning => {
                let max_gap = orders
                    .windows(2)
                    .map(|w| (w[1].order_date - w[0].order_date).num_days())
                    .max()
                    .unwrap();
                assert!(max_gap >= 100, "{max_gap}");
            }
            Behaviour::Declining => {
                let tonnes = |from: i64, to: i64| -> f64 {
                    orders
                        .iter()
                        .filter(|o| {
                            let ago = (end - o.order_date).num_days();
                            ago >= from && ago < to
                        })
                        .map(|o| o.quantity_kg as f64)
                        .sum()
                };
                // Last 90 days against the same 90 days a year earlier (the §2.3 baseline).
                let (recent, year_ago) = (tonnes(0, 90), tonnes(365, 455));
                decliners += 1;
                if recent < 0.7 * year_ago {
                    below_70 += 1;
                }
                declining_recent += recent;
                declining_year_ago += year_ago;
            }
            _ => {}
        }
    }
    // Single small clients are noisy; together the decline is unmistakable.
    assert!(
        declining_recent < 0.65 * declining_year_ago,
        "{declining_recent} vs {declining_year_ago}"
    );
    assert!(below_70 * 10 >= decliners * 6, "{below_70} of {decliners}");
}

#[test]
fn the_same_config_gives_the_same_province_and_another_seed_another() {
    let a = generate(&config(1, 0.02));
    let b = generate(&config(1, 0.02));
    assert_eq!(a, b);
    let c = generate(&config(2, 0.02));
    assert_eq!(
        a.org_units, c.org_units,
        "the org tree does not depend on the seed"
    );
    assert_ne!(a.clients, c.clients);
    assert_ne!(a.orders, c.orders);
    assert_ne!(a.users, c.users);
}

#[test]
fn streaming_yields_exactly_what_generate_does() {
    let config = config(5, 0.03);
    let data = generate(&config);
    let generator = DemoGenerator::new(&config);
    assert_eq!(generator.org_units(), &data.org_units[..]);
    assert_eq!(generator.users(), &data.users[..]);
    let clients = generator.clients();
    assert_eq!(clients.len(), data.clients.len());
    let mut book = generator.order_book();
    let mut orders = Vec::new();
    for (streamed, kept) in clients.zip(&data.clients) {
        assert_eq!(&streamed, kept);
        orders.extend(book.orders_for(&streamed));
    }
    assert_eq!(orders, data.orders);
}

#[test]
fn tiny_scales_still_have_every_behaviour_and_a_manager_with_clients() {
    let data = generate(&config(9, 0.0));
    assert_eq!(data.clients.len(), MIN_CLIENTS);
    for &b in Behaviour::ALL {
        assert!(data.clients.iter().any(|c| c.behaviour == b), "{b:?}");
    }
    let manager = data.user("manager").unwrap().id;
    assert!(data
        .clients
        .iter()
        .any(|c| c.fields.account_manager_id == manager));
    let small = generate(&config(9, 0.02));
    assert_eq!(small.clients.len(), 120);
}

/// Counts and grades at the reference scale. Generation speed is a figure of
/// `youguanjia demo --generate-only` (see `make bench`), not a timed test.
#[test]
fn the_reference_province_has_realistic_volumes() {
    let config = config(2026, 1.0);
    let data = generate(&config);
    assert_eq!(data.clients.len(), 6_000);
    assert!(
        (200_000..=350_000).contains(&data.orders.len()),
        "{}",
        data.orders.len()
    );

    // Grades of the trailing 12 months (DESIGN §2.2) all occur; the 20/80 rule roughly holds.
    let volumes = volumes_12m(&data);
    let mut sorted: Vec<f64> = volumes.values().copied().collect();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let grade = |low: f64, high: f64| sorted.iter().filter(|&&v| v >= low && v < high).count();
    let (a, b, c, d) = (
        grade(1000.0, f64::MAX),
        grade(300.0, 1000.0),
        grade(50.0, 300.0),
        grade(0.0, 50.0),
    );
    let total: f64 = sorted.iter().sum();
    let top = sorted.len() / 5;
    let top_share = sorted[..top].iter().sum::<f64>() / total;
    println!(
        "grades A {a}, B {b}, C {c}, D {d}; total {total:.0} t; top 20 % buy {:.0} %",
        top_share * 100.0
    );
    assert!(a > 0 && b > 0 && c > 0 && d > 0);
    assert!((0.65..0.9).contains(&top_share), "{top_share}");

    // Seasonality: diesel in April beats diesel in February.
    let month_tonnes = |month: u32, diesel: bool| -> f64 {
        data.orders
            .iter()
            .filter(|o| o.order_date.month() == month && o.product.is_diesel() == diesel)
            .map(|o| o.quantity_kg as f64)
            .sum()
    };
    println!(
        "diesel by month (kt): {:?}",
        (1..=12)
            .map(|m| (month_tonnes(m, true) / 1e6).round())
            .collect::<Vec<_>>()
    );
    println!(
        "petrol by month (kt): {:?}",
        (1..=12)
            .map(|m| (month_tonnes(m, false) / 1e6).round())
            .collect::<Vec<_>>()
    );
    assert!(month_tonnes(4, true) > 1.2 * month_tonnes(2, true));

    let per_city: BTreeMap<&str, usize> = data.clients.iter().fold(BTreeMap::new(), |mut m, c| {
        let county = data
            .org_units
            .iter()
            .find(|u| u.id == c.fields.org_unit_id)
            .unwrap();
        *m.entry(&county.code[..4]).or_default() += 1;
        m
    });
    println!("clients per city: {per_city:?}");
    assert!(
        per_city["4301"] > per_city["4308"] * 3,
        "长沙 has far more clients than 张家界"
    );
    let sample: Vec<&str> = data
        .clients
        .iter()
        .step_by(400)
        .map(|c| c.fields.name.as_str())
        .collect();
    println!("names: {sample:?}");
    println!(
        "addresses: {:?}",
        data.clients
            .iter()
            .step_by(1000)
            .map(|c| &c.fields.address)
            .collect::<Vec<_>>()
    );
}

/// DESIGN §2.3's churn classes, written out plainly for this test.
fn churn_class(dates_kg: &[(NaiveDate, f64)], as_of: NaiveDate) -> &'static str {
    let Some(&(last, _)) = dates_kg.last() else {
        return "prospect";
    };
    let ago = |d: NaiveDate| (as_of - d).num_days();
    if ago(last) >= 90 {
        return "churned";
    }
    let mut days: Vec<NaiveDate> = dates_kg.iter().map(|(d, _)| *d).collect();
    days.dedup();
    if days
        .windows(2)
        .any(|w| ago(w[1]) < 90 && (w[1] - w[0]).num_days() >= 90)
    {
        return "returning";
    }
    if ago(days[0]) < 90 {
        return "new";
    }
    let volume = |from: i64, to: i64| -> f64 {
        dates_kg
            .iter()
            .filter(|(d, _)| (from..to).contains(&ago(*d)))
            .map(|(_, kg)| kg)
            .sum()
    };
    let recent = volume(0, 90);
    let year_ago = volume(365, 455);
    let baseline = if year_ago > 0.0 {
        year_ago
    } else {
        volume(90, 180)
    };
    let mut intervals: Vec<i64> = days.windows(2).map(|w| (w[1] - w[0]).num_days()).collect();
    let intervals = intervals.split_off(intervals.len().saturating_sub(12));
    let mut sorted = intervals.clone();
    sorted.sort_unstable();
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0) as f64;
    if ago(last) as f64 > (2.0 * median).max(30.0) || recent < 0.3 * baseline {
        return "at_risk";
    }
    if recent < 0.7 * baseline {
        return "declining";
    }
    "stable"
}

#[test]
fn behaviours_read_as_the_intended_churn_classes() {
    let data = generate(&config(11, 0.5));
    let mut by_client: HashMap<Uuid, Vec<(NaiveDate, f64)>> = HashMap::new();
    for o in &data.orders {
        by_client
            .entry(o.client_id)
            .or_default()
            .push((o.order_date, o.quantity_kg as f64));
    }
    let mut matrix: BTreeMap<(Behaviour, &str), usize> = BTreeMap::new();
    for c in &data.clients {
        let mut orders = by_client.remove(&c.id).unwrap_or_default();
        orders.sort_by_key(|(d, _)| *d);
        *matrix
            .entry((c.behaviour, churn_class(&orders, as_of())))
            .or_default() += 1;
    }
    println!("{matrix:?}");
    let share = |b: Behaviour, classes: &[&str]| -> f64 {
        let total: usize = matrix
            .iter()
            .filter(|((x, _), _)| *x == b)
            .map(|(_, n)| n)
            .sum();
        let hits: usize = matrix
            .iter()
            .filter(|((x, c), _)| *x == b && classes.contains(c))
            .map(|(_, n)| n)
            .sum();
        hits as f64 / total as f64
    };
    assert_eq!(share(Behaviour::Prospect, &["prospect"]), 1.0);
    assert_eq!(share(Behaviour::Churned, &["churned"]), 1.0);
    assert_eq!(share(Behaviour::Returning, &["returning"]), 1.0);
    assert_eq!(share(Behaviour::New, &["new"]), 1.0);
    assert!(share(Behaviour::Lapsing, &["at_risk"]) > 0.9, "{matrix:?}");
    assert!(
        share(Behaviour::Declining, &["declining", "at_risk"]) > 0.8,
        "{matrix:?}"
    );
    // Few orders in 90 days make some steady small buyers look like decliners, as in life.
    assert!(share(Behaviour::Steady, &["stable"]) > 0.8, "{matrix:?}");
    assert_eq!(
        share(Behaviour::Steady, &["stable", "declining", "at_risk"]),
        1.0,
        "{matrix:?}"
    );
}

#[test]
fn documents_have_a_realistic_spread_and_are_deterministic() {
    use domain::archive::{
        client_groups, evaluate_archive, ClientGroup, DocumentFacts, DocumentStatus,
        RequirementMatrix,
    };
    let data = generate(&config(7, 0.5));
    let today = as_of();
    let year_ago = today - chrono::TimeDelta::days(365);
    let diesel: HashSet<Uuid> = data
        .orders
        .iter()
        .filter(|o| o.product.is_diesel() && o.order_date > year_ago)
        .map(|o| o.client_id)
        .collect();
    let units: HashMap<Uuid, (String, Option<Uuid>)> = data
        .org_units
        .iter()
        .map(|u| (u.id, (u.name.clone(), u.parent_id)))
        .collect();
    let docs =
        crate::documents::generate_documents(7, today, &data.clients, &data.users, &diesel, &units);
    let again =
        crate::documents::generate_documents(7, today, &data.clients, &data.users, &diesel, &units);
    assert_eq!(docs, again, "same seed, same documents");

    let matrix = RequirementMatrix::default();
    let mut by_client: HashMap<Uuid, Vec<DocumentFacts>> = HashMap::new();
    for d in &docs {
        by_client
            .entry(d.client_id)
            .or_default()
            .push(DocumentFacts {
                id: d.id,
                doc_type: d.meta.doc_type,
                review: d.review,
                valid_to: d.meta.valid_to,
                covers_diesel: d.meta.covers_diesel(),
                uploaded_at: d.uploaded_at,
            });
    }
    let (mut complete, mut expiring, mut expired, mut resellers, mut lacking) = (0, 0, 0, 0, 0);
    for c in &data.clients {
        let f = &c.fields;
        let buys = diesel.contains(&c.id) || f.demand.products.iter().any(|p| p.is_diesel());
        let groups = client_groups(f.category, f.delivery, buys);
        let status = evaluate_archive(
            &groups,
            by_client.get(&c.id).map_or(&[][..], |v| v),
            &matrix,
            1,
            today,
        );
        complete += usize::from(status.complete);
        expiring += usize::from(
            status
                .items
                .iter()
                .any(|i| i.status == DocumentStatus::Expiring),
        );
        expired += usize::from(
            status
                .items
                .iter()
                .any(|i| i.status == DocumentStatus::Expired),
        );
        if groups.contains(&ClientGroup::DieselReseller) {
            resellers += 1;
            let permit = status
                .items
                .iter()
                .find(|i| i.doc_type == domain::archive::DocumentType::HazchemPermit);
            if !permit.is_some_and(|i| {
                matches!(i.status, DocumentStatus::Valid | DocumentStatus::Expiring)
            }) {
                lacking += 1;
            }
        }
    }
    let n = data.clients.len() as f64;
    let rate = complete as f64 / n;
    assert!((0.70..0.90).contains(&rate), "complete {rate}");
    assert!(expiring as f64 / n > 0.03, "expiring {expiring}");
    assert!(expired as f64 / n > 0.02, "expired {expired}");
    assert!(resellers > 100, "resellers {resellers}");
    assert!(
        lacking >= 10 && (lacking as f64) < resellers as f64 * 0.3,
        "lacking {lacking} of {resellers}"
    );
}
