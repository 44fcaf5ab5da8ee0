//! Serves the built frontend from memory: precompressed variants, long caching for hashed
//! assets, and the SPA fallback to `index.html` for client-side routes.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Default)]
struct Asset {
    content_type: String,
    plain: Vec<u8>,
    gzip: Option<Vec<u8>>,
    brotli: Option<Vec<u8>>,
    immutable: bool,
}

/// The frontend's files, keyed by URL path (`/index.html`, `/app-1a2b3c4d.js`, …).
#[derive(Debug, Default, Clone)]
pub struct StaticAssets {
    files: Arc<HashMap<String, Asset>>,
}

/// Content-hashed names (`name-<8+ hex>…`) never change content, so browsers may keep them.
fn is_hashed(name: &str) -> bool {
    name.split('-')
        .skip(1)
        .any(|part| part.chars().take_while(|c| c.is_ascii_hexdigit()).count() >= 8)
}

const NOT_BUILT: &str = "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>油管家</title>\
<body style=\"font-family:sans-serif;padding:2em\"><h1>油管家 Youguanjia</h1>\
<p>前端尚未构建：请运行 <code>make run</code>。</p><p>The frontend is not built: run <code>make run</code>. \
The API is at <a href=\"/docs/\">/docs/</a>.</p></body></html>";

impl StaticAssets {
    /// Loads every file under `dir` (missing directory: a page that says how to build it).
    pub fn load(dir: &Path) -> Self {
        let mut files = HashMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(current) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&current) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
                if ext == "gz" || ext == "br" {
                    continue;
                }
                let Ok(plain) = std::fs::read(&path) else {
                    continue;
                };
                let Ok(relative) = path.strip_prefix(dir) else {
                    continue;
                };
                let url = format!("/{}", relative.to_string_lossy().replace('\\', "/"));
                let sibling =
                    |suffix: &str| std::fs::read(format!("{}.{suffix}", path.display())).ok();
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let content_type = match ext {
                    "wasm" => "application/wasm".to_owned(),
                    "js" => "text/javascript; charset=utf-8".to_owned(),
                    "html" => "text/html; charset=utf-8".to_owned(),
                    "css" => "text/css; charset=utf-8".to_owned(),
                    _ => mime_guess::from_path(&path)
                        .first_or_octet_stream()
                        .to_string(),
                };
                files.insert(
                    url,
                    Asset {
                        content_type,
                        gzip: sibling("gz"),
                        brotli: sibling("br"),
                        immutable: is_hashed(&name),
                        plain,
                    },
                );
            }
        }
        if !files.contains_key("/index.html") {
            tracing::warn!(dir = %dir.display(), "frontend not built; serving a placeholder page");
            files.insert(
                "/index.html".to_owned(),
                Asset {
                    content_type: "text/html; charset=utf-8".to_owned(),
                    plain: NOT_BUILT.as_bytes().to_vec(),
                    ..Default::default()
                },
            );
        }
        StaticAssets {
            files: Arc::new(files),
        }
    }

    fn respond(&self, req: &HttpRequest, asset: &Asset) -> HttpResponse {
        let accept = req
            .headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mut response = HttpResponse::Ok();
        response.insert_header((header::CONTENT_TYPE, asset.content_type.clone()));
        response.insert_header((header::VARY, "Accept-Encoding"));
        response.insert_header((
            header::CACHE_CONTROL,
            if asset.immutable {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            },
        ));
        let body = match (&asset.brotli, &asset.gzip) {
            (Some(br), _) if accept.contains("br") => {
                response.insert_header((header::CONTENT_ENCODING, "br"));
                br.clone()
            }
            (_, Some(gz)) if accept.contains("gzip") => {
                response.insert_header((header::CONTENT_ENCODING, "gzip"));
                gz.clone()
            }
            _ => asset.plain.clone(),
        };
        response.body(body)
    }
}

/// GET of any non-API path: the file if it exists, else `index.html` (client-side routing).
pub async fn serve_frontend(req: HttpRequest, assets: web::Data<StaticAssets>) -> HttpResponse {
    let path = req.path();
    if let Some(allow) = crate::routes::methods::not_allowed(req.method().as_str(), path) {
        return crate::error::ApiError::MethodNotAllowed { allow }.into_response();
    }
    if path.starts_with("/api/") || path == "/api" {
        return crate::error::ApiError::NotFound.into_response();
    }
    let key = if path == "/" { "/index.html" } else { path };
    if let Some(asset) = assets.files.get(key) {
        return assets.respond(&req, asset);
    }
    // A missing file with an extension is a real 404, not a page route.
    let last = path.rsplit('/').next().unwrap_or("");
    if last.contains('.') {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("not found");
    }
    match assets.files.get("/index.html") {
        Some(index) => assets.respond(&req, index),
        None => HttpResponse::NotFound().finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn only_content_hashed_names_are_cached_for_long() {
        assert!(is_hashed("app-1a2b3c4d5e6f.js"));
        assert!(is_hashed("app-1a2b3c4d5e6f_bg.wasm"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("style-main.css"));
    }
}
