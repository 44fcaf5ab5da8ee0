//! Versioned rule sets an administrator can read and change (DESIGN §2: every threshold is a
//! default held in a rule set). Saving appends a version; nothing is overwritten, and the next
//! recompute uses the new one (each computed figure records its version).

use crate::audit::RequestMeta;
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::extract::ValidJson;
use crate::guard::Admin;
use crate::intel::INTEL_RULES_KIND;
use crate::state::AppState;
use actix_web::{get, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use domain::audit::{AuditAction, FieldChange};
use domain::intel::{IntelRules, IntelRulesHistory, IntelRulesVersion};
use store::StoreError;
use utoipa::OpenApi;

type Problem = domain::error::Problem;

/// The routes of this module, for the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(get_intel_rules, put_intel_rules),
    tags((name = "rules", description = "Versioned rule sets: the thresholds of DESIGN §2"))
)]
pub struct Api;

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_intel_rules).service(put_intel_rules);
}

async fn intel_history(state: &AppState) -> Result<IntelRulesHistory, StoreError> {
    let mut versions: Vec<IntelRulesVersion> = state
        .store
        .rule_set_versions::<IntelRules>(INTEL_RULES_KIND)
        .await?
        .into_iter()
        .map(|v| IntelRulesVersion {
            version: v.version,
            rules: IntelRules {
                version: v.version,
                ..v.body
            },
            created_by: v.created_by,
            created_by_name: v.created_by_name,
            created_at: v.created_at,
        })
        .collect();
    versions.push(IntelRulesVersion {
        version: 1,
        rules: IntelRules::default(),
        created_by: None,
        created_by_name: None,
        created_at: DateTime::<Utc>::UNIX_EPOCH,
    });
    Ok(IntelRulesHistory {
        current: versions[0].clone(),
        versions,
    })
}

/// The grading and classification thresholds in force (DESIGN §2.2, §2.3) and every earlier
/// version.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    responses(
        (status = 200, body = IntelRulesHistory),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rules/intel")]
pub async fn get_intel_rules(
    _auth: AuthUser,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(intel_history(&state).await?))
}

/// Saves a new version of the grading and classification thresholds (administrators). The body
/// is the whole rule set (`version` may be left out: the server numbers it); every field is
/// checked and a refused body changes nothing. The next recompute — nightly, or
/// `POST /api/v1/jobs/recompute_intel/run` — uses it.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    request_body = IntelRules,
    responses(
        (status = 200, body = IntelRulesHistory),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/rules/intel")]
pub async fn put_intel_rules(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<IntelRules>,
) -> ApiResult<HttpResponse> {
    let rules = body.0;
    rules.validate().into_result(())?;
    let old = crate::intel::rules_in_force(&state.store).await?;
    let stored = IntelRules {
        version: 0,
        ..rules
    };
    save_rule_version(&state, &auth, &meta, INTEL_RULES_KIND, &old, &stored).await?;
    Ok(HttpResponse::Ok().json(intel_history(&state).await?))
}

/// Saves `new` as the next version of rule set `kind` (validated by the caller), audited with
/// the version in force before it.
pub(crate) async fn save_rule_version<T: serde::Serialize>(
    state: &AppState,
    auth: &AuthUser,
    meta: &RequestMeta,
    kind: &str,
    old: &T,
    new: &T,
) -> Result<(), StoreError> {
    let now = state.clock.now();
    let entry = meta.entry(
        auth,
        now,
        AuditAction::Update,
        "rule_set",
        None,
        vec![FieldChange {
            field: kind.to_owned(),
            before: serde_json::to_value(old).unwrap_or_default(),
            after: serde_json::to_value(new).unwrap_or_default(),
        }],
    );
    state
        .store
        .save_rule_set(kind, new, auth.user.id, now, &entry)
        .await?;
    Ok(())
}

/// Every saved version of rule set `kind`, newest first, then the built-in `default` (version
/// 1), each carrying its version number (set by `numbered`).
pub(crate) async fn rule_versions<T: serde::de::DeserializeOwned>(
    store: &store::Store,
    kind: &str,
    default: T,
    numbered: fn(T, i32) -> T,
) -> Result<Vec<T>, StoreError> {
    let mut out: Vec<T> = store
        .rule_set_versions::<T>(kind)
        .await?
        .into_iter()
        .map(|v| numbered(v.body, v.version))
        .collect();
    out.push(default);
    Ok(out)
}
