//! Client archives (客户档案): licence documents, the requirement matrix, completeness,
//! expiry tiers and the hazchem screening rule (DESIGN §2.1).

use crate::client::ClientCategory;
use crate::validation::{check_optional_text, FieldError, ValidationErrors};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

labelled_enum! {
    /// Kinds of licence document (证照).
    DocumentType {
        BusinessLicence => "business_licence", "营业执照", "Business licence";
        AuthorisationLetter => "authorisation_letter", "授权委托书", "Authorisation letter";
        LetterToClient => "letter_to_client", "致客户书", "Letter to client";
        FuelRetailPermit => "fuel_retail_permit", "成品油零售经营批准证书", "Fuel retail permit";
        HazchemPermit => "hazchem_permit", "危险化学品经营许可证", "Hazchem permit";
        DeliveryAddressFiling => "delivery_address_filing", "配送地址备案表", "Delivery address filing";
    }
}

impl DocumentType {
    /// Whether documents of this type carry an expiry date. A letter to client does not.
    pub fn can_expire(self) -> bool {
        !matches!(self, DocumentType::LetterToClient)
    }
}

labelled_enum! {
    /// Where a document stands (what managers see).
    DocumentStatus {
        Missing => "missing", "缺失", "Missing";
        PendingReview => "pending_review", "待审核", "Pending review";
        Valid => "valid", "有效", "Valid";
        Expiring => "expiring", "即将到期", "Expiring";
        Expired => "expired", "已过期", "Expired";
        Rejected => "rejected", "已驳回", "Rejected";
    }
}

labelled_enum! {
    /// The review decision stored on a document.
    ReviewState {
        Pending => "pending", "待审核", "Pending";
        Approved => "approved", "已通过", "Approved";
        Rejected => "rejected", "已驳回", "Rejected";
    }
}

labelled_enum! {
    /// How a requirement-matrix row applies a document type.
    Requirement {
        Required => "required", "必需", "Required";
        Optional => "optional", "可选", "Optional";
    }
}

labelled_enum! {
    /// The groups a client can belong to; each has a row in the requirement matrix.
    /// A client belongs to the group of its category, plus `delivery` when fuel is delivered
    /// to it, plus `diesel_reseller` when it buys diesel for resale.
    ClientGroup {
        EndUser => "end_user", "终端客户", "End users";
        FillingStation => "filling_station", "社会加油站", "Filling stations";
        Trader => "trader", "贸易商", "Traders";
        Delivery => "delivery", "配送客户", "Delivery clients";
        DieselReseller => "diesel_reseller", "柴油转售客户", "Diesel resellers";
    }
}

impl ClientGroup {
    /// The group of a category.
    pub fn of_category(category: ClientCategory) -> Self {
        match category {
            ClientCategory::EndUser => ClientGroup::EndUser,
            ClientCategory::FillingStation => ClientGroup::FillingStation,
            ClientCategory::Trader => ClientGroup::Trader,
        }
    }
}

/// A client buys diesel for resale when it is a filling station or a trader and diesel is
/// among what it buys (its orders or, without orders, its stated demand).
pub fn buys_diesel_for_resale(category: ClientCategory, buys_diesel: bool) -> bool {
    buys_diesel
        && matches!(
            category,
            ClientCategory::FillingStation | ClientCategory::Trader
        )
}

/// The groups a client belongs to.
pub fn client_groups(
    category: ClientCategory,
    delivery: bool,
    buys_diesel: bool,
) -> Vec<ClientGroup> {
    let mut groups = vec![ClientGroup::of_category(category)];
    if delivery {
        groups.push(ClientGroup::Delivery);
    }
    if buys_diesel_for_resale(category, buys_diesel) {
        groups.push(ClientGroup::DieselReseller);
    }
    groups
}

/// Whether a hazchem permit's business scope covers diesel.
///
/// The scope must name diesel (柴油) outside any exclusion: "成品油批发（不含危化品）" alone does
/// not count, nor does "…（不含柴油）". Parenthesised clauses that start with 不含/除/不包括 are
/// exclusions and are dropped before looking.
pub fn scope_covers_diesel(scope: &str) -> bool {
    let normalised: String = scope
        .chars()
        .map(|c| match c {
            '（' | '【' | '[' => '(',
            '）' | '】' | ']' => ')',
            other => other,
        })
        .collect::<String>()
        .to_lowercase();
    let mut kept = String::with_capacity(normalised.len());
    let mut rest = normalised.as_str();
    while let Some(open) = rest.find('(') {
        kept.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find(')').unwrap_or(after.len());
        let clause = &after[..close];
        let excluded = ["不含", "除", "不包括", "excluding", "except"]
            .iter()
            .any(|p| clause.trim_start().starts_with(p));
        if !excluded {
            kept.push(' ');
            kept.push_str(clause);
            kept.push(' ');
        }
        rest = after.get(close + 1..).unwrap_or("");
    }
    kept.push_str(rest);
    // Unbracketed exclusions such as "不含柴油" also remove what follows them.
    let positive = ["不含柴油", "不包括柴油", "除柴油"]
        .iter()
        .fold(kept, |text, pattern| text.replace(pattern, ""));
    positive.contains("柴油") || positive.contains("diesel")
}

/// The requirement matrix: per client group, which document types are required or optional.
/// A rule set: administrators edit it, every edit is a new version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RequirementMatrix {
    /// Rows by client group (snake_case group code → document type code → requirement).
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<ClientGroup, BTreeMap<DocumentType, Requirement>>))]
    pub groups: BTreeMap<ClientGroup, BTreeMap<DocumentType, Requirement>>,
    /// Days before valid-to from which an approved document counts as `expiring` (default 30).
    #[serde(default = "default_expiring_days")]
    pub expiring_days: i64,
}

