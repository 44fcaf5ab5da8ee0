//! Clients (客户) and their master data.

use crate::geo::GeoPoint;
use crate::sales::{Product, SalesSummary};
use crate::uscc::Uscc;
use crate::validation::{check_optional_text, check_text, FieldError, ValidationErrors};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

labelled_enum! {
    /// Client category; it decides which licence documents are required.
    ClientCategory {
        EndUser => "end_user", "终端客户", "End user";
        FillingStation => "filling_station", "社会加油站", "Filling station";
        Trader => "trader", "贸易商", "Trader";
    }
}

labelled_enum! {
    /// Industry of the client.
    Industry {
        Manufacturing => "manufacturing", "工业制造", "Manufacturing";
        Logistics => "logistics", "交通物流", "Transport & logistics";
        Mining => "mining", "矿山采掘", "Mining";
        Construction => "construction", "建筑工程", "Construction";
        Agriculture => "agriculture", "农林牧渔", "Agriculture";
        PublicTransport => "public_transport", "公交客运", "Public transport";
        Shipping => "shipping", "内河航运", "Inland shipping";
        FuelRetail => "fuel_retail", "成品油零售", "Fuel retail";
        FuelTrading => "fuel_trading", "成品油贸易", "Fuel trading";
        PublicSector => "public_sector", "机关事业单位", "Public sector";
        Other => "other", "其他", "Other";
    }
}

labelled_enum! {
    /// How the client buys from us.
    PurchaseChannel {
        SelfPickup => "self_pickup", "自提", "Self pick-up";
        Delivery => "delivery", "配送", "Delivery";
        Online => "online", "我要买油", "Online ordering";
        FuelCard => "fuel_card", "加油卡", "Fuel card";
    }
}

/// A contact person at the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Name.
    pub name: String,
    /// Position, e.g. 采购经理.
    #[serde(default)]
    pub title: String,
    /// Mobile (11 digits starting 1) or landline (area code + number).
    pub phone: String,
}

/// Storage and equipment at the client's site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Facilities {
    /// Number of fuel tanks.
    #[serde(default)]
    pub tank_count: u32,
    /// Total tank capacity, cubic metres.
    #[serde(default)]
    pub tank_capacity_m3: f64,
    /// Number of dispensers (加油机).
    #[serde(default)]
    pub dispenser_count: u32,
    /// Number of vehicles or machines that burn our fuel.
    #[serde(default)]
    pub vehicle_count: u32,
}

/// What and how much the client wants to buy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DemandPreference {
    /// Products it buys.
    #[serde(default)]
    pub products: Vec<Product>,
    /// Estimated monthly demand, tonnes.
    #[serde(default)]
    pub monthly_tonnes: Option<f64>,
    /// Free notes (preferred delivery times, payment habits…).
    #[serde(default)]
    pub notes: String,
}

/// Registration on the online ordering channel (我要买油).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OnlineOrdering {
    /// Registered or not.
    #[serde(default)]
    pub registered: bool,
    /// Date of registration.
    #[serde(default)]
    pub registered_on: Option<NaiveDate>,
    /// The account name on the channel.
    #[serde(default)]
    pub account: Option<String>,
}

