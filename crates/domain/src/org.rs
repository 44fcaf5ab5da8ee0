//! The organisation tree and the people in it.

use crate::validation::check_text;
use crate::{FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

labelled_enum! {
    /// Level of an org unit: province → city → county.
    OrgLevel {
        Province => "province", "省公司", "Province";
        City => "city", "市分公司", "City";
        County => "county", "县（区）营销单元", "County";
    }
}

labelled_enum! {
    /// What a user may do; data scope follows the org tree.
    Role {
        Admin => "admin", "系统管理员", "Administrator";
        Leader => "leader", "分管领导", "Leader";
        Director => "director", "主任", "Director";
        AccountManager => "account_manager", "客户经理", "Account manager";
        Viewer => "viewer", "只读用户", "Viewer";
    }
}

/// A unit of the organisation tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgUnit {
    /// Identifier.
    pub id: Uuid,
    /// Parent unit; `null` for the province.
    pub parent_id: Option<Uuid>,
    /// Province, city or county.
    pub level: OrgLevel,
    /// Name, e.g. 长沙市 or 浏阳市.
    pub name: String,
    /// Administrative division code (GB/T 2260), e.g. 430181.
    pub code: String,
    /// Base position (WGS-84) of the unit's office, where visit routes start.
    pub base_lat: Option<f64>,
    /// Base longitude.
    pub base_lon: Option<f64>,
}

impl Role {
    /// Whether the role may see clients' contact phones (viewers see them masked).
    pub fn sees_contact_details(self) -> bool {
        !matches!(self, Role::Viewer)
    }
}

/// The signed-in user as the API reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserInfo {
    /// Identifier.
    pub id: Uuid,
    /// Sign-in name.
    pub username: String,
    /// Name shown to people.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// The unit the user belongs to.
    pub org_unit_id: Uuid,
    /// That unit's name.
    pub org_unit_name: String,
}

/// A person as administrators see them (the user list and user administration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRecord {
    /// Identifier.
    pub id: Uuid,
    /// Sign-in name.
    pub username: String,
    /// Name shown to people.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// The unit the user belongs to.
    pub org_unit_id: Uuid,
    /// That unit's name.
    pub org_unit_name: String,
    /// HR employee id (single sign-on maps on it); `null` when not known.
    pub employee_id: Option<String>,
    /// E-mail (single sign-on maps on it when there is no employee id).
    pub email: Option<String>,
    /// Mobile phone (masked for roles that may not see contact details).
    pub phone: Option<String>,
    /// Deactivated users cannot sign in; they are kept because they own history.
    pub active: bool,
    /// Whether the user can sign in with a password (SSO-only users cannot).
    pub has_password: bool,
    /// Clients this user owns now.
    pub client_count: u64,
}

/// Create an org unit (administrators).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewOrgUnit {
    /// Parent unit: the province for a city, a city for a county. `null` only for a province
    /// (and there is one province).
    pub parent_id: Option<Uuid>,
    /// Province, city or county; must be one level below the parent.
    pub level: OrgLevel,
    /// Name, unique among its siblings.
    pub name: String,
    /// Administrative division code (6 digits, GB/T 2260), unique.
    pub code: String,
    /// Base latitude (WGS-84).
    #[serde(default)]
    pub base_lat: Option<f64>,
    /// Base longitude (WGS-84).
    #[serde(default)]
    pub base_lon: Option<f64>,
}

/// Change an org unit; absent fields stay as they are. Setting `parent_id` moves the unit with
/// everything below it (never under itself or its own descendants).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateOrgUnit {
    /// New parent.
    #[serde(default)]
    pub parent_id: Option<Uuid>,
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New division code.
    #[serde(default)]
    pub code: Option<String>,
    /// New base latitude.
    #[serde(default)]
    pub base_lat: Option<f64>,
    /// New base longitude.
    #[serde(default)]
    pub base_lon: Option<f64>,
}

/// Create a user (administrators).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Sign-in name: 3–64 characters of letters, digits, `.`, `_`, `-`; unique.
    pub username: String,
    /// Name shown to people.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Unit.
    pub org_unit_id: Uuid,
    /// Initial password (password policy applies); omit for SSO-only users.
    #[serde(default)]
    pub password: Option<String>,
    /// HR employee id, unique.
    #[serde(default)]
    pub employee_id: Option<String>,
    /// E-mail, unique.
    #[serde(default)]
    pub email: Option<String>,
    /// Mobile phone (11 digits).
    #[serde(default)]
    pub phone: Option<String>,
}

