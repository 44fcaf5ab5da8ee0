//! Client master data: list, read, create, update.

use crate::audit::insert_audit;
use crate::entity::{client_owners, clients, org_units, users};
use crate::sql::Sql;
use crate::{from_code, from_json, map_unique, to_json, Store, StoreError};
use chrono::{DateTime, Utc};
use domain::audit::AuditEntry;
use domain::client::{
    search_text, Client, ClientFields, ClientQuery, ClientSort, ClientSummary, Contact,
};
use domain::org::{DataScope, OwnershipPeriod};
use sea_orm::sea_query::{Alias, Expr, LikeExpr, Query, SelectStatement, UnionType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    JoinType, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    RelationTrait, Select, TransactionTrait,
};
use uuid::Uuid;

#[derive(Debug, FromQueryResult)]
struct SummaryRow {
    id: Uuid,
    uscc: String,
    name: String,
    category: String,
    industry: String,
    address: String,
    org_unit_id: Uuid,
    org_unit_name: String,
    account_manager_id: Uuid,
    account_manager_name: String,
    contacts: serde_json::Value,
    updated_at: DateTime<Utc>,
}

/// A LIKE pattern matching `text` anywhere, with its wildcards escaped.
pub(crate) fn like_pattern(text: &str) -> LikeExpr {
    LikeExpr::new(format!("%{}%", like_escape(text))).escape('\\')
}

/// Escapes `%`, `_` and the escape character itself for a LIKE pattern.
pub(crate) fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub(crate) fn scoped(
    mut select: Select<clients::Entity>,
    scope: &DataScope,
) -> Select<clients::Entity> {
    match scope {
        DataScope::All => {}
        DataScope::Units(units) => {
            select = select.filter(clients::Column::OrgUnitId.is_in(units.iter().copied()))
        }
        DataScope::Owner(owner) => {
            select = select.filter(clients::Column::AccountManagerId.eq(*owner))
        }
    }
    select
}

/// How many clients a list matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListTotal {
    /// The count, or the bound it was counted up to when not `exact`.
    pub total: u64,
    /// False when more than `total` match.
    pub exact: bool,
}

impl ListTotal {
    fn exact(total: u64) -> Self {
        ListTotal { total, exact: true }
    }
}

/// Unit lists up to this long are paged unit by unit (see [`Store::list_clients`]); a longer
/// one (a province's subtree) covers most clients, and the name index finds its page at once.
const MAX_UNITS_PAGED_APART: usize = 32;

/// The org units a list is confined to, when they are few and nothing narrower applies (an
/// account manager's own clients have their own index): the requested subtree within the
/// caller's units.
fn few_units(query: &ClientQuery, units: Option<&[Uuid]>, scope: &DataScope) -> Option<Vec<Uuid>> {
    if query.account_manager_id.is_some() {
        return None;
    }
    let within = match scope {
        DataScope::All => None,
        DataScope::Units(within) => Some(within.as_slice()),
        DataScope::Owner(_) => return None,
    };
    let units: Vec<Uuid> = match (units, within) {
        (Some(units), Some(within)) => units
            .iter()
            .filter(|u| within.contains(u))
            .copied()
            .collect(),
        (Some(units), None) => units.to_vec(),
        (None, Some(within)) => within.to_vec(),
        (None, None) => return None,
    };
    (!units.is_empty() && units.len() <= MAX_UNITS_PAGED_APART).then_some(units)
}

/// Two characters, neither ASCII nor a space: a search the index of character pairs answers
/// on PostgreSQL.
fn is_chinese_pair(text: &str) -> bool {
    let chinese = |c: char| !c.is_ascii() && !c.is_whitespace();
    let mut chars = text.chars();
    matches!(
        (chars.next(), chars.next(), chars.next()),
        (Some(a), Some(b), None) if chinese(a) && chinese(b)
    )
}

fn active_model(
    id: Uuid,
    f: &ClientFields,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
) -> clients::ActiveModel {
    clients::ActiveModel {
        id: Set(id),
        uscc: Set(f.uscc.clone()),
        name: Set(f.name.clone()),
        category: Set(f.category.code().to_owned()),
        industry: Set(f.industry.code().to_owned()),
        address: Set(f.address.clone()),
        lat: Set(f.location.map(|p| p.lat)),
        lon: Set(f.location.map(|p| p.lon)),
        org_unit_id: Set(f.org_unit_id),
        account_manager_id: Set(f.account_manager_id),
        contacts: Set(to_json(&f.contacts)),
        facilities: Set(to_json(&f.facilities)),
        purchase_channels: Set(to_json(&f.purchase_channels)),
        demand: Set(to_json(&f.demand)),
        delivery: Set(f.delivery),
        membership_card_no: Set(f.membership_card_no.clone()),
        online_ordering: Set(to_json(&f.online_ordering)),
        tags: Set(to_json(&f.tags)),
        search_text: Set(search_text(f)),
        created_at: Set(created_at),
        updated_at: Set(updated_at),
    }
}