/// The editable master data of a client: the body of a create request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClientFields {
    /// Unified social credit code, 18 characters with a valid check character.
    pub uscc: String,
    /// Registered name.
    pub name: String,
    /// Category.
    pub category: ClientCategory,
    /// Industry.
    pub industry: Industry,
    /// Address of the place of use.
    #[serde(default)]
    pub address: String,
    /// Registered location (WGS-84); check-ins are measured against it.
    #[serde(default)]
    pub location: Option<GeoPoint>,
    /// The county-level org unit the client belongs to.
    pub org_unit_id: Uuid,
    /// The owning account manager.
    pub account_manager_id: Uuid,
    /// Contact people; the first is the main contact.
    #[serde(default)]
    pub contacts: Vec<Contact>,
    /// Tanks, dispensers, vehicles.
    #[serde(default)]
    pub facilities: Facilities,
    /// How it buys.
    #[serde(default)]
    pub purchase_channels: Vec<PurchaseChannel>,
    /// What it buys.
    #[serde(default)]
    pub demand: DemandPreference,
    /// We deliver to it (a delivery address filing is then required).
    #[serde(default)]
    pub delivery: bool,
    /// Membership (fuel) card number, if any.
    #[serde(default)]
    pub membership_card_no: Option<String>,
    /// Online ordering registration.
    #[serde(default)]
    pub online_ordering: OnlineOrdering,
    /// Free tags for grouping (custom plans filter on them).
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Calls `$apply!(field, …)` with every editable field of [`ClientFields`], so code that walks
/// the fields (apply an update, compute one) names them in one place only.
macro_rules! editable_fields {
    ($apply:ident) => {
        $apply!(
            uscc,
            name,
            category,
            industry,
            address,
            location,
            org_unit_id,
            account_manager_id,
            contacts,
            facilities,
            purchase_channels,
            demand,
            delivery,
            membership_card_no,
            online_ordering,
            tags
        )
    };
}

/// A partial update: only the fields present change. `location: null` clears the location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateClientRequest {
    /// See [`ClientFields::uscc`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uscc: Option<String>,
    /// See [`ClientFields::name`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// See [`ClientFields::category`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<ClientCategory>,
    /// See [`ClientFields::industry`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry: Option<Industry>,
    /// See [`ClientFields::address`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// See [`ClientFields::location`]; `null` clears it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<GeoPoint>))]
    pub location: Option<Option<GeoPoint>>,
    /// See [`ClientFields::org_unit_id`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_unit_id: Option<Uuid>,
    /// See [`ClientFields::account_manager_id`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_manager_id: Option<Uuid>,
    /// See [`ClientFields::contacts`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Vec<Contact>>,
    /// See [`ClientFields::facilities`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facilities: Option<Facilities>,
    /// See [`ClientFields::purchase_channels`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_channels: Option<Vec<PurchaseChannel>>,
    /// See [`ClientFields::demand`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demand: Option<DemandPreference>,
    /// See [`ClientFields::delivery`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<bool>,
    /// See [`ClientFields::membership_card_no`]; `null` clears it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub membership_card_no: Option<Option<String>>,
    /// See [`ClientFields::online_ordering`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_ordering: Option<OnlineOrdering>,
    /// See [`ClientFields::tags`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

/// Distinguishes an absent field (outer `None`) from an explicit `null` (`Some(None)`).
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl UpdateClientRequest {
    /// The client's fields after this update.
    pub fn apply(self, mut f: ClientFields) -> ClientFields {
        macro_rules! set {
            ($($field:ident),*) => { $(if let Some(v) = self.$field { f.$field = v; })* };
        }
        editable_fields!(set);
        f
    }

    /// The update that turns `old` into `new`, carrying only the fields that differ (so the
    /// audit trail shows what the user really changed).
    pub fn between(old: &ClientFields, new: ClientFields) -> Self {
        let mut update = UpdateClientRequest::default();
        macro_rules! changed {
            ($($field:ident),*) => { $(if old.$field != new.$field { update.$field = Some(new.$field); })* };
        }
        editable_fields!(changed);
        update
    }

    /// True when the body changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == UpdateClientRequest::default()
    }
}

/// Maximum lengths of text fields.
pub mod limits {
    /// Name.
    pub const NAME: usize = 100;
    /// Address.
    pub const ADDRESS: usize = 200;
    /// Contact name or title.
    pub const CONTACT: usize = 50;
    /// Number of contacts.
    pub const CONTACTS: usize = 20;
    /// One tag.
    pub const TAG: usize = 20;
    /// Number of tags.
    pub const TAGS: usize = 20;
    /// Card number or online account.
    pub const ACCOUNT: usize = 50;
    /// Demand notes.
    pub const NOTES: usize = 1000;
}