/// Change a user; absent fields stay. `active: false` deactivates (signs them out everywhere);
/// a user who still owns clients must have them reassigned first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// New display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// New role.
    #[serde(default)]
    pub role: Option<Role>,
    /// New unit.
    #[serde(default)]
    pub org_unit_id: Option<Uuid>,
    /// New employee id.
    #[serde(default)]
    pub employee_id: Option<String>,
    /// New e-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// New phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Activate or deactivate.
    #[serde(default)]
    pub active: Option<bool>,
    /// Set a new password (administrator reset; policy applies; the user's sessions end).
    #[serde(default)]
    pub password: Option<String>,
}

/// Hand every client of one account manager to another, in one action.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReassignClients {
    /// The account manager who takes the clients over (active, role account manager).
    pub to_user_id: Uuid,
}

/// What a reassignment did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReassignResult {
    /// How many clients changed hands.
    pub moved: u64,
    /// From when the new owner is responsible.
    pub effective_from: chrono::DateTime<chrono::Utc>,
}

/// One period of a client's ownership: who was the account manager from when until when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnershipPeriod {
    /// The account manager.
    pub account_manager_id: Uuid,
    /// Their name.
    pub account_manager_name: String,
    /// From (inclusive).
    pub valid_from: chrono::DateTime<chrono::Utc>,
    /// Until (exclusive); `null` for the current owner.
    pub valid_to: Option<chrono::DateTime<chrono::Utc>>,
}

impl OrgLevel {
    /// The level a unit of this level hangs under (`None` for the province, the root).
    pub fn parent_level(self) -> Option<OrgLevel> {
        match self {
            OrgLevel::Province => None,
            OrgLevel::City => Some(OrgLevel::Province),
            OrgLevel::County => Some(OrgLevel::City),
        }
    }
}

/// Longest org-unit name.
pub const MAX_UNIT_NAME: usize = 50;
/// Longest display name.
pub const MAX_DISPLAY_NAME: usize = 100;
/// Longest employee id.
pub const MAX_EMPLOYEE_ID: usize = 64;
/// Longest e-mail.
pub const MAX_EMAIL: usize = 255;

fn trimmed_opt(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Checks a unit's own fields: name, 6-digit division code, base position (both or neither).
fn check_unit_fields(
    errors: &mut ValidationErrors,
    name: Option<&str>,
    code: Option<&str>,
    lat: Option<f64>,
    lon: Option<f64>,
) {
    if let Some(name) = name {
        check_text(errors, "name", name, MAX_UNIT_NAME);
    }
    if let Some(code) = code {
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            errors.push(FieldError::invalid_value(
                "code",
                "must be a 6-digit administrative division code",
                "须为 6 位行政区划代码",
            ));
        }
    }
    if let Some(lat) = lat {
        if !(-90.0..=90.0).contains(&lat) {
            errors.push(FieldError::out_of_range("base_lat", -90.0, 90.0));
        }
    }
    if let Some(lon) = lon {
        if !(-180.0..=180.0).contains(&lon) {
            errors.push(FieldError::out_of_range("base_lon", -180.0, 180.0));
        }
    }
}

impl NewOrgUnit {
    /// Trimmed copy.
    pub fn normalized(mut self) -> Self {
        self.name = self.name.trim().to_owned();
        self.code = self.code.trim().to_owned();
        self
    }

    /// The field rules that need no database.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        check_unit_fields(
            &mut errors,
            Some(&self.name),
            Some(&self.code),
            self.base_lat,
            self.base_lon,
        );
        if self.base_lat.is_some() != self.base_lon.is_some() {
            errors.push(FieldError::invalid_value(
                "base_lon",
                "give both latitude and longitude, or neither",
                "经纬度须同时填写或同时留空",
            ));
        }
        if self.level == OrgLevel::Province {
            errors.push(FieldError::invalid_value(
                "level",
                "there is one province; add cities and counties under it",
                "省公司只有一个，只能在其下新建市、县单元",
            ));
        } else if self.parent_id.is_none() {
            errors.push(FieldError::required("parent_id"));
        }
        errors.into_result(())
    }
}

impl UpdateOrgUnit {
    /// Trimmed copy.
    pub fn normalized(mut self) -> Self {
        self.name = self.name.map(|n| n.trim().to_owned());
        self.code = self.code.map(|c| c.trim().to_owned());
        self
    }