fn default_expiring_days() -> i64 {
    30
}

impl Default for RequirementMatrix {
    /// DESIGN §2.1: every active client needs a business licence, an authorisation letter and
    /// a letter to client; filling stations also a fuel retail permit and a hazchem permit;
    /// traders and diesel resellers a hazchem permit (covering diesel); delivery clients a
    /// delivery address filing.
    fn default() -> Self {
        use DocumentType::*;
        let base = [BusinessLicence, AuthorisationLetter, LetterToClient];
        let row = |extra: &[DocumentType], optional: &[DocumentType]| {
            let mut map: BTreeMap<DocumentType, Requirement> = base
                .iter()
                .chain(extra)
                .map(|t| (*t, Requirement::Required))
                .collect();
            for t in optional {
                map.entry(*t).or_insert(Requirement::Optional);
            }
            map
        };
        let mut groups = BTreeMap::new();
        groups.insert(ClientGroup::EndUser, row(&[], &[DeliveryAddressFiling]));
        groups.insert(
            ClientGroup::FillingStation,
            row(&[FuelRetailPermit, HazchemPermit], &[]),
        );
        groups.insert(ClientGroup::Trader, row(&[HazchemPermit], &[]));
        groups.insert(
            ClientGroup::Delivery,
            [(DeliveryAddressFiling, Requirement::Required)]
                .into_iter()
                .collect(),
        );
        groups.insert(
            ClientGroup::DieselReseller,
            [(HazchemPermit, Requirement::Required)]
                .into_iter()
                .collect(),
        );
        Self {
            groups,
            expiring_days: default_expiring_days(),
        }
    }
}

impl RequirementMatrix {
    /// Checks an edited matrix: every group has a row with at least one required type,
    /// and `expiring_days` is within 1–365.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        for group in ClientGroup::ALL {
            let field = format!("groups.{}", group.code());
            match self.groups.get(group) {
                None => errors.push(FieldError::required(&field)),
                Some(row)
                    if matches!(
                        group,
                        ClientGroup::EndUser | ClientGroup::FillingStation | ClientGroup::Trader
                    ) && !row.values().any(|r| *r == Requirement::Required) =>
                {
                    errors.push(FieldError::invalid_value(
                        &field,
                        "a client category must require at least one document",
                        "每个客户类别至少需要一种必需证照",
                    ))
                }
                Some(_) => {}
            }
        }
        if !(1..=365).contains(&self.expiring_days) {
            errors.push(FieldError::out_of_range("expiring_days", 1.0, 365.0));
        }
        errors.into_result(())
    }

    /// What the matrix asks of a client in these groups: the strongest requirement per type.
    pub fn requirements_for(&self, groups: &[ClientGroup]) -> BTreeMap<DocumentType, Requirement> {
        let mut out: BTreeMap<DocumentType, Requirement> = BTreeMap::new();
        for group in groups {
            if let Some(row) = self.groups.get(group) {
                for (doc_type, requirement) in row {
                    let entry = out.entry(*doc_type).or_insert(*requirement);
                    if *requirement == Requirement::Required {
                        *entry = Requirement::Required;
                    }
                }
            }
        }
        out
    }
}

/// A stored version of a rule set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequirementMatrixVersion {
    /// Version number, from 1 (1 is the built-in default).
    pub version: i32,
    /// The matrix.
    pub matrix: RequirementMatrix,
    /// Who saved it (`None` for the built-in default).
    pub created_by: Option<Uuid>,
    /// Their name.
    pub created_by_name: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The status of one approved-or-not document on a date.
pub fn document_status(
    review: ReviewState,
    valid_to: Option<NaiveDate>,
    today: NaiveDate,
    expiring_days: i64,
) -> DocumentStatus {
    match review {
        ReviewState::Pending => DocumentStatus::PendingReview,
        ReviewState::Rejected => DocumentStatus::Rejected,
        ReviewState::Approved => match valid_to {
            None => DocumentStatus::Valid,
            Some(to) if to < today => DocumentStatus::Expired,
            Some(to) if (to - today).num_days() <= expiring_days => DocumentStatus::Expiring,
            Some(_) => DocumentStatus::Valid,
        },
    }
}

/// What the archive rules need to know about one stored document version.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentFacts {
    /// Identifier.
    pub id: Uuid,
    /// Type.
    pub doc_type: DocumentType,
    /// Review decision.
    pub review: ReviewState,
    /// Valid to; `None` for long-term.
    pub valid_to: Option<NaiveDate>,
    /// Whether its business scope covers diesel (hazchem permits).
    pub covers_diesel: bool,
    /// Upload time: newer versions come later.
    pub uploaded_at: DateTime<Utc>,
}

/// One line of a client's archive: a document type, what the matrix asks, and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArchiveItem {
    /// Document type.
    pub doc_type: DocumentType,
    /// Required or optional for this client.
    pub requirement: Requirement,
    /// Where it stands.
    pub status: DocumentStatus,
    /// The document that decides the status, if any.
    pub document_id: Option<Uuid>,
    /// Its valid-to (`None` for long-term or missing).
    pub valid_to: Option<NaiveDate>,
    /// A newer version awaits review.
    pub pending_document_id: Option<Uuid>,
    /// Why an approved document does not count (e.g. a hazchem scope without diesel).
    pub problem: Option<ArchiveProblem>,
}

