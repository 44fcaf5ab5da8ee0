//! Archive rules' inputs: the versioned requirement matrix and, per client, the facts the
//! completeness and screening rules evaluate (loaded in pages so memory stays flat).

use crate::entity::{clients, documents, org_units, sales_orders, users};
use crate::{from_code, from_json, Store, StoreError};
use chrono::{DateTime, Months, NaiveDate, Utc};
use domain::archive::{
    ClientArchiveFacts, DocumentFacts, RequirementMatrix, RequirementMatrixVersion,
};
use domain::audit::AuditEntry;
use domain::client::DemandPreference;
use domain::org::DataScope;
use domain::sales::Product;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait,
};
use std::collections::HashMap;
use uuid::Uuid;

/// Rule-set kind of the requirement matrix.
pub const REQUIREMENTS_KIND: &str = "archive_requirements";

/// Which clients to load facts for (on top of the caller's data scope).
#[derive(Debug, Clone, Default)]
pub struct ArchiveFilter {
    /// Only clients in these org units.
    pub org_units: Option<Vec<Uuid>>,
    /// Only these clients.
    pub client_ids: Option<Vec<Uuid>>,
}

/// (id, client, type, review state, valid-to, covers diesel, uploaded at).
type DocRow = (
    Uuid,
    Uuid,
    String,
    String,
    Option<NaiveDate>,
    bool,
    DateTime<Utc>,
);

#[derive(Debug, FromQueryResult)]
struct FactsRow {
    id: Uuid,
    name: String,
    uscc: String,
    category: String,
    org_unit_id: Uuid,
    org_unit_name: String,
    account_manager_id: Uuid,
    account_manager_name: String,
    delivery: bool,
    demand: serde_json::Value,
}

impl Store {
    /// The requirement matrix in force and its version (1 = the built-in default of DESIGN §2.1).
    pub async fn requirement_matrix(&self) -> Result<(i32, RequirementMatrix), StoreError> {
        Ok(self
            .latest_rule_set(REQUIREMENTS_KIND)
            .await?
            .unwrap_or((1, RequirementMatrix::default())))
    }

    /// Every version of the requirement matrix, newest first (the built-in default last).
    pub async fn requirement_matrix_versions(
        &self,
    ) -> Result<Vec<RequirementMatrixVersion>, StoreError> {
        let mut out: Vec<RequirementMatrixVersion> = self
            .rule_set_versions(REQUIREMENTS_KIND)
            .await?
            .into_iter()
            .map(|v| RequirementMatrixVersion {
                version: v.version,
                matrix: v.body,
                created_by: v.created_by,
                created_by_name: v.created_by_name,
                created_at: v.created_at,
            })
            .collect();
        out.push(RequirementMatrixVersion {
            version: 1,
            matrix: RequirementMatrix::default(),
            created_by: None,
            created_by_name: None,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
        });
        Ok(out)
    }