    /// The field rules that need no database.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        check_unit_fields(
            &mut errors,
            self.name.as_deref(),
            self.code.as_deref(),
            self.base_lat,
            self.base_lon,
        );
        errors.into_result(())
    }

    /// `unit` with these changes.
    pub fn apply(&self, mut unit: OrgUnit) -> OrgUnit {
        if let Some(parent) = self.parent_id {
            unit.parent_id = Some(parent);
        }
        if let Some(name) = &self.name {
            unit.name = name.clone();
        }
        if let Some(code) = &self.code {
            unit.code = code.clone();
        }
        if self.base_lat.is_some() {
            unit.base_lat = self.base_lat;
        }
        if self.base_lon.is_some() {
            unit.base_lon = self.base_lon;
        }
        unit
    }
}

/// Whether `unit` may hang under `parent` (given as (id, level)) in `tree`: one level below it,
/// and never under itself or one of its own descendants. The error names `parent_id`.
pub fn check_placement(
    unit_id: Uuid,
    level: OrgLevel,
    parent: Option<(Uuid, OrgLevel)>,
    tree: &[(Uuid, Option<Uuid>)],
) -> Result<(), FieldError> {
    match (level.parent_level(), parent) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(FieldError::invalid_value(
            "parent_id",
            "the province has no parent",
            "省公司没有上级单元",
        )),
        (Some(_), None) => Err(FieldError::required("parent_id")),
        (Some(_), Some((parent_id, _))) if subtree(tree, unit_id).contains(&parent_id) => {
            Err(FieldError::invalid_value(
                "parent_id",
                "a unit cannot move under itself or its own sub-units",
                "不能把单元移到它自己或其下级单元之下",
            ))
        }
        (Some(wanted), Some((_, actual))) if wanted != actual => Err(FieldError::invalid_value(
            "parent_id",
            &format!("a {} hangs under a {}", level.code(), wanted.code()),
            &format!("{}须隶属于{}", level.label_zh(), wanted.label_zh()),
        )),
        _ => Ok(()),
    }
}

fn check_username(errors: &mut ValidationErrors, username: &str) {
    let n = username.chars().count();
    if n == 0 {
        errors.push(FieldError::required("username"));
    } else if !(3..=64).contains(&n)
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        errors.push(FieldError::invalid_value(
            "username",
            "3–64 letters, digits, '.', '_' or '-'",
            "须为 3–64 位字母、数字或 . _ -",
        ));
    }
}

/// Checks the optional contact fields of a user.
fn check_user_contacts(
    errors: &mut ValidationErrors,
    employee_id: Option<&str>,
    email: Option<&str>,
    phone: Option<&str>,
) {
    if let Some(id) = employee_id {
        check_text(errors, "employee_id", id, MAX_EMPLOYEE_ID);
    }
    if let Some(email) = email {
        if email.chars().count() > MAX_EMAIL || !crate::validation::is_email(email) {
            errors.push(FieldError::invalid_value(
                "email",
                "not an e-mail address",
                "不是有效的电子邮箱地址",
            ));
        }
    }
    if let Some(phone) = phone {
        if !crate::client::is_valid_phone(phone) {
            errors.push(FieldError::invalid_value(
                "phone",
                "not a valid phone number",
                "不是有效的电话号码",
            ));
        }
    }
}

impl NewUser {
    /// Trimmed copy; e-mail in lower case; empty optional fields become absent.
    pub fn normalized(mut self) -> Self {
        self.username = self.username.trim().to_owned();
        self.display_name = self.display_name.trim().to_owned();
        self.employee_id = trimmed_opt(self.employee_id);
        self.email = trimmed_opt(self.email).map(|e| e.to_lowercase());
        self.phone = trimmed_opt(self.phone);
        self
    }

    /// The field rules that need no database (the password policy included).
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        check_username(&mut errors, &self.username);
        check_text(
            &mut errors,
            "display_name",
            &self.display_name,
            MAX_DISPLAY_NAME,
        );
        check_user_contacts(
            &mut errors,
            self.employee_id.as_deref(),
            self.email.as_deref(),
            self.phone.as_deref(),
        );
        if let Some(password) = &self.password {
            if let Err(policy) =
                crate::auth::check_password_policy_for("password", "密码", password, &self.username)
            {
                errors.0.extend(policy.0);
            }
        }
        errors.into_result(())
    }
}

