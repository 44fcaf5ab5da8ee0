//! Two-character searches of the client list at 600,000 clients.
//!
//! A trigram index finds nothing to look up in two characters (`LIKE '%恒通%'` has no whole
//! trigram), so such a search read the whole table, and its page walked the name index through
//! most of it when few clients matched (1.4 s for a rare pair at scale 100); yet two Chinese
//! characters are how most people search a name. On PostgreSQL, `ygj_char_pairs(text)` is the
//! array of every two adjacent non-ASCII characters of the text (and the odd ones left over),
//! and a GIN index on it answers `ygj_char_pairs(search_text) @> '{恒通}'` exactly. Two
//! non-ASCII characters are next to each other in the text exactly when they are an element,
//! so the list uses this condition instead of its LIKE for them. ASCII (USCC, phones) is left
//! out: a two-character search of it matches nearly every client anyway.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The pairs from even positions, then from odd ones, each followed by a space, once ASCII runs
/// are one space; split at the spaces: `{武陵,区凯,…,陵区,凯瑞,…}`.
const CHAR_PAIRS: &str = r#"
CREATE OR REPLACE FUNCTION ygj_char_pairs(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT regexp_split_to_array(btrim(regexp_replace(c, '(..)', '\1 ', 'g')
      || ' ' || regexp_replace(substr(c, 2), '(..)', '\1 ', 'g')), ' +')
  FROM (SELECT regexp_replace(t, '[\x01-\x7f]+', ' ', 'g') AS c) AS cjk
$$"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared(CHAR_PAIRS).await?;
            db.execute_unprepared(
                "CREATE INDEX IF NOT EXISTS ix_clients_search_pairs ON clients \
                 USING gin (ygj_char_pairs(search_text))",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".to_owned()))
    }
}