    /// Saves a new version of the requirement matrix (validated by the caller) with its audit
    /// entry; returns the new version number.
    pub async fn save_requirement_matrix(
        &self,
        matrix: &RequirementMatrix,
        by: Uuid,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<i32, StoreError> {
        self.save_rule_set(REQUIREMENTS_KIND, matrix, by, now, audit)
            .await
    }

    /// Archive facts of up to `limit` clients in scope with ids greater than `after`, in id
    /// order (keyset paging: call again with the last id until fewer than `limit` come back).
    pub async fn archive_facts_page(
        &self,
        scope: &DataScope,
        filter: &ArchiveFilter,
        as_of: NaiveDate,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<ClientArchiveFacts>, StoreError> {
        let mut select = clients::Entity::find()
            .select_only()
            .columns([
                clients::Column::Id,
                clients::Column::Name,
                clients::Column::Uscc,
                clients::Column::Category,
                clients::Column::OrgUnitId,
                clients::Column::AccountManagerId,
                clients::Column::Delivery,
                clients::Column::Demand,
            ])
            .column_as(org_units::Column::Name, "org_unit_name")
            .column_as(users::Column::DisplayName, "account_manager_name")
            .join(JoinType::InnerJoin, clients::Relation::OrgUnit.def())
            .join(JoinType::InnerJoin, clients::Relation::AccountManager.def());
        select = crate::clients::scoped(select, scope);
        if let Some(units) = &filter.org_units {
            select = select.filter(clients::Column::OrgUnitId.is_in(units.iter().copied()));
        }
        if let Some(ids) = &filter.client_ids {
            select = select.filter(clients::Column::Id.is_in(ids.iter().copied()));
        }
        if let Some(after) = after {
            select = select.filter(clients::Column::Id.gt(after));
        }
        let rows: Vec<FactsRow> = select
            .order_by_asc(clients::Column::Id)
            .limit(limit)
            .into_model()
            .all(&self.db)
            .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();

        let mut docs: HashMap<Uuid, Vec<DocumentFacts>> = HashMap::new();
        let doc_rows: Vec<DocRow> = documents::Entity::find()
            .select_only()
            .columns([
                documents::Column::Id,
                documents::Column::ClientId,
                documents::Column::DocType,
                documents::Column::ReviewState,
                documents::Column::ValidTo,
                documents::Column::CoversDiesel,
                documents::Column::UploadedAt,
            ])
            .filter(documents::Column::ClientId.is_in(ids.iter().copied()))
            .into_tuple()
            .all(&self.db)
            .await?;
        for (id, client_id, doc_type, review, valid_to, covers_diesel, uploaded_at) in doc_rows {
            docs.entry(client_id).or_default().push(DocumentFacts {
                id,
                doc_type: from_code(&doc_type, "document type")?,
                review: from_code(&review, "review state")?,
                valid_to,
                covers_diesel,
                uploaded_at,
            });
        }

        let year_ago = as_of.checked_sub_months(Months::new(12)).unwrap_or(as_of);
        let diesel_codes: Vec<&str> = Product::ALL
            .iter()
            .filter(|p| p.is_diesel())
            .map(|p| p.code())
            .collect();
        let diesel_rows: Vec<(Uuid, Option<i64>)> = sales_orders::Entity::find()
            .select_only()
            .column(sales_orders::Column::ClientId)
            // PostgreSQL sums BIGINT as NUMERIC; cast back so both databases give an integer.
            .column_as(Expr::cust("CAST(SUM(quantity_kg) AS BIGINT)"), "kg")
            .filter(sales_orders::Column::ClientId.is_in(ids.iter().copied()))
            .filter(sales_orders::Column::Product.is_in(diesel_codes))
            .filter(sales_orders::Column::OrderDate.gt(year_ago))
            .filter(sales_orders::Column::OrderDate.lte(as_of))
            .group_by(sales_orders::Column::ClientId)
            .into_tuple()
            .all(&self.db)
            .await?;
        let diesel: HashMap<Uuid, i64> = diesel_rows
            .into_iter()
            .map(|(id, kg)| (id, kg.unwrap_or(0)))
            .collect();

        rows.into_iter()
            .map(|row| {
                let demand: DemandPreference = from_json(&row.demand, "demand")?;
                Ok(ClientArchiveFacts {
                    client_id: row.id,
                    client_name: row.name,
                    uscc: row.uscc,
                    category: from_code(&row.category, "category")?,
                    org_unit_id: row.org_unit_id,
                    org_unit_name: row.org_unit_name,
                    account_manager_id: row.account_manager_id,
                    account_manager_name: row.account_manager_name,
                    delivery: row.delivery,
                    diesel_kg_12m: diesel.get(&row.id).copied().unwrap_or(0),
                    demands_diesel: demand.products.iter().any(|p| p.is_diesel()),
                    documents: docs.remove(&row.id).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Archive facts of every client in scope matching the filter (pages of 1,000 underneath).
    pub async fn archive_facts(
        &self,
        scope: &DataScope,
        filter: &ArchiveFilter,
        as_of: NaiveDate,
    ) -> Result<Vec<ClientArchiveFacts>, StoreError> {
        const PAGE: u64 = 1000;
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .archive_facts_page(scope, filter, as_of, after, PAGE)
                .await?;
            let done = (page.len() as u64) < PAGE;
            after = page.last().map(|f| f.client_id);
            out.extend(page);
            if done {
                return Ok(out);
            }
        }
    }
}