labelled_enum! {
    /// Why a present document still leaves the requirement unmet.
    ArchiveProblem {
        ScopeLacksDiesel => "scope_lacks_diesel", "经营范围未含柴油", "Scope does not cover diesel";
    }
}

/// A client's archive: every applicable type and whether the required ones are all there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArchiveStatus {
    /// Complete when every required type has a `valid` or `expiring` document.
    pub complete: bool,
    /// Required types not satisfied.
    pub missing: Vec<DocumentType>,
    /// One line per applicable type, required first.
    pub items: Vec<ArchiveItem>,
    /// The requirement-matrix version used.
    pub requirements_version: i32,
}

/// Evaluates a client's archive on `today`.
///
/// Per type, the deciding document is the newest approved one that is valid or expiring
/// (and, for a diesel reseller's hazchem permit, covers diesel); failing that, a pending
/// version, then the newest approved (expired) one, then the newest rejected one.
pub fn evaluate_archive(
    groups: &[ClientGroup],
    documents: &[DocumentFacts],
    matrix: &RequirementMatrix,
    requirements_version: i32,
    today: NaiveDate,
) -> ArchiveStatus {
    let needs_diesel = groups.contains(&ClientGroup::DieselReseller);
    let requirements = matrix.requirements_for(groups);
    let mut items = Vec::with_capacity(requirements.len());
    for (doc_type, requirement) in &requirements {
        let mut versions: Vec<&DocumentFacts> = documents
            .iter()
            .filter(|d| d.doc_type == *doc_type)
            .collect();
        versions.sort_by_key(|d| std::cmp::Reverse((d.uploaded_at, d.id)));
        let status_of =
            |d: &DocumentFacts| document_status(d.review, d.valid_to, today, matrix.expiring_days);
        let scope_ok = |d: &DocumentFacts| {
            !(needs_diesel && *doc_type == DocumentType::HazchemPermit) || d.covers_diesel
        };
        let pending = versions
            .iter()
            .find(|d| d.review == ReviewState::Pending)
            .map(|d| d.id);
        let in_force = versions.iter().find(|d| {
            matches!(
                status_of(d),
                DocumentStatus::Valid | DocumentStatus::Expiring
            ) && scope_ok(d)
        });
        let item = if let Some(doc) = in_force {
            ArchiveItem {
                doc_type: *doc_type,
                requirement: *requirement,
                status: status_of(doc),
                document_id: Some(doc.id),
                valid_to: doc.valid_to,
                pending_document_id: pending,
                problem: None,
            }
        } else if let Some(id) = pending {
            let valid_to = versions
                .iter()
                .find(|d| d.id == id)
                .and_then(|d| d.valid_to);
            ArchiveItem {
                doc_type: *doc_type,
                requirement: *requirement,
                status: DocumentStatus::PendingReview,
                document_id: Some(id),
                valid_to,
                pending_document_id: Some(id),
                problem: None,
            }
        } else if let Some(doc) = versions.iter().find(|d| d.review == ReviewState::Approved) {
            let lacks_scope = !scope_ok(doc) && status_of(doc) != DocumentStatus::Expired;
            ArchiveItem {
                doc_type: *doc_type,
                requirement: *requirement,
                status: if lacks_scope {
                    DocumentStatus::Missing
                } else {
                    status_of(doc)
                },
                document_id: Some(doc.id),
                valid_to: doc.valid_to,
                pending_document_id: None,
                problem: lacks_scope.then_some(ArchiveProblem::ScopeLacksDiesel),
            }
        } else if let Some(doc) = versions.first() {
            ArchiveItem {
                doc_type: *doc_type,
                requirement: *requirement,
                status: DocumentStatus::Rejected,
                document_id: Some(doc.id),
                valid_to: doc.valid_to,
                pending_document_id: None,
                problem: None,
            }
        } else {
            ArchiveItem {
                doc_type: *doc_type,
                requirement: *requirement,
                status: DocumentStatus::Missing,
                document_id: None,
                valid_to: None,
                pending_document_id: None,
                problem: None,
            }
        };
        items.push(item);
    }
    items.sort_by_key(|i| (i.requirement != Requirement::Required, i.doc_type));
    let missing: Vec<DocumentType> = items
        .iter()
        .filter(|i| i.requirement == Requirement::Required)
        .filter(|i| !matches!(i.status, DocumentStatus::Valid | DocumentStatus::Expiring))
        .map(|i| i.doc_type)
        .collect();
    ArchiveStatus {
        complete: missing.is_empty(),
        missing,
        items,
        requirements_version,
    }
}

labelled_enum! {
    /// Reminder tiers of the expiry job: 60, 30 and 7 days before valid-to, and on expiry.
    ExpiryTier {
        Days60 => "days_60", "60天内到期", "Within 60 days";
        Days30 => "days_30", "30天内到期", "Within 30 days";
        Days7 => "days_7", "7天内到期", "Within 7 days";
        Expired => "expired", "已到期", "Expired";
    }
}

/// The tier of a valid-to on `today`; `None` while more than 60 days remain.
pub fn expiry_tier(valid_to: NaiveDate, today: NaiveDate) -> Option<ExpiryTier> {
    let days_left = (valid_to - today).num_days();
    match days_left {
        d if d <= 0 => Some(ExpiryTier::Expired),
        1..=7 => Some(ExpiryTier::Days7),
        8..=30 => Some(ExpiryTier::Days30),
        31..=60 => Some(ExpiryTier::Days60),
        _ => None,
    }
}

