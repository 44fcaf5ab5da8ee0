//! The client list at 600,000 clients (p99 < 20 ms): its total, a few units' page and its text
//! search.
//!
//! - `client_counts` — clients per org unit, category and industry, kept by triggers on
//!   `clients` (statement-level with transition tables on PostgreSQL, so a bulk insert updates
//!   each group once; row-level on SQLite). An exact `COUNT(*)` over the whole province reads
//!   600,000 index entries (≈ 70 ms); the same total from these few thousand rows takes well
//!   under a millisecond. The list counts from here whenever its filters and scope are columns
//!   of this table (no text search, no account manager).
//! - `ix_clients_unit_name` (org unit, name, id): the list of a few units (a city, a director's
//!   county) takes each unit's first rows from here. Names begin with the county's name, so in
//!   name order a city's clients sit together, and the name index alone reads most of the table
//!   before it finds them.
//! - On PostgreSQL, a trigram index (`pg_trgm`, shipped with PostgreSQL's contrib and trusted
//!   since 13) on `search_text`, so `LIKE '%…%'` searches of three or more characters use an
//!   index instead of reading the whole table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    OrgUnitId,
    Name,
}

#[derive(DeriveIden)]
enum ClientCounts {
    Table,
    OrgUnitId,
    Category,
    Industry,
    Clients,
}

/// PostgreSQL: one function for the three statement-level triggers. Groups are upserted in key
/// order, so two transactions touching the same groups lock them in the same order; an update
/// that leaves a client in its group changes nothing here.
const PG_FOLLOW: &str = r#"
CREATE FUNCTION client_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO client_counts AS c (org_unit_id, category, industry, clients)
    SELECT org_unit_id, category, industry, COUNT(*) FROM new_rows
    GROUP BY org_unit_id, category, industry
    ORDER BY org_unit_id, category, industry
    ON CONFLICT (org_unit_id, category, industry)
    DO UPDATE SET clients = c.clients + EXCLUDED.clients;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO client_counts AS c (org_unit_id, category, industry, clients)
    SELECT org_unit_id, category, industry, -COUNT(*) FROM old_rows
    GROUP BY org_unit_id, category, industry
    ORDER BY org_unit_id, category, industry
    ON CONFLICT (org_unit_id, category, industry)
    DO UPDATE SET clients = c.clients + EXCLUDED.clients;
  ELSE
    INSERT INTO client_counts AS c (org_unit_id, category, industry, clients)
    SELECT org_unit_id, category, industry, SUM(delta) FROM (
      SELECT org_unit_id, category, industry, 1 AS delta FROM new_rows
      UNION ALL
      SELECT org_unit_id, category, industry, -1 AS delta FROM old_rows
    ) moved
    GROUP BY org_unit_id, category, industry
    HAVING SUM(delta) <> 0
    ORDER BY org_unit_id, category, industry
    ON CONFLICT (org_unit_id, category, industry)
    DO UPDATE SET clients = c.clients + EXCLUDED.clients;
  END IF;
  RETURN NULL;
END
$$"#;

const PG_TRIGGERS: [&str; 5] = [
    "CREATE TRIGGER client_counts_insert AFTER INSERT ON clients \
     REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION client_counts_follow()",
    "CREATE TRIGGER client_counts_update AFTER UPDATE ON clients \
     REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows \
     FOR EACH STATEMENT EXECUTE FUNCTION client_counts_follow()",
    "CREATE TRIGGER client_counts_delete AFTER DELETE ON clients \
     REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION client_counts_follow()",
    "CREATE FUNCTION client_counts_empty() RETURNS trigger LANGUAGE plpgsql AS \
     $$ BEGIN DELETE FROM client_counts; RETURN NULL; END $$",
    "CREATE TRIGGER client_counts_truncate AFTER TRUNCATE ON clients \
     FOR EACH STATEMENT EXECUTE FUNCTION client_counts_empty()",
];

const SQLITE_TRIGGERS: [&str; 3] = [
    "CREATE TRIGGER client_counts_insert AFTER INSERT ON clients BEGIN
       INSERT INTO client_counts (org_unit_id, category, industry, clients)
       VALUES (NEW.org_unit_id, NEW.category, NEW.industry, 1)
       ON CONFLICT (org_unit_id, category, industry) DO UPDATE SET clients = clients + 1;
     END",
    "CREATE TRIGGER client_counts_delete AFTER DELETE ON clients BEGIN
       UPDATE client_counts SET clients = clients - 1
       WHERE org_unit_id = OLD.org_unit_id AND category = OLD.category
         AND industry = OLD.industry;
     END",
    "CREATE TRIGGER client_counts_update AFTER UPDATE OF org_unit_id, category, industry
     ON clients
     WHEN OLD.org_unit_id IS NOT NEW.org_unit_id OR OLD.category IS NOT NEW.category
       OR OLD.industry IS NOT NEW.industry
     BEGIN
       UPDATE client_counts SET clients = clients - 1
       WHERE org_unit_id = OLD.org_unit_id AND category = OLD.category
         AND industry = OLD.industry;
       INSERT INTO client_counts (org_unit_id, category, industry, clients)
       VALUES (NEW.org_unit_id, NEW.category, NEW.industry, 1)
       ON CONFLICT (org_unit_id, category, industry) DO UPDATE SET clients = clients + 1;
     END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ClientCounts::Table)
                    .col(ColumnDef::new(ClientCounts::OrgUnitId).uuid().not_null())
                    .col(
                        ColumnDef::new(ClientCounts::Category)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ClientCounts::Industry)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ClientCounts::Clients)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ClientCounts::OrgUnitId)
                            .col(ClientCounts::Category)
                            .col(ClientCounts::Industry),
                    )
                    .to_owned(),
            )
            .await?;
        // A unit's clients in list order: the list pages a few units (a city, a director's
        // county) unit by unit from this index.
        manager
            .create_index(
                Index::create()
                    .name("ix_clients_unit_name")
                    .table(Clients::Table)
                    .col(Clients::OrgUnitId)
                    .col(Clients::Name)
                    .col(Clients::Id)
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO client_counts (org_unit_id, category, industry, clients) \
             SELECT org_unit_id, category, industry, COUNT(*) FROM clients \
             GROUP BY org_unit_id, category, industry",
        )
        .await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(PG_FOLLOW).await?;
                for sql in PG_TRIGGERS {
                    db.execute_unprepared(sql).await?;
                }
                db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                    .await?;
                db.execute_unprepared(
                    "CREATE INDEX ix_clients_search_trgm ON clients \
                     USING gin (search_text gin_trgm_ops)",
                )
                .await?;
            }
            _ => {
                for sql in SQLITE_TRIGGERS {
                    db.execute_unprepared(sql).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".to_owned()))
    }
}
