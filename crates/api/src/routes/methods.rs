//! 405 for a method the API does not serve on a path it does serve (RFC 9110: with `Allow`).
//!
//! actix routes by path and method together, so a request with another method falls through to
//! the default service, which would answer 404 (or the dashboard's page). The OpenAPI document
//! already lists every path with its methods; that list decides.

use crate::openapi::ApiDoc;
use std::sync::OnceLock;
use utoipa::OpenApi;

/// A path of the spec split into segments (`None` for a `{parameter}`), with its methods.
struct PathTemplate {
    segments: Vec<Option<String>>,
    methods: Vec<&'static str>,
}

impl PathTemplate {
    fn matches(&self, segments: &[&str]) -> bool {
        self.segments.len() == segments.len()
            && self
                .segments
                .iter()
                .zip(segments)
                .all(|(template, segment)| match template {
                    Some(literal) => literal == segment,
                    None => !segment.is_empty(),
                })
    }

    fn parameters(&self) -> usize {
        self.segments.iter().filter(|s| s.is_none()).count()
    }
}

fn templates() -> &'static [PathTemplate] {
    static TEMPLATES: OnceLock<Vec<PathTemplate>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        ApiDoc::openapi()
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, present)| present.then_some(method))
                .collect();
                let segments = path
                    .split('/')
                    .map(|segment| {
                        (!(segment.starts_with('{') && segment.ends_with('}')))
                            .then(|| segment.to_owned())
                    })
                    .collect();
                PathTemplate { segments, methods }
            })
            .collect()
    })
}

/// The `Allow` value for `path` when the API serves it but not with `method`: the methods of
/// the most specific matching path of the spec (literal segments win over parameters, as they
/// do in the router). `None` when no path of the spec matches, or when the method is served.
pub fn not_allowed(method: &str, path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    let template = templates()
        .iter()
        .filter(|t| t.matches(&segments))
        .min_by_key(|t| t.parameters())?;
    if template.methods.contains(&method) {
        return None;
    }
    Some(template.methods.join(", "))
}

#[cfg(test)]
mod tests {
    use super::not_allowed;

    #[test]
    fn an_unserved_method_on_a_served_path_lists_the_served_ones() {
        assert_eq!(not_allowed("TRACE", "/healthz").as_deref(), Some("GET"));
        assert_eq!(
            not_allowed("DELETE", "/api/v1/clients").as_deref(),
            Some("GET, POST")
        );
        let id = "/api/v1/clients/0b5e3f5e-0000-4000-8000-000000000000";
        assert_eq!(not_allowed("PUT", id).as_deref(), Some("GET, PATCH"));
    }

    #[test]
    fn literal_segments_win_over_parameters() {
        // `/clients/export` is its own GET route, not `/clients/{id}` (GET, PATCH).
        assert_eq!(
            not_allowed("PATCH", "/api/v1/clients/export").as_deref(),
            Some("GET")
        );
    }

    #[test]
    fn served_methods_and_unknown_paths_are_left_alone() {
        assert_eq!(not_allowed("GET", "/api/v1/clients"), None);
        assert_eq!(not_allowed("TRACE", "/api/v1/no-such-thing"), None);
        assert_eq!(not_allowed("POST", "/"), None);
        assert_eq!(not_allowed("TRACE", "/api/v1/clients/"), None);
    }
}