/// Who holds a renew-document task on `today`: always the account manager; the director from
/// 7 days after expiry; the leader from 30 days after.
pub fn renew_task_levels(valid_to: NaiveDate, today: NaiveDate) -> Vec<crate::task::AssigneeLevel> {
    use crate::task::AssigneeLevel;
    let days_past = (today - valid_to).num_days();
    let mut levels = vec![AssigneeLevel::AccountManager];
    if days_past >= 7 {
        levels.push(AssigneeLevel::Director);
    }
    if days_past >= 30 {
        levels.push(AssigneeLevel::Leader);
    }
    levels
}

/// The metadata of an upload: everything but the files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DocumentMeta {
    /// Type.
    pub doc_type: DocumentType,
    /// Number printed on the document (licence number, permit number…).
    #[serde(default)]
    pub number: String,
    /// Issuing authority.
    #[serde(default)]
    pub issuer: String,
    /// Valid from.
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    /// Valid to; leave empty and set `long_term` for documents without expiry.
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
    /// Long-term (长期有效): no valid-to.
    #[serde(default)]
    pub long_term: bool,
    /// Business scope text as printed (经营范围); decides diesel coverage of hazchem permits.
    #[serde(default)]
    pub business_scope: String,
}

impl DocumentMeta {
    /// Trims text fields.
    pub fn normalized(mut self) -> Self {
        self.number = self.number.trim().to_owned();
        self.issuer = self.issuer.trim().to_owned();
        self.business_scope = self.business_scope.trim().to_owned();
        self
    }

    /// Checks the fields: valid-to after valid-from, either a valid-to or long-term (for types
    /// that expire), and text lengths.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        check_optional_text(&mut errors, "number", &self.number, 64);
        check_optional_text(&mut errors, "issuer", &self.issuer, 200);
        check_optional_text(&mut errors, "business_scope", &self.business_scope, 2000);
        if self.long_term && self.valid_to.is_some() {
            errors.push(FieldError::invalid_value(
                "valid_to",
                "a long-term document has no valid-to date",
                "长期有效的证照不填有效期至",
            ));
        }
        if self.doc_type.can_expire() && !self.long_term && self.valid_to.is_none() {
            errors.push(FieldError::new(
                "valid_to",
                "required",
                "valid_to is required unless the document is long-term",
                "请填写有效期至，或勾选长期有效",
            ));
        }
        if let (Some(from), Some(to)) = (self.valid_from, self.valid_to) {
            if to < from {
                errors.push(FieldError::invalid_value(
                    "valid_to",
                    "valid_to is before valid_from",
                    "有效期至早于有效期起",
                ));
            }
        }
        errors.into_result(())
    }

    /// Whether the scope covers diesel.
    pub fn covers_diesel(&self) -> bool {
        scope_covers_diesel(&self.business_scope)
    }
}

/// One page (file) of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentFile {
    /// Identifier.
    pub id: Uuid,
    /// Page number, from 1.
    pub page: i32,
    /// `image/jpeg`, `image/png` or `application/pdf` (from the bytes, never the name).
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Whether a thumbnail exists (images only).
    pub has_thumbnail: bool,
}

/// A stored document version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Document {
    /// Identifier.
    pub id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// Client name, for lists.
    pub client_name: String,
    /// The metadata as uploaded.
    #[serde(flatten)]
    pub meta: DocumentMeta,
    /// Review decision.
    pub review: ReviewState,
    /// Reason given with a rejection (or a note with an approval).
    pub review_reason: Option<String>,
    /// Reviewer.
    pub reviewed_by_name: Option<String>,
    /// When reviewed.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Uploader.
    pub uploaded_by_name: String,
    /// When uploaded.
    pub uploaded_at: DateTime<Utc>,
    /// Status on the day asked.
    pub status: DocumentStatus,
    /// Whether the scope covers diesel (computed from `business_scope`).
    pub covers_diesel: bool,
    /// A newer version of the same type exists.
    pub superseded: bool,
    /// Pages.
    pub files: Vec<DocumentFile>,
}

/// A review decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewDocumentRequest {
    /// `approve` or `reject`.
    pub decision: ReviewDecision,
    /// Required when rejecting.
    #[serde(default)]
    pub reason: String,
}

labelled_enum! {
    /// A reviewer's decision.
    ReviewDecision {
        Approve => "approve", "通过", "Approve";
        Reject => "reject", "驳回", "Reject";
    }
}

impl ReviewDocumentRequest {
    /// A rejection needs a reason; reasons are at most 500 characters.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if self.decision == ReviewDecision::Reject && self.reason.trim().is_empty() {
            errors.push(FieldError::required("reason"));
        }
        check_optional_text(&mut errors, "reason", &self.reason, 500);
        errors.into_result(())
    }
}

/// Completeness of one org unit (its whole subtree).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitCompleteness {
    /// The unit.
    pub org_unit_id: Uuid,
    /// Its name.
    pub org_unit_name: String,
    /// Its level.
    pub level: crate::org::OrgLevel,
    /// Clients in scope under it.
    pub clients: u64,
    /// Of them, with a complete archive.
    pub complete: u64,
    /// complete / clients (1.0 when there are no clients).
    pub rate: f64,
    /// Clients missing each required type (type code → count).
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, u64>))]
    pub missing_by_type: BTreeMap<DocumentType, u64>,
    /// Clients with an expiring document, and with an expired one.
    pub expiring: u64,
    /// Clients with an expired required document.
    pub expired: u64,
}