/// Checks a Chinese phone number: mobile `1[3-9]` + 9 digits, or landline `0` + 2–3 digit area
/// code + 7–8 digit number (optional `-` and extension). Spaces and a `+86` prefix are accepted.
pub fn is_valid_phone(phone: &str) -> bool {
    let compact: String = phone.chars().filter(|c| !c.is_whitespace()).collect();
    let compact = compact.strip_prefix("+86").unwrap_or(&compact);
    let digits_only = compact.chars().all(|c| c.is_ascii_digit());
    let b = compact.as_bytes();
    if digits_only && b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) {
        return true;
    }
    // Landline: 0AA(A)-NNNNNNN(N)[-EXT]
    let mut parts = compact.split('-');
    let first = parts.next().unwrap_or("");
    let all_digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let (area, number, ext) = match (parts.next(), parts.next(), parts.next()) {
        (None, _, _) => {
            // Without a dash: 0 + area + number, 10–12 digits in all.
            return all_digits(first) && first.starts_with('0') && (10..=12).contains(&first.len());
        }
        (Some(n), None, _) => (first, n, None),
        (Some(n), Some(e), None) => (first, n, Some(e)),
        _ => return false,
    };
    all_digits(area)
        && area.starts_with('0')
        && (3..=4).contains(&area.len())
        && all_digits(number)
        && (7..=8).contains(&number.len())
        && ext.is_none_or(|e| all_digits(e) && e.len() <= 6)
}

impl ClientFields {
    /// Trims text and upper-cases the USCC, so stored data is uniform.
    pub fn normalized(mut self) -> Self {
        self.uscc = self.uscc.trim().to_ascii_uppercase();
        self.name = self.name.trim().to_owned();
        self.address = self.address.trim().to_owned();
        for c in &mut self.contacts {
            c.name = c.name.trim().to_owned();
            c.title = c.title.trim().to_owned();
            c.phone = c.phone.trim().to_owned();
        }
        self.tags = self.tags.iter().map(|t| t.trim().to_owned()).collect();
        self.membership_card_no = self
            .membership_card_no
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        self
    }

    /// Every rule on the master data; all errors at once, field by field.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if let Err(e) = Uscc::parse(&self.uscc) {
            errors.push(FieldError::new(
                "uscc",
                "invalid_uscc",
                format!("uscc: {e}"),
                format!("uscc：{}", e.message_zh()),
            ));
        }
        check_text(&mut errors, "name", &self.name, limits::NAME);
        check_optional_text(&mut errors, "address", &self.address, limits::ADDRESS);
        if let Some(location) = &self.location {
            location.check(&mut errors, "location");
        }
        if self.contacts.len() > limits::CONTACTS {
            errors.push(FieldError::invalid_value(
                "contacts",
                "at most 20 contacts",
                "联系人最多 20 个",
            ));
        }
        for (i, c) in self.contacts.iter().enumerate() {
            check_text(
                &mut errors,
                &format!("contacts[{i}].name"),
                &c.name,
                limits::CONTACT,
            );
            check_optional_text(
                &mut errors,
                &format!("contacts[{i}].title"),
                &c.title,
                limits::CONTACT,
            );
            if !is_valid_phone(&c.phone) {
                let field = format!("contacts[{i}].phone");
                errors.push(FieldError::new(
                    &field,
                    "invalid_phone",
                    format!(
                        "{field}: not a mobile (1xxxxxxxxxx) or landline (0xxx-xxxxxxx) number"
                    ),
                    format!("{field}：不是有效的手机号（1 开头 11 位）或固定电话（区号-号码）"),
                ));
            }
        }
        let cap = self.facilities.tank_capacity_m3;
        if !cap.is_finite() || !(0.0..=1_000_000.0).contains(&cap) {
            errors.push(FieldError::out_of_range(
                "facilities.tank_capacity_m3",
                0.0,
                1_000_000.0,
            ));
        }
        if let Some(t) = self.demand.monthly_tonnes {
            if !t.is_finite() || !(0.0..=1_000_000.0).contains(&t) {
                errors.push(FieldError::out_of_range(
                    "demand.monthly_tonnes",
                    0.0,
                    1_000_000.0,
                ));
            }
        }
        check_optional_text(
            &mut errors,
            "demand.notes",
            &self.demand.notes,
            limits::NOTES,
        );
        if let Some(card) = &self.membership_card_no {
            check_optional_text(&mut errors, "membership_card_no", card, limits::ACCOUNT);
        }
        if let Some(account) = &self.online_ordering.account {
            check_optional_text(
                &mut errors,
                "online_ordering.account",
                account,
                limits::ACCOUNT,
            );
        }
        if self.tags.len() > limits::TAGS {
            errors.push(FieldError::invalid_value(
                "tags",
                "at most 20 tags",
                "标签最多 20 个",
            ));
        }
        for (i, t) in self.tags.iter().enumerate() {
            check_text(&mut errors, &format!("tags[{i}]"), t, limits::TAG);
        }
        errors.into_result(())
    }

    /// The main contact (first one), if any.
    pub fn main_contact(&self) -> Option<&Contact> {
        self.contacts.first()
    }
}