impl UpdateUser {
    /// Trimmed copy; e-mail in lower case. An empty optional text clears the field (`Some("")`).
    pub fn normalized(mut self) -> Self {
        let trim = |v: Option<String>| v.map(|s| s.trim().to_owned());
        self.display_name = trim(self.display_name);
        self.employee_id = trim(self.employee_id);
        self.email = trim(self.email).map(|e| e.to_lowercase());
        self.phone = trim(self.phone);
        self
    }

    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.display_name.is_none()
            && self.role.is_none()
            && self.org_unit_id.is_none()
            && self.employee_id.is_none()
            && self.email.is_none()
            && self.phone.is_none()
            && self.active.is_none()
            && self.password.is_none()
    }

    /// The field rules that need no database; `username` is the user's, for the password policy.
    pub fn validate(&self, username: &str) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if let Some(name) = &self.display_name {
            check_text(&mut errors, "display_name", name, MAX_DISPLAY_NAME);
        }
        let non_empty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        check_user_contacts(
            &mut errors,
            non_empty(&self.employee_id).as_deref(),
            non_empty(&self.email).as_deref(),
            non_empty(&self.phone).as_deref(),
        );
        if let Some(password) = &self.password {
            if let Err(policy) =
                crate::auth::check_password_policy_for("password", "密码", password, username)
            {
                errors.0.extend(policy.0);
            }
        }
        errors.into_result(())
    }
}

/// Given every unit as (id, parent), the ids of `root` and all its descendants.
///
/// Works on any shape (stops at cycles) so a bad tree never hangs a request.
pub fn subtree(units: &[(Uuid, Option<Uuid>)], root: Uuid) -> Vec<Uuid> {
    let mut result = vec![root];
    let mut i = 0;
    while i < result.len() {
        let current = result[i];
        for (id, parent) in units {
            if *parent == Some(current) && !result.contains(id) {
                result.push(*id);
            }
        }
        i += 1;
    }
    result
}

/// Which clients a user may see (DESIGN §4 roles and data scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataScope {
    /// Everything (administrators).
    All,
    /// Clients of these org units (a leader's, director's or viewer's subtree).
    Units(Vec<Uuid>),
    /// Only the clients this account manager owns.
    Owner(Uuid),
}

impl DataScope {
    /// The scope of a user with `role` in `org_unit_id`, given the org tree as (id, parent).
    pub fn for_user(
        role: Role,
        user_id: Uuid,
        org_unit_id: Uuid,
        tree: &[(Uuid, Option<Uuid>)],
    ) -> Self {
        match role {
            Role::Admin => DataScope::All,
            Role::AccountManager => DataScope::Owner(user_id),
            Role::Leader | Role::Director | Role::Viewer => {
                DataScope::Units(subtree(tree, org_unit_id))
            }
        }
    }

    /// Whether a client of `org_unit_id` owned by `account_manager_id` is visible.
    pub fn permits(&self, org_unit_id: Uuid, account_manager_id: Uuid) -> bool {
        match self {
            DataScope::All => true,
            DataScope::Units(units) => units.contains(&org_unit_id),
            DataScope::Owner(owner) => *owner == account_manager_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtree_holds_the_root_and_every_descendant_only() {
        let p = Uuid::from_u128(1);
        let c1 = Uuid::from_u128(2);
        let c2 = Uuid::from_u128(3);
        let k1 = Uuid::from_u128(4);
        let units = [(p, None), (c1, Some(p)), (c2, Some(p)), (k1, Some(c1))];
        assert_eq!(subtree(&units, c1), vec![c1, k1]);
        assert_eq!(subtree(&units, p).len(), 4);
        assert_eq!(subtree(&units, k1), vec![k1]);
    }

    #[test]
    fn scope_follows_the_role() {
        let p = Uuid::from_u128(1);
        let c = Uuid::from_u128(2);
        let tree = [(p, None), (c, Some(p))];
        let me = Uuid::from_u128(9);
        assert_eq!(
            DataScope::for_user(Role::Admin, me, c, &tree),
            DataScope::All
        );
        assert_eq!(
            DataScope::for_user(Role::AccountManager, me, c, &tree),
            DataScope::Owner(me)
        );
        assert_eq!(
            DataScope::for_user(Role::Director, me, p, &tree),
            DataScope::Units(vec![p, c])
        );
    }

    #[test]
    fn roles_parse_from_their_codes() {
        assert_eq!(
            Role::from_code("account_manager"),
            Some(Role::AccountManager)
        );
        assert_eq!("boss".parse::<Role>().ok(), None);
    }
}