/// Completeness of a unit and its children.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompletenessReport {
    /// The date evaluated.
    pub as_of: NaiveDate,
    /// The requirement-matrix version used.
    pub requirements_version: i32,
    /// The unit asked for (or the caller's scope root).
    pub total: UnitCompleteness,
    /// Its child units, worst rate first.
    pub children: Vec<UnitCompleteness>,
}

/// A client whose archive is incomplete, with what is missing (the drill-down).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncompleteClient {
    /// Client.
    pub client_id: Uuid,
    /// Name.
    pub client_name: String,
    /// Category.
    pub category: ClientCategory,
    /// Unit name.
    pub org_unit_name: String,
    /// Account manager.
    pub account_manager_name: String,
    /// Required items not satisfied, with their status.
    pub items: Vec<ArchiveItem>,
}

/// A row of the hazchem compliance screening.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HazchemRow {
    /// Client.
    pub client_id: Uuid,
    /// Name.
    pub client_name: String,
    /// Category.
    pub category: ClientCategory,
    /// Unit.
    pub org_unit_name: String,
    /// Account manager.
    pub account_manager_id: Uuid,
    /// Their name.
    pub account_manager_name: String,
    /// Diesel bought in the trailing 12 months, tonnes.
    pub diesel_tonnes_12m: f64,
    /// Status of its hazchem permit item (missing, expired, rejected, pending, or scope problem).
    pub permit: ArchiveItem,
    /// An open visit task for this screening exists.
    pub open_task_id: Option<Uuid>,
}

/// Dispatch visit tasks for the screening's clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HazchemDispatchRequest {
    /// The clients to dispatch for; empty means every client on the list in the caller's scope.
    #[serde(default)]
    pub client_ids: Vec<Uuid>,
    /// Due date of the visits (default: 14 days from today).
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
}

