//! People: names, phone numbers and the users of every unit.

use crate::random::{self, DemoRng, Stream};
use crate::words::{FEMALE_CHARS, MALE_CHARS, MOBILE_PREFIXES, SURNAMES};
use crate::{hunan, org_unit_id, CountyPlan, DemoUser, DEMO_COUNTY_CODE};
use domain::org::Role;
use rand::Rng;
use std::collections::HashSet;
use uuid::Uuid;

/// Clients per account manager the plan aims at (the brief's 35–60, in the middle).
const CLIENTS_PER_MANAGER: f64 = 45.0;

/// A Chinese name: a weighted surname and a one- or two-character given name.
pub(crate) fn person_name(rng: &mut DemoRng) -> String {
    let surname = random::pick_weighted(rng, SURNAMES);
    let chars = if rng.random_bool(0.55) {
        MALE_CHARS
    } else {
        FEMALE_CHARS
    };
    let mut name = String::with_capacity(12);
    name.push_str(surname);
    name.push_str(random::pick::<&str>(rng, chars));
    // Two-character given names are the majority among people born after 1970.
    if rng.random_bool(0.65) {
        name.push_str(random::pick::<&str>(rng, chars));
    }
    name
}

/// Hands out mobile numbers, never the same one twice.
#[derive(Debug, Default)]
pub(crate) struct PhoneBook {
    used: HashSet<u64>,
}

impl PhoneBook {
    /// Starts from numbers already given out.
    pub(crate) fn with_used(used: HashSet<u64>) -> Self {
        Self { used }
    }

    /// A fresh 11-digit mobile number `1[3-9]…`.
    pub(crate) fn mobile(&mut self, rng: &mut DemoRng) -> String {
        loop {
            let number = random::pick(rng, MOBILE_PREFIXES) * 100_000_000
                + rng.random_range(0..100_000_000u64);
            if self.used.insert(number) {
                return number.to_string();
            }
        }
    }

    /// The numbers given out so far.
    pub(crate) fn into_used(self) -> HashSet<u64> {
        self.used
    }
}

/// An office landline in the city: `0731-8xxxxxxx` (eight digits in 长株潭) or `0xxx-xxxxxxx`.
pub(crate) fn landline(rng: &mut DemoRng, area_code: &str) -> String {
    if area_code == "0731" {
        format!(
            "{area_code}-{}",
            rng.random_range(82_000_000..89_000_000u32)
        )
    } else {
        format!("{area_code}-{}", rng.random_range(2_000_000..8_900_000u32))
    }
}

/// `a`, `b`, … `z`, `aa`, `ab`, … (bijective base 26), for account managers' usernames.
pub(crate) fn letters(mut n: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

struct UserMaker<'a> {
    seed: u64,
    rng: DemoRng,
    phones: &'a mut PhoneBook,
    users: Vec<DemoUser>,
}

impl UserMaker<'_> {
    fn add(&mut self, username: String, role: Role, org_unit_id: Uuid) -> Uuid {
        // The id depends on the username, not on how many users came before, so the demo
        // accounts keep their ids when the scale (and so the number of managers) changes.
        let id = random::uuid_from_key(
            self.seed ^ random::hash_str(&format!("youguanjia-user:{username}")),
        );
        let employee_id = format!("E{:06}", self.users.len() + 1);
        let display_name = person_name(&mut self.rng);
        let phone = self.phones.mobile(&mut self.rng);
        self.users.push(DemoUser {
            id,
            username,
            display_name,
            role,
            org_unit_id,
            phone,
            employee_id,
        });
        id
    }
}

/// Users of every unit; fills each county plan's account managers.
pub(crate) fn build_users(
    seed: u64,
    plans: &mut [CountyPlan],
    phones: &mut PhoneBook,
) -> Vec<DemoUser> {
    let mut maker = UserMaker {
        seed,
        rng: random::stream(seed, Stream::Users, 0),
        phones,
        users: Vec::new(),
    };
    let province = org_unit_id(hunan::PROVINCE_CODE);
    maker.add("admin".to_owned(), Role::Admin, province);
    maker.add("leader".to_owned(), Role::Leader, province);
    maker.add("viewer".to_owned(), Role::Viewer, province);
    for city in hunan::CITIES {
        let city_id = org_unit_id(city.code);
        let short = &city.code[..4];
        maker.add(format!("ldr{short}"), Role::Leader, city_id);
        maker.add(format!("dir{short}"), Role::Director, city_id);
        for plan in plans.iter_mut().filter(|p| p.city.code == city.code) {
            let code = plan.county.code;
            let demo = code == DEMO_COUNTY_CODE;
            let director = if demo {
                "director".to_owned()
            } else {
                format!("dir{code}")
            };
            maker.add(director, Role::Director, plan.unit_id);
            let managers = ((plan.count as f64 / CLIENTS_PER_MANAGER).round() as usize).max(2);
            for i in 0..managers {
                let username = if demo && i == 0 {
                    "manager".to_owned()
                } else {
                    format!("am{code}{}", letters(i))
                };
                let id = maker.add(username, Role::AccountManager, plan.unit_id);
                plan.managers.push(id);
            }
        }
    }
    maker.users
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manager_suffixes_count_in_bijective_base_26() {
        let got: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702]
            .iter()
            .map(|&n| letters(n))
            .collect();
        assert_eq!(got, ["a", "b", "z", "aa", "ab", "az", "ba", "zz", "aaa"]);
    }

    #[test]
    fn names_and_phones_look_chinese_and_valid() {
        let mut rng = random::stream(1, Stream::Users, 9);
        let mut book = PhoneBook::default();
        for _ in 0..1000 {
            let name = person_name(&mut rng);
            assert!((2..=4).contains(&name.chars().count()), "{name}");
            let phone = book.mobile(&mut rng);
            assert!(domain::client::is_valid_phone(&phone), "{phone}");
            assert_eq!(phone.len(), 11);
            let land = landline(&mut rng, "0734");
            assert!(domain::client::is_valid_phone(&land), "{land}");
            let land = landline(&mut rng, "0731");
            assert!(domain::client::is_valid_phone(&land), "{land}");
        }
        assert_eq!(book.into_used().len(), 1000);
    }
}
