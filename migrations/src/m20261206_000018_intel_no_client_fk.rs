//! The recompute's own tables (current figures, weekly class snapshots, grade history) lose
//! their foreign key to `clients` on PostgreSQL. Every row is written by the recompute from the
//! client list it has just read, and clients are never deleted, so the key guarded nothing; its
//! per-row check was half the time of the recompute's COPY at 600,000 clients (6–7 s a table).
//! SQLite keeps the keys (it cannot drop a constraint without rebuilding the table, and its
//! writes are small).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 3] = ["client_intel", "class_snapshots", "grade_history"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in TABLES {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {table}_client_id_fkey"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in TABLES {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ADD CONSTRAINT {table}_client_id_fkey \
                 FOREIGN KEY (client_id) REFERENCES clients (id)"
            ))
            .await?;
        }
        Ok(())
    }
}