/// What a dispatch did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DispatchResult {
    /// Tasks created.
    pub created: u64,
    /// Clients skipped because a task was already open.
    pub already_open: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn doc(
        doc_type: DocumentType,
        review: ReviewState,
        valid_to: Option<NaiveDate>,
        n: u32,
    ) -> DocumentFacts {
        DocumentFacts {
            id: Uuid::from_u128(n as u128),
            doc_type,
            review,
            valid_to,
            covers_diesel: false,
            uploaded_at: Utc
                .with_ymd_and_hms(2026, 1, n.max(1), 0, 0, 0)
                .single()
                .unwrap_or_default(),
        }
    }

    #[test]
    fn hazchem_scope_without_diesel_does_not_cover_it() {
        assert!(!scope_covers_diesel("成品油批发（不含危化品）"));
        assert!(!scope_covers_diesel("成品油批发(不含危险化学品)"));
        assert!(!scope_covers_diesel("汽油、煤油（不含柴油）"));
        assert!(!scope_covers_diesel("润滑油零售；不含柴油"));
        assert!(scope_covers_diesel(
            "危险化学品经营：汽油、柴油[闭杯闪点≤60℃]"
        ));
        assert!(scope_covers_diesel("柴油（闭杯闪点≤60℃）批发"));
        assert!(scope_covers_diesel("Diesel wholesale"));
        assert!(!scope_covers_diesel(""));
    }

    #[test]
    fn status_follows_review_and_dates() {
        let today = day(2026, 11, 23);
        assert_eq!(
            document_status(ReviewState::Pending, None, today, 30),
            DocumentStatus::PendingReview
        );
        assert_eq!(
            document_status(ReviewState::Rejected, None, today, 30),
            DocumentStatus::Rejected
        );
        assert_eq!(
            document_status(ReviewState::Approved, None, today, 30),
            DocumentStatus::Valid
        );
        assert_eq!(
            document_status(ReviewState::Approved, Some(day(2026, 11, 22)), today, 30),
            DocumentStatus::Expired
        );
        assert_eq!(
            document_status(ReviewState::Approved, Some(today), today, 30),
            DocumentStatus::Expiring
        );
        assert_eq!(
            document_status(ReviewState::Approved, Some(day(2026, 12, 23)), today, 30),
            DocumentStatus::Expiring
        );
        assert_eq!(
            document_status(ReviewState::Approved, Some(day(2026, 12, 24)), today, 30),
            DocumentStatus::Valid
        );
    }

    #[test]
    fn end_user_with_the_three_base_documents_is_complete() {
        let today = day(2026, 11, 23);
        let docs = [
            doc(
                DocumentType::BusinessLicence,
                ReviewState::Approved,
                None,
                1,
            ),
            doc(
                DocumentType::AuthorisationLetter,
                ReviewState::Approved,
                Some(day(2027, 6, 1)),
                2,
            ),
            doc(DocumentType::LetterToClient, ReviewState::Approved, None, 3),
        ];
        let groups = client_groups(ClientCategory::EndUser, false, true);
        let status = evaluate_archive(&groups, &docs, &RequirementMatrix::default(), 1, today);
        assert!(status.complete, "{status:?}");
        // Delivery address filing is optional for end users and shown after the required ones.
        assert_eq!(
            status.items.last().map(|i| i.requirement),
            Some(Requirement::Optional)
        );
    }

    #[test]
    fn diesel_reseller_needs_a_hazchem_permit_covering_diesel() {
        let today = day(2026, 11, 23);
        let mut permit = doc(
            DocumentType::HazchemPermit,
            ReviewState::Approved,
            Some(day(2028, 1, 1)),
            4,
        );
        let mut docs = vec![
            doc(
                DocumentType::BusinessLicence,
                ReviewState::Approved,
                None,
                1,
            ),
            doc(
                DocumentType::AuthorisationLetter,
                ReviewState::Approved,
                Some(day(2027, 6, 1)),
                2,
            ),
            doc(DocumentType::LetterToClient, ReviewState::Approved, None, 3),
            permit.clone(),
        ];
        let groups = client_groups(ClientCategory::Trader, false, true);
        let status = evaluate_archive(&groups, &docs, &RequirementMatrix::default(), 1, today);
        assert_eq!(status.missing, vec![DocumentType::HazchemPermit]);
        let item = status
            .items
            .iter()
            .find(|i| i.doc_type == DocumentType::HazchemPermit);
        assert_eq!(
            item.and_then(|i| i.problem),
            Some(ArchiveProblem::ScopeLacksDiesel)
        );

        permit.covers_diesel = true;
        docs[3] = permit;
        let status = evaluate_archive(&groups, &docs, &RequirementMatrix::default(), 1, today);
        assert!(status.complete);
        // A trader that sells no diesel needs the permit but not its diesel scope.
        docs[3].covers_diesel = false;
        let groups = client_groups(ClientCategory::Trader, false, false);
        assert!(evaluate_archive(&groups, &docs, &RequirementMatrix::default(), 1, today).complete);
    }

    #[test]
    fn a_pending_renewal_does_not_hide_the_document_still_in_force() {
        let today = day(2026, 11, 23);
        let docs = [
            doc(
                DocumentType::AuthorisationLetter,
                ReviewState::Approved,
                Some(day(2026, 12, 1)),
                1,
            ),
            doc(
                DocumentType::AuthorisationLetter,
                ReviewState::Pending,
                Some(day(2027, 12, 1)),
                2,
            ),
        ];
        let status = evaluate_archive(
            &[ClientGroup::EndUser],
            &docs,
            &RequirementMatrix::default(),
            1,
            today,
        );
        let item = status
            .items
            .iter()
            .find(|i| i.doc_type == DocumentType::AuthorisationLetter);
        assert_eq!(item.map(|i| i.status), Some(DocumentStatus::Expiring));
        assert_eq!(
            item.and_then(|i| i.pending_document_id),
            Some(Uuid::from_u128(2))
        );
    }

    #[test]
    fn expired_and_missing_make_an_archive_incomplete() {
        let today = day(2026, 11, 23);
        let docs = [doc(
            DocumentType::BusinessLicence,
            ReviewState::Approved,
            Some(day(2026, 1, 1)),
            1,
        )];
        let status = evaluate_archive(
            &[ClientGroup::EndUser],
            &docs,
            &RequirementMatrix::default(),
            1,
            today,
        );
        assert!(!status.complete);
        assert_eq!(
            status.missing,
            vec![
                DocumentType::BusinessLicence,
                DocumentType::AuthorisationLetter,
                DocumentType::LetterToClient
            ]
        );
        assert_eq!(status.items[0].status, DocumentStatus::Expired);
    }

    #[test]
    fn expiry_tiers_and_escalation_follow_the_calendar() {
        let to = day(2026, 12, 31);
        assert_eq!(expiry_tier(to, day(2026, 10, 31)), None);
        assert_eq!(expiry_tier(to, day(2026, 11, 1)), Some(ExpiryTier::Days60));
        assert_eq!(expiry_tier(to, day(2026, 12, 1)), Some(ExpiryTier::Days30));
        assert_eq!(expiry_tier(to, day(2026, 12, 24)), Some(ExpiryTier::Days7));
        assert_eq!(expiry_tier(to, to), Some(ExpiryTier::Expired));
        use crate::task::AssigneeLevel::*;
        assert_eq!(renew_task_levels(to, day(2027, 1, 6)), vec![AccountManager]);
        assert_eq!(
            renew_task_levels(to, day(2027, 1, 7)),
            vec![AccountManager, Director]
        );
        assert_eq!(
            renew_task_levels(to, day(2027, 1, 30)),
            vec![AccountManager, Director, Leader]
        );
    }

    #[test]
    fn document_meta_rejects_valid_to_before_valid_from() {
        let meta = DocumentMeta {
            doc_type: DocumentType::BusinessLicence,
            number: "X".into(),
            issuer: String::new(),
            valid_from: Some(day(2026, 5, 1)),
            valid_to: Some(day(2026, 4, 1)),
            long_term: false,
            business_scope: String::new(),
        };
        let errors = meta.validate().err().unwrap_or_default();
        assert_eq!(errors.0.len(), 1);
        assert_eq!(errors.0[0].field, "valid_to");
        let letter = DocumentMeta {
            doc_type: DocumentType::LetterToClient,
            valid_from: None,
            valid_to: None,
            ..meta
        };
        assert!(letter.validate().is_ok());
    }

    #[test]
    fn default_matrix_is_valid_and_round_trips_as_json() {
        let matrix = RequirementMatrix::default();
        assert!(matrix.validate().is_ok());
        let json = serde_json::to_string(&matrix).unwrap_or_default();
        assert!(
            json.contains("\"diesel_reseller\":{\"hazchem_permit\":\"required\"}"),
            "{json}"
        );
        let back: RequirementMatrix =
            serde_json::from_str(&json).unwrap_or_else(|_| RequirementMatrix {
                groups: BTreeMap::new(),
                expiring_days: 0,
            });
        assert_eq!(back, matrix);
    }
}