pub(crate) fn to_fields(m: &clients::Model) -> Result<ClientFields, StoreError> {
    Ok(ClientFields {
        uscc: m.uscc.clone(),
        name: m.name.clone(),
        category: from_code(&m.category, "clients.category")?,
        industry: from_code(&m.industry, "clients.industry")?,
        address: m.address.clone(),
        location: match (m.lat, m.lon) {
            (Some(lat), Some(lon)) => Some(domain::geo::GeoPoint { lat, lon }),
            _ => None,
        },
        org_unit_id: m.org_unit_id,
        account_manager_id: m.account_manager_id,
        contacts: from_json(&m.contacts, "clients.contacts")?,
        facilities: from_json(&m.facilities, "clients.facilities")?,
        purchase_channels: from_json(&m.purchase_channels, "clients.purchase_channels")?,
        demand: from_json(&m.demand, "clients.demand")?,
        delivery: m.delivery,
        membership_card_no: m.membership_card_no.clone(),
        online_ordering: from_json(&m.online_ordering, "clients.online_ordering")?,
        tags: from_json(&m.tags, "clients.tags")?,
    })
}

pub(crate) fn client_active_model(
    id: Uuid,
    f: &ClientFields,
    created_at: DateTime<Utc>,
) -> clients::ActiveModel {
    active_model(id, f, created_at, created_at)
}

