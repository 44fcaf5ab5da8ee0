//! Licence documents for the demo clients, with a realistic spread as of the demo's last day:
//! most archives complete, some missing a document, some expiring this month or in two, some
//! expired, a few awaiting review or rejected, and a share of diesel resellers without a valid
//! hazchem permit covering diesel (none, one for "成品油批发（不含危化品）" only, or an expired one).

use crate::random::{self, Stream};
use crate::{DemoClient, DemoUser};
use chrono::{DateTime, Months, NaiveDate, TimeDelta, TimeZone, Utc};
use domain::archive::{
    client_groups, DocumentMeta, DocumentType, Requirement, RequirementMatrix, ReviewState,
};
use domain::org::Role;
use rand::Rng;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// A generated document version.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoDocument {
    /// Identifier.
    pub id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// What it says.
    pub meta: DocumentMeta,
    /// Review decision.
    pub review: ReviewState,
    /// Reason of a rejection.
    pub review_reason: Option<String>,
    /// Uploaded by (the account manager).
    pub uploaded_by: Uuid,
    /// When.
    pub uploaded_at: DateTime<Utc>,
    /// Reviewed by (the director), when reviewed.
    pub reviewed_by: Option<Uuid>,
    /// Pages (1 or 2).
    pub pages: u8,
}

const REJECT_REASONS: [&str; 3] = [
    "照片模糊，证照编号无法辨认",
    "上传的是复印件，未加盖公章",
    "证照名称与客户名称不一致",
];