/// A client as read back: its fields plus identity, names for display, and timestamps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Client {
    /// Identifier.
    pub id: Uuid,
    /// Master data.
    #[serde(flatten)]
    pub fields: ClientFields,
    /// Name of the org unit.
    pub org_unit_name: String,
    /// Name of the account manager.
    pub account_manager_name: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A client with its sales figures (the client page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientDetail {
    /// The client.
    #[serde(flatten)]
    pub client: Client,
    /// Sales in the trailing 12 months and by month.
    pub sales: SalesSummary,
}

/// One row of the client list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientSummary {
    /// Identifier.
    pub id: Uuid,
    /// USCC.
    pub uscc: String,
    /// Name.
    pub name: String,
    /// Category.
    pub category: ClientCategory,
    /// Industry.
    pub industry: Industry,
    /// Address.
    pub address: String,
    /// County-level unit.
    pub org_unit_id: Uuid,
    /// Its name.
    pub org_unit_name: String,
    /// Owning account manager.
    pub account_manager_id: Uuid,
    /// Their name.
    pub account_manager_name: String,
    /// Main contact's name.
    pub contact_name: Option<String>,
    /// Main contact's phone.
    pub contact_phone: Option<String>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// One page of clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientPage {
    /// The rows of this page.
    pub items: Vec<ClientSummary>,
    /// Rows matching the filters, over all pages; when `total_exact` is false, at least this
    /// many (a text search is counted up to [`ClientQuery::count_up_to`]).
    pub total: u64,
    /// False when more than `total` rows match ("1,000+").
    #[serde(default = "exact_by_default")]
    pub total_exact: bool,
    /// Page number, from 1.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
}

fn exact_by_default() -> bool {
    true
}

/// A text search's matches are counted up to this many (or through the requested page).
pub const SEARCH_COUNT_BOUND: u64 = 1_000;

labelled_enum! {
    /// Sort orders of the client list; `-` prefix means descending.
    ClientSort {
        Name => "name", "名称", "Name";
        NameDesc => "-name", "名称（倒序）", "Name (descending)";
        Uscc => "uscc", "信用代码", "USCC";
        UsccDesc => "-uscc", "信用代码（倒序）", "USCC (descending)";
        UpdatedAt => "updated_at", "更新时间", "Last changed";
        UpdatedAtDesc => "-updated_at", "更新时间（倒序）", "Last changed (descending)";
        CreatedAt => "created_at", "创建时间", "Created";
        CreatedAtDesc => "-created_at", "创建时间（倒序）", "Created (descending)";
    }
}

/// Largest page a list returns.
pub const MAX_PER_PAGE: u64 = 200;
/// Page size when none is given.
pub const DEFAULT_PER_PAGE: u64 = 50;

/// Filters, sort and paging of the client list, validated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClientQuery {
    /// Search text over name, USCC, contact name and phone (case-insensitive substring).
    pub q: Option<String>,
    /// Only clients in this unit's subtree.
    pub org_unit_id: Option<Uuid>,
    /// Only this category.
    pub category: Option<ClientCategory>,
    /// Only this industry.
    pub industry: Option<Industry>,
    /// Only this account manager's clients.
    pub account_manager_id: Option<Uuid>,
    /// Sort order (default: name).
    pub sort: Option<ClientSort>,
    /// Page from 1.
    pub page: u64,
    /// Rows per page, 1…200.
    pub per_page: u64,
    /// An account manager's read-only view of every client of their unit (`view=unit`), with
    /// contact phones masked; other roles see their whole scope anyway.
    pub unit_view: bool,
}

