//! Fills an empty database with the demo province.

use crate::auth::hash_password;
use chrono::{DateTime, Utc};
use demo::{DemoConfig, DEMO_PASSWORD};
use store::{DemoLoad, NewUser, Store};

/// What a demo load wrote and how long it took.
#[derive(Debug, Clone, Copy)]
pub struct DemoStats {
    /// Org units.
    pub org_units: usize,
    /// Users.
    pub users: usize,
    /// Clients.
    pub clients: usize,
    /// Sales orders.
    pub orders: usize,
    /// Seconds to generate.
    pub generate_secs: f64,
    /// Seconds to write.
    pub write_secs: f64,
}

/// Generates the demo for `config` and writes it in one transaction.
pub async fn seed_demo(
    store: &Store,
    config: &DemoConfig,
    now: DateTime<Utc>,
) -> anyhow::Result<DemoStats> {
    let started = std::time::Instant::now();
    let data = demo::generate(config);
    // One hash for every demo account: argon2 is slow on purpose, and they share the password.
    let hash = hash_password(DEMO_PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    let load = DemoLoad {
        org_units: data.org_units,
        users: data
            .users
            .into_iter()
            .map(|u| NewUser {
                id: u.id,
                username: u.username,
                display_name: u.display_name,
                role: u.role,
                org_unit_id: u.org_unit_id,
                password_hash: Some(hash.clone()),
                phone: Some(u.phone),
                employee_id: Some(u.employee_id),
            })
            .collect(),
        clients: data
            .clients
            .into_iter()
            .map(|c| (c.id, c.fields, c.created_at))
            .collect(),
        orders: data.orders,
    };
    let generate_secs = started.elapsed().as_secs_f64();
    let written = std::time::Instant::now();
    store.load_demo(&load, now).await?;
    Ok(DemoStats {
        org_units: load.org_units.len(),
        users: load.users.len(),
        clients: load.clients.len(),
        orders: load.orders.len(),
        generate_secs,
        write_secs: written.elapsed().as_secs_f64(),
    })
}
