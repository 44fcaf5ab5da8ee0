//! The organisation tree and the people in it.

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