impl ClientQuery {
    /// How far the list counts a text search's matches: [`SEARCH_COUNT_BOUND`], or through the
    /// requested page when it lies beyond, so the pager can always offer the next page.
    pub fn count_up_to(&self) -> u64 {
        SEARCH_COUNT_BOUND.max(self.page.saturating_mul(self.per_page))
    }

    /// The filters that are set, as (parameter, value) in the order URLs list them, values not
    /// yet percent-encoded (the list page's URL, API calls and the export's audit entry use it).
    pub fn filter_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(q) = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            pairs.push(("q", q.to_owned()));
        }
        if let Some(id) = self.org_unit_id {
            pairs.push(("org_unit_id", id.to_string()));
        }
        if let Some(c) = self.category {
            pairs.push(("category", c.code().to_owned()));
        }
        if let Some(i) = self.industry {
            pairs.push(("industry", i.code().to_owned()));
        }
        if let Some(id) = self.account_manager_id {
            pairs.push(("account_manager_id", id.to_string()));
        }
        pairs
    }

    /// Validates raw paging values into a query; errors name `page` / `per_page`.
    pub fn paging(
        page: Option<u64>,
        per_page: Option<u64>,
    ) -> Result<(u64, u64), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        if page == 0 || page > 1_000_000 {
            errors.push(FieldError::out_of_range("page", 1.0, 1_000_000.0));
        }
        if per_page == 0 || per_page > MAX_PER_PAGE {
            errors.push(FieldError::out_of_range(
                "per_page",
                1.0,
                MAX_PER_PAGE as f64,
            ));
        }
        errors.into_result((page, per_page))
    }

    /// Text to search for, lower-cased, or `None` when blank.
    pub fn search_text(&self) -> Option<String> {
        self.q
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase)
    }
}

/// A phone number with its middle hidden (`139****1234`, `0731-****1234`), for roles that may
/// not see contact details.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let digits = chars.iter().filter(|c| c.is_ascii_digit()).count();
    // Keep the first 3 and the last 4 digits; everything between becomes `*`.
    let mut seen = 0;
    chars
        .iter()
        .map(|&c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen <= 3 || seen + 4 > digits {
                c
            } else {
                '*'
            }
        })
        .collect()
}

impl Client {
    /// The client with contact phones masked.
    pub fn masked(mut self) -> Self {
        for c in &mut self.fields.contacts {
            c.phone = mask_phone(&c.phone);
        }
        self
    }
}

impl ClientSummary {
    /// The row with the contact phone masked.
    pub fn masked(mut self) -> Self {
        self.contact_phone = self.contact_phone.map(|p| mask_phone(&p));
        self
    }
}