/// Documents for `clients` as of `as_of`. `diesel_buyers` are the clients that bought diesel
/// in the last 12 months; `units` names each unit (for issuers).
pub fn generate_documents(
    seed: u64,
    as_of: NaiveDate,
    clients: &[DemoClient],
    users: &[DemoUser],
    diesel_buyers: &HashSet<Uuid>,
    unit_names: &HashMap<Uuid, (String, Option<Uuid>)>,
) -> Vec<DemoDocument> {
    let matrix = RequirementMatrix::default();
    let directors: HashMap<Uuid, Uuid> = users
        .iter()
        .filter(|u| u.role == Role::Director)
        .map(|u| (u.org_unit_id, u.id))
        .collect();
    let mut out = Vec::with_capacity(clients.len() * 4);
    for client in clients {
        let f = &client.fields;
        let mut rng = random::stream(seed, Stream::Documents, random::key_of(client.id));
        let buys_diesel =
            diesel_buyers.contains(&client.id) || f.demand.products.iter().any(|p| p.is_diesel());
        let groups = client_groups(f.category, f.delivery, buys_diesel);
        let needs_diesel_scope = groups.contains(&domain::archive::ClientGroup::DieselReseller);
        let required: Vec<DocumentType> = matrix
            .requirements_for(&groups)
            .into_iter()
            .filter(|(_, r)| *r == Requirement::Required)
            .map(|(t, _)| t)
            .collect();
        let (county, city) = unit_names
            .get(&f.org_unit_id)
            .map(|(name, parent)| {
                let city = parent
                    .and_then(|p| unit_names.get(&p))
                    .map(|(n, _)| n.clone())
                    .unwrap_or_default();
                (name.clone(), city)
            })
            .unwrap_or_default();
        let reviewer = directors
            .get(&f.org_unit_id)
            .or_else(|| {
                unit_names
                    .get(&f.org_unit_id)
                    .and_then(|(_, p)| p.and_then(|p| directors.get(&p)))
            })
            .copied();
        // One roll decides this client's archive story.
        let story: f64 = rng.random();
        let missing_one = story < 0.08;
        let expiring_30 = (0.08..0.13).contains(&story);
        let expiring_60 = (0.13..0.17).contains(&story);
        let expired = (0.17..0.21).contains(&story);
        let pending = (0.21..0.23).contains(&story);
        let rejected = (0.23..0.24).contains(&story);
        let hazchem_story: f64 = rng.random();
        let skip = if missing_one && !required.is_empty() {
            Some(required[rng.random_range(0..required.len())])
        } else {
            None
        };
        let created = client
            .created_at
            .date_naive()
            .max(as_of - TimeDelta::days(900));
        for (index, doc_type) in required.iter().copied().enumerate() {
            if Some(doc_type) == skip {
                continue;
            }
            let mut review = ReviewState::Approved;
            let mut reason = None;
            let mut scope = String::new();
            let (valid_from, valid_to, long_term, number, issuer) = match doc_type {
                DocumentType::BusinessLicence => {
                    let long_term = rng.random_bool(0.9);
                    let to =
                        (!long_term).then(|| as_of + TimeDelta::days(rng.random_range(120..2000)));
                    (
                        Some(created - TimeDelta::days(rng.random_range(400..4000))),
                        to,
                        long_term,
                        f.uscc.clone(),
                        format!("{city}{county}市场监督管理局"),
                    )
                }
                DocumentType::AuthorisationLetter => {
                    let to = as_of + TimeDelta::days(rng.random_range(61..400));
                    (
                        Some(to - Months::new(12)),
                        Some(to),
                        false,
                        format!("SQ{}{:05}", as_of.format("%Y"), rng.random_range(1..99999)),
                        f.name.clone(),
                    )
                }
                DocumentType::LetterToClient => {
                    (Some(created), None, false, String::new(), String::new())
                }
                DocumentType::FuelRetailPermit => {
                    let to = as_of + TimeDelta::days(rng.random_range(61..1000));
                    (
                        Some(to - Months::new(36)),
                        Some(to),
                        false,
                        format!("油零售证书第 43{:07} 号", rng.random_range(0..9_999_999)),
                        "湖南省商务厅".to_owned(),
                    )
                }
                DocumentType::HazchemPermit => {
                    let to = as_of + TimeDelta::days(rng.random_range(61..1000));
                    scope = "危险化学品经营：汽油、柴油[闭杯闪点≤60℃]（不带储存设施）".to_owned();
                    (
                        Some(to - Months::new(36)),
                        Some(to),
                        false,
                        format!(
                            "湘{}危化经字〔{}〕{:06}",
                            city.chars().next().unwrap_or('长'),
                            rng.random_range(2022..2026),
                            rng.random_range(1..999_999)
                        ),
                        format!("{city}应急管理局"),
                    )
                }
                DocumentType::DeliveryAddressFiling => (
                    Some(created),
                    None,
                    true,
                    format!("PS{:06}", rng.random_range(1..999_999)),
                    "本公司物流中心".to_owned(),
                ),
            };
            let mut valid_to = valid_to;
            let mut valid_from = valid_from;
            // The story's document: the authorisation letter for timing stories, else the first.
            let is_story_doc = match doc_type {
                DocumentType::AuthorisationLetter => true,
                _ => index == 0 && !required.contains(&DocumentType::AuthorisationLetter),
            };
            if is_story_doc {
                let shift = if expiring_30 {
                    Some(rng.random_range(0..=30))
                } else if expiring_60 {
                    Some(rng.random_range(31..=60))
                } else if expired {
                    Some(-rng.random_range(1..=120))
                } else {
                    None
                };
                if let Some(days) = shift {
                    let to = as_of + TimeDelta::days(days);
                    valid_to = Some(to);
                    valid_from = Some(to - Months::new(12));
                }
                if pending {
                    review = ReviewState::Pending;
                } else if rejected {
                    review = ReviewState::Rejected;
                    reason =
                        Some(REJECT_REASONS[rng.random_range(0..REJECT_REASONS.len())].to_owned());
                }
            }
            if doc_type == DocumentType::HazchemPermit && needs_diesel_scope && hazchem_story < 0.12
            {
                if hazchem_story < 0.04 {
                    continue; // no permit at all
                } else if hazchem_story < 0.08 {
                    scope = "成品油批发（不含危化品）".to_owned();
                } else {
                    let to = as_of - TimeDelta::days(rng.random_range(1..200));
                    valid_to = Some(to);
                    valid_from = Some(to - Months::new(36));
                }
            }
            let long_term = long_term && valid_to.is_none();
            let uploaded_on = valid_from.unwrap_or(created).max(created).min(as_of);
            let uploaded_at = Utc.from_utc_datetime(
                &uploaded_on
                    .and_hms_opt(2 + rng.random_range(0..8), rng.random_range(0..60), 0)
                    .unwrap_or_default(),
            );
            out.push(DemoDocument {
                id: random::uuid(&mut rng),
                client_id: client.id,
                meta: DocumentMeta {
                    doc_type,
                    number,
                    issuer,
                    valid_from: if doc_type == DocumentType::LetterToClient {
                        None
                    } else {
                        valid_from
                    },
                    valid_to: if long_term || !doc_type.can_expire() {
                        None
                    } else {
                        valid_to
                    },
                    long_term,
                    business_scope: scope,
                },
                review,
                review_reason: reason,
                uploaded_by: f.account_manager_id,
                uploaded_at,
                reviewed_by: if review == ReviewState::Pending {
                    None
                } else {
                    reviewer
                },
                pages: if doc_type == DocumentType::BusinessLicence && rng.random_bool(0.3) {
                    2
                } else {
                    1
                },
            });
        }
    }
    out
}
