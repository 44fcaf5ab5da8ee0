//! Fills an empty database with the demo province.

use crate::auth::hash_password;
use chrono::{DateTime, Utc};
use demo::{DemoConfig, DEMO_PASSWORD};
use domain::archive::DocumentType;
use store::documents::{NewDocument, NewDocumentFile};
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
    /// Licence documents.
    pub documents: usize,
    /// Seconds to generate.
    pub generate_secs: f64,
    /// Seconds to write.
    pub write_secs: f64,
}

/// Generates the demo for `config` and writes it in one transaction.
pub async fn seed_demo(
    store: &Store,
    files: &store::files::FileStore,
    config: &DemoConfig,
    now: DateTime<Utc>,
) -> anyhow::Result<DemoStats> {
    let started = std::time::Instant::now();
    let data = demo::generate(config);
    // One hash for every demo account: argon2 is slow on purpose, and they share the password.
    let hash = hash_password(DEMO_PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    let documents = demo_documents(config, &data, files, now).await?;
    let prepayments = demo_prepayments(config, &data.orders);
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
        documents,
    };
    let generate_secs = started.elapsed().as_secs_f64();
    let written = std::time::Instant::now();
    store.load_demo(&load, now).await?;
    store.ingest_prepayments(&prepayments, None, now).await?;
    // The clients that never bought are the demo's prospects, at every stage.
    store.seed_demo_prospects().await?;
    Ok(DemoStats {
        org_units: load.org_units.len(),
        users: load.users.len(),
        clients: load.clients.len(),
        orders: load.orders.len(),
        documents: load.documents.len(),
        generate_secs,
        write_secs: written.elapsed().as_secs_f64(),
    })
}

/// Prepayments and liftings (预售未提) for about one buying client in eight: a prepayment of
/// two to three months of its volume some weeks ago, and liftings since that took part of it.
fn demo_prepayments(
    config: &DemoConfig,
    orders: &[domain::sales::SalesOrder],
) -> Vec<store::ingest::PrepaymentEntry> {
    use domain::sales::PrepaymentKind;
    let since = config.as_of - chrono::TimeDelta::days(90);
    let mut recent: std::collections::BTreeMap<uuid::Uuid, (i64, i64, domain::sales::Product)> =
        Default::default();
    for o in orders.iter().filter(|o| o.order_date > since) {
        let entry = recent.entry(o.client_id).or_insert((0, 0, o.product));
        entry.0 += o.quantity_kg;
        entry.1 += o.amount_fen;
    }
    let mut out = Vec::new();
    for (client, (kg, fen, product)) in recent {
        let key = client.as_u128();
        if key % 8 != 3 || kg < 10_000 {
            continue;
        }
        let price = fen as f64 / (kg as f64 / 1000.0);
        // 0.6–1.0 of the last quarter's volume paid for, 20–80 % of it lifted since.
        let prepaid = (kg as f64 * (0.6 + (key >> 8) as f64 % 40.0 / 100.0)) as i64 / 1000 * 1000;
        let lifted =
            (prepaid as f64 * (0.2 + (key >> 16) as f64 % 60.0 / 100.0)) as i64 / 1000 * 1000;
        let paid_on = config.as_of - chrono::TimeDelta::days(20 + (key >> 24) as i64 % 40);
        let n = out.len();
        out.push(store::ingest::PrepaymentEntry {
            id: uuid::Uuid::from_u128(key ^ 0x5052_4550),
            entry_no: format!("YS{}{:06}", paid_on.format("%Y%m%d"), n),
            client_id: client,
            kind: PrepaymentKind::Prepayment,
            entry_date: paid_on,
            product: Some(product),
            quantity_kg: prepaid,
            amount_fen: (prepaid as f64 / 1000.0 * price) as i64,
        });
        if lifted > 0 {
            out.push(store::ingest::PrepaymentEntry {
                id: uuid::Uuid::from_u128(key ^ 0x4c49_4654),
                entry_no: format!("TY{}{:06}", config.as_of.format("%Y%m%d"), n),
                client_id: client,
                kind: PrepaymentKind::Lifting,
                entry_date: paid_on + chrono::TimeDelta::days(7),
                product: Some(product),
                quantity_kg: lifted,
                amount_fen: 0,
            });
        }
    }
    out
}