/// The text a client is found by: name, USCC, contact names and phones, lower-cased.
pub fn search_text(fields: &ClientFields) -> String {
    let mut text = format!("{} {}", fields.name, fields.uscc);
    for c in &fields.contacts {
        text.push(' ');
        text.push_str(&c.name);
        text.push(' ');
        text.push_str(&c.phone);
    }
    text.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> ClientFields {
        ClientFields {
            uscc: "91350100M000100Y43".into(),
            name: "长沙市岳麓区恒通物流有限公司".into(),
            category: ClientCategory::EndUser,
            industry: Industry::Logistics,
            address: "长沙市岳麓区麓谷大道 100 号".into(),
            location: Some(GeoPoint {
                lat: 28.23,
                lon: 112.88,
            }),
            org_unit_id: Uuid::from_u128(1),
            account_manager_id: Uuid::from_u128(2),
            contacts: vec![Contact {
                name: "王建国".into(),
                title: "采购经理".into(),
                phone: "13907311234".into(),
            }],
            facilities: Facilities {
                tank_count: 2,
                tank_capacity_m3: 60.0,
                dispenser_count: 1,
                vehicle_count: 35,
            },
            purchase_channels: vec![PurchaseChannel::Delivery],
            demand: DemandPreference {
                products: vec![Product::Diesel0],
                monthly_tonnes: Some(40.0),
                notes: String::new(),
            },
            delivery: true,
            membership_card_no: None,
            online_ordering: OnlineOrdering::default(),
            tags: vec!["重点物流".into()],
        }
    }

    #[test]
    fn a_complete_client_is_valid() {
        assert_eq!(sample().validate(), Ok(()));
    }

    #[test]
    fn every_bad_field_is_reported_by_name() {
        let mut c = sample();
        c.uscc = "91350100M000100Y44".into();
        c.name = "  ".into();
        c.location = Some(GeoPoint {
            lat: 120.0,
            lon: 112.0,
        });
        c.contacts[0].phone = "12345".into();
        c.facilities.tank_capacity_m3 = -1.0;
        let errors = c.validate().expect_err("invalid");
        let fields: Vec<_> = errors
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("uscc", "invalid_uscc"),
                ("name", "required"),
                ("location.lat", "out_of_range"),
                ("contacts[0].phone", "invalid_phone"),
                ("facilities.tank_capacity_m3", "out_of_range"),
            ]
        );
        assert!(errors.0[0].message_zh.contains("校验码"));
    }

    #[test]
    fn phones_of_both_kinds_are_accepted_and_junk_is_not() {
        for ok in [
            "13907311234",
            "+86 139 0731 1234",
            "0731-88881234",
            "0731-8888123-801",
            "073188881234",
        ] {
            assert!(is_valid_phone(ok), "{ok}");
        }
        for bad in [
            "",
            "12345",
            "23907311234",
            "0731-12",
            "abc",
            "0731-88881234-1-2",
            "1390731123a",
        ] {
            assert!(!is_valid_phone(bad), "{bad}");
        }
    }

    #[test]
    fn an_update_changes_only_the_fields_it_carries() {
        let update: UpdateClientRequest =
            serde_json::from_str(r#"{"name":"新名称","location":null}"#).expect("json");
        let after = update.apply(sample());
        assert_eq!(after.name, "新名称");
        assert_eq!(after.location, None);
        assert_eq!(after.uscc, sample().uscc);
        let untouched: UpdateClientRequest = serde_json::from_str(r#"{"name":"x"}"#).expect("json");
        assert_eq!(untouched.apply(sample()).location, sample().location);
    }

    #[test]
    fn the_update_between_two_versions_carries_only_the_differences() {
        let old = sample();
        let mut new = sample();
        new.name = "新名称".into();
        new.location = None;
        let update = UpdateClientRequest::between(&old, new.clone());
        assert_eq!(update.name.as_deref(), Some("新名称"));
        assert_eq!(update.location, Some(None));
        assert_eq!(update.uscc, None);
        assert_eq!(update.clone().apply(old.clone()), new);
        assert!(UpdateClientRequest::between(&old, old.clone()).is_empty());
        // Absent stays absent on the wire; only an explicit clear is sent as null.
        let json = serde_json::to_value(&update).expect("json");
        assert_eq!(
            json,
            serde_json::json!({ "name": "新名称", "location": null })
        );
        let round: UpdateClientRequest = serde_json::from_value(json).expect("json");
        assert_eq!(round, update);
    }

    #[test]
    fn unknown_fields_in_a_create_body_are_refused() {
        let mut json = serde_json::to_value(sample()).expect("json");
        json["colour"] = serde_json::json!("red");
        assert!(serde_json::from_value::<ClientFields>(json).is_err());
    }

    #[test]
    fn masked_phones_keep_only_the_ends() {
        assert_eq!(mask_phone("13907311234"), "139****1234");
        assert_eq!(mask_phone("0731-88881234"), "073*-****1234");
        assert_eq!(mask_phone("123"), "123");
    }

    #[test]
    fn paging_limits_are_enforced() {
        assert_eq!(ClientQuery::paging(None, None), Ok((1, 50)));
        let errors = ClientQuery::paging(Some(0), Some(500)).expect_err("invalid");
        assert_eq!(errors.0.len(), 2);
    }
}