/// Content types accepted for document pages.
pub const ACCEPTED_CONTENT_TYPES: [&str; 3] = ["image/jpeg", "image/png", "application/pdf"];

/// The content type of an upload, judged by its bytes only (never by its name).
///
/// JPEG and PNG by their signatures; PDF by its `%PDF-` header and an `%%EOF` marker in the
/// last kilobyte, so a truncated upload or a renamed file is refused.
pub fn sniff_content_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some("image/png");
    }
    if bytes.starts_with(b"%PDF-") {
        let tail = &bytes[bytes.len().saturating_sub(1024)..];
        if tail.windows(5).any(|w| w == b"%%EOF") {
            return Some("application/pdf");
        }
    }
    None
}

/// The file extension stored for a sniffed content type.
pub fn extension_for(content_type: &str) -> &'static str {
    match content_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "application/pdf" => "pdf",
        _ => "bin",
    }
}

/// Everything about a client on one card (the archive card, 客户档案卡).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArchiveCard {
    /// The date the statuses are evaluated on.
    pub as_of: NaiveDate,
    /// Master data (demand preference, facilities, purchase channels are in it).
    pub client: crate::client::Client,
    /// Grade by trailing-12-month volume.
    pub grade: crate::grading::Grade,
    /// Trailing-12-month volume, tonnes.
    pub tonnes_12m: f64,
    /// Orders in the trailing 12 months.
    pub orders_12m: i64,
    /// Latest order.
    pub last_order_date: Option<NaiveDate>,
    /// Archive status by type.
    pub archive: ArchiveStatus,
    /// The current version of each document type on file.
    pub documents: Vec<Document>,
    /// Open tasks for the client.
    pub open_tasks: Vec<crate::task::Task>,
}

#[cfg(test)]
mod sniff_tests {
    use super::*;

    #[test]
    fn content_type_comes_from_the_bytes() {
        assert_eq!(
            sniff_content_type(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            Some("image/jpeg")
        );
        assert_eq!(
            sniff_content_type(b"\x89PNG\r\n\x1a\nrest"),
            Some("image/png")
        );
        assert_eq!(
            sniff_content_type(b"%PDF-1.7\n1 0 obj\n%%EOF\n"),
            Some("application/pdf")
        );
        assert_eq!(sniff_content_type(b"%PDF-1.7 but cut off"), None);
        assert_eq!(
            sniff_content_type(b"MZ\x90\x00 an exe named scan.jpg"),
            None
        );
        assert_eq!(sniff_content_type(b""), None);
    }
}

/// What the archive rules need to know about one client: who it is, its groups' inputs and
/// its document versions. The store loads these in pages; the rules evaluate them.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientArchiveFacts {
    /// Client.
    pub client_id: Uuid,
    /// Name.
    pub client_name: String,
    /// USCC.
    pub uscc: String,
    /// Category.
    pub category: ClientCategory,
    /// County-level unit.
    pub org_unit_id: Uuid,
    /// Its name.
    pub org_unit_name: String,
    /// Account manager.
    pub account_manager_id: Uuid,
    /// Their name.
    pub account_manager_name: String,
    /// Fuel is delivered to it.
    pub delivery: bool,
    /// Diesel bought in the trailing 12 months, kilograms.
    pub diesel_kg_12m: i64,
    /// Diesel is in its stated demand.
    pub demands_diesel: bool,
    /// Every stored document version.
    pub documents: Vec<DocumentFacts>,
}

impl ClientArchiveFacts {
    /// It buys diesel: by its orders of the last 12 months or, failing any, its stated demand.
    pub fn buys_diesel(&self) -> bool {
        self.diesel_kg_12m > 0 || self.demands_diesel
    }

    /// The requirement-matrix groups it belongs to.
    pub fn groups(&self) -> Vec<ClientGroup> {
        client_groups(self.category, self.delivery, self.buys_diesel())
    }

    /// Its archive on `today`.
    pub fn evaluate(
        &self,
        matrix: &RequirementMatrix,
        version: i32,
        today: NaiveDate,
    ) -> ArchiveStatus {
        evaluate_archive(&self.groups(), &self.documents, matrix, version, today)
    }

    /// On the hazchem screening list: buys diesel for resale and its hazchem permit is not
    /// valid (or expiring) with a scope that covers diesel.
    pub fn lacks_hazchem_permit(&self, status: &ArchiveStatus) -> bool {
        buys_diesel_for_resale(self.category, self.buys_diesel())
            && status
                .items
                .iter()
                .find(|i| i.doc_type == DocumentType::HazchemPermit)
                .is_none_or(|i| {
                    !matches!(i.status, DocumentStatus::Valid | DocumentStatus::Expiring)
                })
    }
}

/// A client's documents with its archive status (the documents tab).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientDocuments {
    /// Archive status by type.
    pub archive: ArchiveStatus,
    /// Every version, newest first.
    pub documents: Vec<Document>,
}

/// One page of documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentPage {
    /// Rows.
    pub items: Vec<Document>,
    /// Matching rows over all pages.
    pub total: u64,
    /// Page from 1.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
}

/// Largest number of pages in one document.
pub const MAX_PAGES: usize = 20;