impl Store {
    /// One page of clients matching `query` within `scope`; `units` is the subtree of the
    /// requested org unit (already expanded), if any. Returns the rows and the total.
    ///
    /// The total of a text search is counted up to `count_up_to` and reported as that bound,
    /// not exact, beyond it: a common word matches tens of thousands of clients, and counting
    /// them all cost more than the page itself. Other totals are always exact (they come from
    /// `client_counts`, or from an account manager's own small index).
    pub async fn list_clients(
        &self,
        query: &ClientQuery,
        units: Option<&[Uuid]>,
        scope: &DataScope,
        count_up_to: u64,
    ) -> Result<(Vec<ClientSummary>, ListTotal), StoreError> {
        let mut select = scoped(clients::Entity::find(), scope);
        if let Some(units) = units {
            select = select.filter(clients::Column::OrgUnitId.is_in(units.iter().copied()));
        }
        if let Some(category) = query.category {
            select = select.filter(clients::Column::Category.eq(category.code()));
        }
        if let Some(industry) = query.industry {
            select = select.filter(clients::Column::Industry.eq(industry.code()));
        }
        if let Some(manager) = query.account_manager_id {
            select = select.filter(clients::Column::AccountManagerId.eq(manager));
        }
        if let Some(text) = query.search_text() {
            select = if is_chinese_pair(&text) && self.backend() == DbBackend::Postgres {
                // Two non-ASCII characters are next to each other in the text exactly when they
                // are an element of its character pairs, kept in a column with an index
                // (migrations `client_pair_search`, `client_pairs_column`); the trigram index
                // has nothing to look up in two characters. This condition replaces the LIKE:
                // with both, the planner would take them for independent and misjudge common
                // words. (`string_to_array`, not `ARRAY[…]`: sea-query reads brackets in a
                // custom expression as a quoted name and leaves the placeholder in them unbound.)
                select.filter(Expr::cust_with_exprs(
                    "$1 @> string_to_array($2, ' ')",
                    [
                        Expr::col((clients::Entity, Alias::new("search_pairs"))).into(),
                        Expr::val(text).into(),
                    ],
                ))
            } else {
                let column = Expr::col((clients::Entity, clients::Column::SearchText));
                select.filter(column.like(like_pattern(&text)))
            };
        }
        // The total and the page are read at the same time, on two connections: a common
        // word's bounded count takes as long as its page.
        let total = self.list_total(select.clone(), query, units, scope, count_up_to);
        let (column, ascending) = match query.sort.unwrap_or(ClientSort::Name) {
            ClientSort::Name => (clients::Column::Name, true),
            ClientSort::NameDesc => (clients::Column::Name, false),
            ClientSort::Uscc => (clients::Column::Uscc, true),
            ClientSort::UsccDesc => (clients::Column::Uscc, false),
            ClientSort::UpdatedAt => (clients::Column::UpdatedAt, true),
            ClientSort::UpdatedAtDesc => (clients::Column::UpdatedAt, false),
            ClientSort::CreatedAt => (clients::Column::CreatedAt, true),
            ClientSort::CreatedAtDesc => (clients::Column::CreatedAt, false),
        };
        let order = if ascending { Order::Asc } else { Order::Desc };
        if let Some(units) = few_units(query, units, scope) {
            // Each unit's first rows in list order from its own index range (org unit, name),
            // merged: names begin with the county's name, so a city's clients sit together in
            // name order and walking the name index for them would read most of the table first.
            let keep = query.page * query.per_page;
            let mut picked: Option<SelectStatement> = None;
            for (i, unit) in units.iter().enumerate() {
                let member = select
                    .clone()
                    .filter(clients::Column::OrgUnitId.eq(*unit))
                    .select_only()
                    .column(clients::Column::Id)
                    .order_by(column, order.clone())
                    .order_by_asc(clients::Column::Id)
                    .limit(keep)
                    .into_query();
                let member = Query::select()
                    .column(clients::Column::Id)
                    .from_subquery(member, Alias::new(format!("unit_{i}")))
                    .to_owned();
                match &mut picked {
                    None => picked = Some(member),
                    Some(all) => {
                        all.union(UnionType::All, member);
                    }
                }
            }
            if let Some(picked) = picked {
                select = select.filter(clients::Column::Id.in_subquery(picked));
            }
        }
        select = select.order_by(column, order);
        let rows = select
            .order_by_asc(clients::Column::Id)
            .select_only()
            .columns([
                clients::Column::Id,
                clients::Column::Uscc,
                clients::Column::Name,
                clients::Column::Category,
                clients::Column::Industry,
                clients::Column::Address,
                clients::Column::OrgUnitId,
                clients::Column::AccountManagerId,
                clients::Column::Contacts,
                clients::Column::UpdatedAt,
            ])
            .column_as(org_units::Column::Name, "org_unit_name")
            .column_as(users::Column::DisplayName, "account_manager_name")
            .join(JoinType::InnerJoin, clients::Relation::OrgUnit.def())
            .join(JoinType::InnerJoin, clients::Relation::AccountManager.def())
            .offset((query.page.saturating_sub(1)) * query.per_page)
            .limit(query.per_page)
            .into_model::<SummaryRow>()
            .all(&self.db);
        let (total, rows) = tokio::try_join!(total, async { Ok(rows.await?) })?;
        let items = rows
            .into_iter()
            .map(|r| {
                let contacts: Vec<Contact> = from_json(&r.contacts, "clients.contacts")?;
                let main = contacts.into_iter().next();
                Ok(ClientSummary {
                    id: r.id,
                    uscc: r.uscc,
                    name: r.name,
                    category: from_code(&r.category, "clients.category")?,
                    industry: from_code(&r.industry, "clients.industry")?,
                    address: r.address,
                    org_unit_id: r.org_unit_id,
                    org_unit_name: r.org_unit_name,
                    account_manager_id: r.account_manager_id,
                    account_manager_name: r.account_manager_name,
                    contact_name: main.as_ref().map(|c| c.name.clone()),
                    contact_phone: main.map(|c| c.phone),
                    updated_at: r.updated_at,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((items, total))
    }

    /// The total of the clients `matching` (the list's filters): exact from `client_counts`
    /// when it can be, a text search's counted up to `count_up_to`, anything else counted.
    async fn list_total(
        &self,
        matching: Select<clients::Entity>,
        query: &ClientQuery,
        units: Option<&[Uuid]>,
        scope: &DataScope,
        count_up_to: u64,
    ) -> Result<ListTotal, StoreError> {
        if let Some(total) = self.count_from_summary(query, units, scope).await? {
            return Ok(ListTotal::exact(total));
        }
        if query.search_text().is_none() {
            return Ok(ListTotal::exact(matching.count(&self.db).await?));
        }
        // Count the matches' ids up to one past the bound, never the rest.
        let matches = matching
            .select_only()
            .column(clients::Column::Id)
            .limit(count_up_to.saturating_add(1))
            .into_query();
        let count = Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from_subquery(matches, Alias::new("matches"))
            .to_owned();
        let backend = self.db.get_database_backend();
        let row = self
            .db
            .query_one(backend.build(&count))
            .await?
            .ok_or(StoreError::NotFound)?;
        let counted = u64::try_from(row.try_get_by_index::<i64>(0)?).unwrap_or(0);
        Ok(ListTotal {
            total: counted.min(count_up_to),
            exact: counted <= count_up_to,
        })
    }

    /// The list's total from `client_counts` (clients per org unit, category and industry, kept
    /// by triggers), when the filters and scope are columns of it: a few thousand rows to add up
    /// instead of up to 600,000 to count. `None` for a text search or an account manager's
    /// clients (their own scope or the filter), which the list counts directly: the manager's
    /// index keeps those small.
    async fn count_from_summary(
        &self,
        query: &ClientQuery,
        units: Option<&[Uuid]>,
        scope: &DataScope,
    ) -> Result<Option<u64>, StoreError> {
        if query.search_text().is_some()
            || query.account_manager_id.is_some()
            || matches!(scope, DataScope::Owner(_))
        {
            return Ok(None);
        }
        let mut sql = Sql::new(self.db.get_database_backend());
        sql.push(
            "SELECT CAST(COALESCE(SUM(s.clients), 0) AS BIGINT) FROM client_counts s WHERE 1 = 1",
        );
        sql.scope("s", scope);
        if let Some(units) = units {
            sql.push(" AND s.org_unit_id IN ").bind_list(units);
        }
        if let Some(category) = query.category {
            sql.push(" AND s.category = ").bind(category.code());
        }
        if let Some(industry) = query.industry {
            sql.push(" AND s.industry = ").bind(industry.code());
        }
        let row = self
            .db
            .query_one(sql.build())
            .await?
            .ok_or(StoreError::NotFound)?;
        let total: i64 = row.try_get_by_index(0)?;
        Ok(Some(u64::try_from(total).unwrap_or(0)))
    }

    /// One client, if it exists and is within `scope` (otherwise `None`, so ids cannot be probed).
    pub async fn client(&self, id: Uuid, scope: &DataScope) -> Result<Option<Client>, StoreError> {
        let Some(m) = clients::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        if !scope.permits(m.org_unit_id, m.account_manager_id) {
            return Ok(None);
        }
        let unit = org_units::Entity::find_by_id(m.org_unit_id)
            .one(&self.db)
            .await?;
        let manager = users::Entity::find_by_id(m.account_manager_id)
            .one(&self.db)
            .await?;
        Ok(Some(Client {
            id: m.id,
            fields: to_fields(&m)?,
            org_unit_name: unit.map(|u| u.name).unwrap_or_default(),
            account_manager_name: manager.map(|u| u.display_name).unwrap_or_default(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }))
    }

    /// Inserts a new client (fields already validated) and its audit entry, both or neither.
    /// A taken USCC is [`StoreError::Duplicate`].
    pub async fn insert_client(
        &self,
        id: Uuid,
        fields: &ClientFields,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.insert_client_with(id, fields, None, now, audit).await
    }

    /// Inserts a prospect: its client record and its pipeline (at `identified`) with the audit
    /// entry, all or nothing. A taken USCC is [`StoreError::Duplicate`].
    pub async fn insert_prospect(
        &self,
        id: Uuid,
        fields: &ClientFields,
        pipeline: &crate::prospects::ProspectRow,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.insert_client_with(id, fields, Some(pipeline), now, audit)
            .await
    }

    async fn insert_client_with(
        &self,
        id: Uuid,
        fields: &ClientFields,
        pipeline: Option<&crate::prospects::ProspectRow>,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin().await?;
        clients::Entity::insert(active_model(id, fields, now, now))
            .exec_without_returning(&tx)
            .await
            .map_err(|e| map_unique(e, &["uscc"]))?;
        open_ownership(&tx, &[id], fields.account_manager_id, now).await?;
        if let Some(pipeline) = pipeline {
            crate::prospects::insert_prospect_row(&tx, id, pipeline, now).await?;
        }
        insert_audit(&tx, audit).await?;
        tx.commit().await?;
        self.data_changed();
        Ok(())
    }

    /// Replaces a client's master data (fields already validated) and records the audit entry,
    /// both or neither.
    pub async fn update_client(
        &self,
        id: Uuid,
        fields: &ClientFields,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin().await?;
        let existing = clients::Entity::find_by_id(id)
            .one(&tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        clients::Entity::update(active_model(id, fields, existing.created_at, now))
            .exec(&tx)
            .await
            .map_err(|e| map_unique(e, &["uscc"]))?;
        if existing.account_manager_id != fields.account_manager_id {
            close_ownership(&tx, &[id], now).await?;
            open_ownership(&tx, &[id], fields.account_manager_id, now).await?;
        }
        insert_audit(&tx, audit).await?;
        tx.commit().await?;
        self.data_changed();
        Ok(())
    }

    /// Who owned client `id` from when until when, oldest first.
    pub async fn ownership(&self, id: Uuid) -> Result<Vec<OwnershipPeriod>, StoreError> {
        let rows = client_owners::Entity::find()
            .filter(client_owners::Column::ClientId.eq(id))
            .find_also_related(users::Entity)
            .order_by_asc(client_owners::Column::ValidFrom)
            .order_by_asc(client_owners::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(period, user)| OwnershipPeriod {
                account_manager_id: period.account_manager_id,
                account_manager_name: user.map(|u| u.display_name).unwrap_or_default(),
                valid_from: period.valid_from,
                valid_to: period.valid_to,
            })
            .collect())
    }

    /// Number of clients.
    pub async fn count_clients(&self) -> Result<u64, StoreError> {
        Ok(clients::Entity::find().count(&self.db).await?)
    }
}

/// Opens an ownership period for each client, by `manager`, from `at`.
pub(crate) async fn open_ownership<C: ConnectionTrait>(
    conn: &C,
    client_ids: &[Uuid],
    manager: Uuid,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    for chunk in client_ids.chunks(500) {
        client_owners::Entity::insert_many(chunk.iter().map(|id| client_owners::ActiveModel {
            client_id: Set(*id),
            account_manager_id: Set(manager),
            valid_from: Set(at),
            ..Default::default()
        }))
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// Ends the open ownership period of each client at `at`.
pub(crate) async fn close_ownership<C: ConnectionTrait>(
    conn: &C,
    client_ids: &[Uuid],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    for chunk in client_ids.chunks(500) {
        client_owners::Entity::update_many()
            .col_expr(client_owners::Column::ValidTo, Expr::value(at))
            .filter(client_owners::Column::ClientId.is_in(chunk.iter().copied()))
            .filter(client_owners::Column::ValidTo.is_null())
            .exec(conn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::client::ClientQuery;

    fn query() -> ClientQuery {
        ClientQuery {
            q: None,
            org_unit_id: None,
            category: None,
            industry: None,
            account_manager_id: None,
            sort: None,
            page: 1,
            per_page: 50,
            unit_view: false,
        }
    }

    #[test]
    fn two_chinese_characters_are_a_pair_and_nothing_else_is() {
        assert!(is_chinese_pair("物流"));
        assert!(!is_chinese_pair("物"));
        assert!(!is_chinese_pair("物流公司"));
        assert!(!is_chinese_pair("13"));
        assert!(!is_chinese_pair("物1"));
        assert!(!is_chinese_pair("物\u{3000}"));
    }

    #[test]
    fn a_few_units_within_the_scope_are_paged_apart() {
        let [a, b, c] = [Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3)];
        let q = query();
        assert_eq!(few_units(&q, None, &DataScope::All), None);
        assert_eq!(
            few_units(&q, Some(&[a, b]), &DataScope::All),
            Some(vec![a, b])
        );
        assert_eq!(
            few_units(&q, Some(&[a, b]), &DataScope::Units(vec![b, c])),
            Some(vec![b])
        );
        assert_eq!(
            few_units(&q, None, &DataScope::Units(vec![c])),
            Some(vec![c])
        );
        assert_eq!(few_units(&q, Some(&[a]), &DataScope::Units(vec![c])), None);
        assert_eq!(few_units(&q, Some(&[a]), &DataScope::Owner(a)), None);
        let many: Vec<Uuid> = (0..=MAX_UNITS_PAGED_APART as u128)
            .map(Uuid::from_u128)
            .collect();
        assert_eq!(few_units(&q, Some(&many), &DataScope::All), None);
        let by_manager = ClientQuery {
            account_manager_id: Some(a),
            ..query()
        };
        assert_eq!(few_units(&by_manager, Some(&[a]), &DataScope::All), None);
    }
}
