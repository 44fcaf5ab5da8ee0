//! Telling every server process that the data behind its caches changed (see the store's
//! `changes` module): the clients, the org units, and users' names and units.
//!
//! PostgreSQL: statement-level triggers `NOTIFY ygj_changes` with the table's name; PostgreSQL
//! delivers the notification to every listening connection when the transaction commits (and
//! not at all when it rolls back), and folds repeats within one transaction into one. Statement
//! triggers cost one call per statement, not per row, and take no lock a writer could wait on.
//! A user update that touches neither name nor unit (a sign-in's failed-attempt counter) does
//! not notify.
//!
//! SQLite: one process serves the file, but another (the `demo` command, a tool) may write it, and
//! there is no NOTIFY: row triggers bump `data_versions.version`, which a request reads.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The channel the triggers notify (the store's listener subscribes to it).
pub const CHANGE_CHANNEL: &str = "ygj_changes";

const NOTIFY_FUNCTION: &str = "CREATE FUNCTION ygj_notify_change() RETURNS trigger
     LANGUAGE plpgsql AS $$
     BEGIN
       PERFORM pg_notify('{channel}', TG_TABLE_NAME);
       RETURN NULL;
     END $$";

const PG_TRIGGERS: [&str; 3] = [
    "CREATE TRIGGER clients_notify_change
     AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON clients
     FOR EACH STATEMENT EXECUTE FUNCTION ygj_notify_change()",
    "CREATE TRIGGER org_units_notify_change
     AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON org_units
     FOR EACH STATEMENT EXECUTE FUNCTION ygj_notify_change()",
    "CREATE TRIGGER users_notify_change
     AFTER INSERT OR UPDATE OF display_name, org_unit_id OR DELETE OR TRUNCATE ON users
     FOR EACH STATEMENT EXECUTE FUNCTION ygj_notify_change()",
];

const BUMP: &str = "UPDATE data_versions SET version = version + 1 WHERE name = 'client_list';";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(&NOTIFY_FUNCTION.replace("{channel}", CHANGE_CHANNEL))
                .await?;
            for sql in PG_TRIGGERS {
                db.execute_unprepared(sql).await?;
            }
            return Ok(());
        }
        db.execute_unprepared(
            "CREATE TABLE data_versions (name TEXT NOT NULL PRIMARY KEY, version BIGINT NOT NULL)",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO data_versions (name, version) VALUES ('client_list', 0)",
        )
        .await?;
        let triggers = [
            ("clients", "INSERT", ""),
            ("clients", "UPDATE", ""),
            ("clients", "DELETE", ""),
            ("org_units", "INSERT", ""),
            ("org_units", "UPDATE", ""),
            ("org_units", "DELETE", ""),
            ("users", "INSERT", ""),
            ("users", "UPDATE", " OF display_name, org_unit_id"),
            ("users", "DELETE", ""),
        ];
        for (table, event, columns) in triggers {
            let name = format!("{table}_{}_bump_version", event.to_lowercase());
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {name} AFTER {event}{columns} ON {table} BEGIN {BUMP} END"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".to_owned()))
    }
}