/// Tallies evaluated archives into the completeness of `root` and of each of its children.
///
/// `units` are (id, parent, name, level) of the whole tree; `archives` pair each client's
/// county unit with its status. A client counts for every unit above it.
pub fn completeness_report(
    root: Uuid,
    units: &[(Uuid, Option<Uuid>, String, crate::org::OrgLevel)],
    archives: &[(Uuid, ArchiveStatus)],
    as_of: NaiveDate,
    requirements_version: i32,
) -> Option<CompletenessReport> {
    let parent: std::collections::HashMap<Uuid, Option<Uuid>> =
        units.iter().map(|(id, p, _, _)| (*id, *p)).collect();
    let root_unit = units.iter().find(|u| u.0 == root)?;
    let empty = |u: &(Uuid, Option<Uuid>, String, crate::org::OrgLevel)| UnitCompleteness {
        org_unit_id: u.0,
        org_unit_name: u.2.clone(),
        level: u.3,
        clients: 0,
        complete: 0,
        rate: 1.0,
        missing_by_type: BTreeMap::new(),
        expiring: 0,
        expired: 0,
    };
    let mut total = empty(root_unit);
    let mut children: Vec<UnitCompleteness> = units
        .iter()
        .filter(|u| u.1 == Some(root))
        .map(empty)
        .collect();
    let child_index: std::collections::HashMap<Uuid, usize> = children
        .iter()
        .enumerate()
        .map(|(i, c)| (c.org_unit_id, i))
        .collect();
    let add = |tally: &mut UnitCompleteness, status: &ArchiveStatus| {
        tally.clients += 1;
        if status.complete {
            tally.complete += 1;
        }
        for missing in &status.missing {
            *tally.missing_by_type.entry(*missing).or_insert(0) += 1;
        }
        let required = status
            .items
            .iter()
            .filter(|i| i.requirement == Requirement::Required);
        let statuses: Vec<DocumentStatus> = required.map(|i| i.status).collect();
        if statuses.contains(&DocumentStatus::Expiring) {
            tally.expiring += 1;
        }
        if statuses.contains(&DocumentStatus::Expired) {
            tally.expired += 1;
        }
    };
    for (unit, status) in archives {
        // Walk up from the client's unit: it counts for the root and for the root's child
        // that contains it.
        let mut at = Some(*unit);
        let mut under_root = false;
        let mut child = None;
        while let Some(u) = at {
            if u == root {
                under_root = true;
                break;
            }
            if child_index.contains_key(&u) {
                child = Some(u);
            }
            at = parent.get(&u).copied().flatten();
        }
        if !under_root {
            continue;
        }
        add(&mut total, status);
        if let Some(i) = child.and_then(|c| child_index.get(&c)) {
            add(&mut children[*i], status);
        }
    }
    let finish = |t: &mut UnitCompleteness| {
        t.rate = if t.clients == 0 {
            1.0
        } else {
            t.complete as f64 / t.clients as f64
        };
    };
    finish(&mut total);
    children.iter_mut().for_each(finish);
    children.sort_by(|a, b| {
        a.rate
            .total_cmp(&b.rate)
            .then_with(|| a.org_unit_name.cmp(&b.org_unit_name))
    });
    Some(CompletenessReport {
        as_of,
        requirements_version,
        total,
        children,
    })
}

/// One page of incomplete archives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncompletePage {
    /// Rows.
    pub items: Vec<IncompleteClient>,
    /// Matching rows over all pages.
    pub total: u64,
    /// Page from 1.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
}

/// One page of the hazchem screening.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HazchemPage {
    /// Rows, most diesel first.
    pub items: Vec<HazchemRow>,
    /// Matching rows over all pages.
    pub total: u64,
    /// Page from 1.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
}

/// The requirement matrix in force and its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequirementMatrixHistory {
    /// The version in force.
    pub current: RequirementMatrixVersion,
    /// Every version, newest first.
    pub versions: Vec<RequirementMatrixVersion>,
}

#[cfg(test)]
mod completeness_tests {
    use super::*;
    use crate::org::OrgLevel;

    fn status(complete: bool, missing: Vec<DocumentType>) -> ArchiveStatus {
        ArchiveStatus {
            complete,
            missing,
            items: Vec::new(),
            requirements_version: 1,
        }
    }

    #[test]
    fn clients_count_for_the_root_and_the_child_above_them() {
        let (p, c1, c2, k1, k2) = (
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            Uuid::from_u128(3),
            Uuid::from_u128(4),
            Uuid::from_u128(5),
        );
        let units = vec![
            (p, None, "省".to_owned(), OrgLevel::Province),
            (c1, Some(p), "甲市".to_owned(), OrgLevel::City),
            (c2, Some(p), "乙市".to_owned(), OrgLevel::City),
            (k1, Some(c1), "甲县".to_owned(), OrgLevel::County),
            (k2, Some(c2), "乙县".to_owned(), OrgLevel::County),
        ];
        let archives = vec![
            (k1, status(true, vec![])),
            (k1, status(false, vec![DocumentType::AuthorisationLetter])),
            (k2, status(true, vec![])),
        ];
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default();
        let report =
            completeness_report(p, &units, &archives, day, 1).unwrap_or_else(|| panic!("report"));
        assert_eq!((report.total.clients, report.total.complete), (3, 2));
        assert_eq!(report.children[0].org_unit_name, "甲市", "worst rate first");
        assert_eq!(report.children[0].rate, 0.5);
        assert_eq!(
            report.children[0]
                .missing_by_type
                .get(&DocumentType::AuthorisationLetter),
            Some(&1)
        );
        let county =
            completeness_report(k2, &units, &archives, day, 1).unwrap_or_else(|| panic!("report"));
        assert_eq!(county.total.clients, 1);
        assert!(county.children.is_empty());
    }
}