/// The demo's page images: one drawing per document type and page (a header band in the
/// type's colour, text-like bars, a seal), stored once and shared by every demo document of
/// that type, so a province loads in seconds. Returns (key, thumbnail key, size, SHA-256).
async fn demo_pages(
    files: &store::files::FileStore,
) -> anyhow::Result<std::collections::HashMap<(DocumentType, u8), (String, String, i64, String)>> {
    use sha2::{Digest, Sha256};
    let mut out = std::collections::HashMap::new();
    for (i, doc_type) in DocumentType::ALL.iter().enumerate() {
        for page in 1..=2u8 {
            let colours = [
                [196, 40, 40],
                [30, 90, 170],
                [40, 140, 80],
                [200, 120, 20],
                [120, 60, 160],
                [20, 130, 140],
            ];
            let colour = colours[i % colours.len()];
            let img = image::RgbImage::from_fn(600, 420, |x, y| {
                let band = y < 60;
                let line = (100..380).contains(&y)
                    && (y - 100) % 28 < 10
                    && (40..560 - (y % 7) * 30).contains(&x);
                let dx = x as i64 - 480;
                let dy = y as i64 - 330;
                let seal = (dx * dx + dy * dy) < 55 * 55 && (dx * dx + dy * dy) > 48 * 48;
                if band || seal {
                    image::Rgb(colour)
                } else if line && page == 1 {
                    image::Rgb([90, 90, 90])
                } else if line {
                    image::Rgb([150, 150, 150])
                } else {
                    image::Rgb([250, 248, 240])
                }
            });
            let mut png = std::io::Cursor::new(Vec::new());
            img.write_to(&mut png, image::ImageFormat::Png)?;
            let png = png.into_inner();
            let mut thumb = std::io::Cursor::new(Vec::new());
            image::DynamicImage::ImageRgb8(img)
                .thumbnail(320, 320)
                .to_rgb8()
                .write_to(&mut thumb, image::ImageFormat::Jpeg)?;
            let key = format!("demo/{}-p{page}.png", doc_type.code());
            let thumb_key = format!("demo/{}-p{page}.thumb.jpg", doc_type.code());
            let sha = crate::auth::hex(&Sha256::digest(&png));
            let size = png.len() as i64;
            files.put(&key, png.into()).await?;
            files.put(&thumb_key, thumb.into_inner().into()).await?;
            out.insert((*doc_type, page), (key, thumb_key, size, sha));
        }
    }
    Ok(out)
}

/// Licence documents for the demo clients (see `demo::documents`), their pages pointing at the
/// shared demo images.
async fn demo_documents(
    config: &DemoConfig,
    data: &demo::DemoData,
    files: &store::files::FileStore,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<NewDocument>> {
    let pages = demo_pages(files).await?;
    let year_ago = config.as_of - chrono::TimeDelta::days(365);
    let diesel: std::collections::HashSet<uuid::Uuid> = data
        .orders
        .iter()
        .filter(|o| o.product.is_diesel() && o.order_date > year_ago)
        .map(|o| o.client_id)
        .collect();
    let units: std::collections::HashMap<uuid::Uuid, (String, Option<uuid::Uuid>)> = data
        .org_units
        .iter()
        .map(|u| (u.id, (u.name.clone(), u.parent_id)))
        .collect();
    let documents = demo::documents::generate_documents(
        config.seed,
        config.as_of,
        &data.clients,
        &data.users,
        &diesel,
        &units,
    );
    Ok(documents
        .into_iter()
        .map(|d| {
            let files = (1..=d.pages)
                .filter_map(|page| {
                    let (key, thumb, size, sha) = pages.get(&(d.meta.doc_type, page))?;
                    Some(NewDocumentFile {
                        id: uuid::Uuid::from_u128(d.id.as_u128() ^ u128::from(page)),
                        page: i32::from(page),
                        storage_key: key.clone(),
                        content_type: "image/png".to_owned(),
                        size_bytes: *size,
                        sha256: sha.clone(),
                        thumbnail_key: Some(thumb.clone()),
                    })
                })
                .collect();
            let reviewed_at = d
                .reviewed_by
                .map(|_| d.uploaded_at + chrono::TimeDelta::hours(20));
            NewDocument {
                id: d.id,
                client_id: d.client_id,
                meta: d.meta,
                uploaded_by: d.uploaded_by,
                uploaded_at: d.uploaded_at.min(now),
                files,
                review: d.review,
                review_reason: d.review_reason,
                reviewed_by: d.reviewed_by,
                reviewed_at: reviewed_at.map(|at| at.min(now)),
            }
        })
        .collect())
}
