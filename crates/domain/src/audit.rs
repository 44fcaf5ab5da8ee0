//! The audit trail: who changed what, when, from where — field by field.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

labelled_enum! {
    /// What was done to a record.
    AuditAction {
        Create => "create", "新建", "Created";
        Update => "update", "修改", "Updated";
        Delete => "delete", "删除", "Deleted";
        Export => "export", "导出", "Exported";
        Read => "read", "查看敏感信息", "Sensitive read";
    }
}

/// One field's value before and after a change (`null` when it did not exist).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    /// Path of the field, e.g. `name`, `location.lat`, `contacts`.
    pub field: String,
    /// Value before.
    pub before: Value,
    /// Value after.
    pub after: Value,
}

/// One audit record. Append-only: never edited or deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Identifier.
    pub id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// The user who acted, or the integrator token a machine client used (`null` for the system).
    pub actor_id: Option<Uuid>,
    /// Their name as it was then.
    pub actor_name: String,
    /// Client address of the request.
    pub ip: Option<String>,
    /// What was done.
    pub action: AuditAction,
    /// Kind of record, e.g. `client`.
    pub entity: String,
    /// Which record.
    pub entity_id: Option<Uuid>,
    /// Field-level changes (for updates: only the fields that changed).
    pub changes: Vec<FieldChange>,
    /// The request that made the change.
    pub request_id: Option<String>,
}

/// One page of audit entries, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    /// Entries of this page.
    pub items: Vec<AuditEntry>,
    /// Entries matching the filters.
    pub total: u64,
    /// Page from 1.
    pub page: u64,
    /// Entries per page.
    pub per_page: u64,
}

/// The changed leaves between two JSON documents. Objects are compared key by key (paths joined
/// with `.`); arrays and scalars are compared whole, since a list edit is one change to a reader.
pub fn field_changes(before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    diff_into(&mut changes, "", before, after);
    changes
}

fn diff_into(changes: &mut Vec<FieldChange>, path: &str, before: &Value, after: &Value) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                diff_into(
                    changes,
                    &child,
                    b.get(key).unwrap_or(&Value::Null),
                    a.get(key).unwrap_or(&Value::Null),
                );
            }
        }
        _ if before == after => {}
        _ => changes.push(FieldChange {
            field: path.to_owned(),
            before: before.clone(),
            after: after.clone(),
        }),
    }
}

impl AuditEntry {
    /// The entry with every `phone` inside its values masked, for roles that may not see
    /// contact details.
    pub fn masked(mut self) -> Self {
        fn mask(value: &mut Value) {
            match value {
                Value::Object(map) => {
                    for (key, v) in map.iter_mut() {
                        match v {
                            Value::String(text) if key == "phone" => {
                                *text = crate::client::mask_phone(text)
                            }
                            other => mask(other),
                        }
                    }
                }
                Value::Array(items) => items.iter_mut().for_each(mask),
                _ => {}
            }
        }
        for change in &mut self.changes {
            if change.field == "phone" || change.field.ends_with(".phone") {
                for v in [&mut change.before, &mut change.after] {
                    if let Value::String(text) = v {
                        *text = crate::client::mask_phone(text);
                    }
                }
            }
            mask(&mut change.before);
            mask(&mut change.after);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_changed_leaves_are_listed_with_their_paths() {
        let before = json!({ "name": "甲", "location": { "lat": 28.1, "lon": 112.9 }, "tags": ["a"], "delivery": false });
        let after = json!({ "name": "乙", "location": { "lat": 28.2, "lon": 112.9 }, "tags": ["a", "b"], "delivery": false });
        let changes = field_changes(&before, &after);
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["location.lat", "name", "tags"]);
        assert_eq!(changes[1].before, json!("甲"));
        assert_eq!(changes[1].after, json!("乙"));
    }

    #[test]
    fn a_creation_lists_every_field_against_null() {
        let changes = field_changes(&Value::Null, &json!({ "name": "甲", "uscc": "X" }));
        assert_eq!(
            changes.len(),
            1,
            "a whole new object is one change at the root"
        );
        let changes = field_changes(&json!({}), &json!({ "name": "甲", "uscc": "X" }));
        assert_eq!(changes.len(), 2);
        assert!(changes.iter().all(|c| c.before.is_null()));
    }

    #[test]
    fn masking_hides_phones_at_any_depth() {
        let entry = AuditEntry {
            id: Uuid::nil(),
            at: DateTime::<Utc>::default(),
            actor_id: None,
            actor_name: "x".into(),
            ip: None,
            action: AuditAction::Update,
            entity: "client".into(),
            entity_id: None,
            changes: vec![FieldChange {
                field: "contacts".into(),
                before: json!([{ "name": "王", "phone": "13907311234" }]),
                after: json!([{ "name": "王", "phone": "13807311234" }]),
            }],
            request_id: None,
        };
        let masked = entry.masked();
        assert_eq!(masked.changes[0].before[0]["phone"], "139****1234");
        assert_eq!(masked.changes[0].after[0]["phone"], "138****1234");
        assert_eq!(masked.changes[0].after[0]["name"], "王");
    }

    #[test]
    fn identical_documents_have_no_changes() {
        let doc = json!({ "a": { "b": [1, 2] }, "c": null });
        assert!(field_changes(&doc, &doc).is_empty());
    }
}
