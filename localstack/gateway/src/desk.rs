//! Serves the built desk web app (`web/dist`) at `/desk/`, on the same origin as the API, the way
//! CloudFront serves it in AWS: static files, `index.html` for the app's own routes, long caching
//! for Vite's content-hashed assets only, and the same security headers.
use axum::body::Body;
use http::{HeaderValue, Request, Response, StatusCode, header};
use std::path::{Path, PathBuf};
use tower_http::services::{ServeDir, ServeFile};

/// Where the app is mounted; Vite builds it with `base: '/desk/'`.
pub const MOUNT: &str = "/desk";

/// No inline scripts or styles, nothing from another origin, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'self'; frame-ancestors 'none'";

/// Vite puts every content-hashed file under `assets/`: a new build gives them new names.
const HASHED_ASSETS: &str = "/desk/assets/";

#[derive(Clone)]
pub struct DeskApp {
    dist: PathBuf,
}

impl DeskApp {
    pub fn new(dist: impl Into<PathBuf>) -> Self {
        Self { dist: dist.into() }
    }

    /// `DESK_APP_DIR`, else the repository's `web/dist`.
    pub fn from_env() -> anyhow::Result<Self> {
        let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist");
        let dist = shared::config::optional("DESK_APP_DIR", default.display().to_string())?;
        Ok(Self::new(dist))
    }

    /// Answers a request whose path is `/desk` or starts with `/desk/`.
    pub async fn respond(&self, req: Request<Body>) -> Response<Body> {
        let path = req.uri().path().to_owned();
        let Some(rest) = path.strip_prefix(MOUNT) else {
            return plain(StatusCode::NOT_FOUND, "not part of the desk app\n");
        };
        if rest.is_empty() {
            let mut response = plain(StatusCode::PERMANENT_REDIRECT, "");
            response
                .headers_mut()
                .insert(header::LOCATION, HeaderValue::from_static("/desk/"));
            return with_security_headers(response);
        }
        let index = self.dist.join("index.html");
        if !index.is_file() {
            tracing::warn!(dist = %self.dist.display(), "desk app not built");
            let text = format!(
                "The desk web app is not built. Build it with `cd web && npm ci && npm run build` \
                 (expected in {}; DESK_APP_DIR sets another folder).\n",
                self.dist.display()
            );
            return with_security_headers(plain(StatusCode::SERVICE_UNAVAILABLE, &text));
        }
        let (mut parts, body) = req.into_parts();
        let mut uri = http::uri::Parts::default();
        let query = parts
            .uri
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        uri.path_and_query = format!("{rest}{query}").parse().ok();
        match http::Uri::from_parts(uri) {
            Ok(stripped) => parts.uri = stripped,
            Err(_) => return plain(StatusCode::BAD_REQUEST, "malformed path\n"),
        }
        let request = Request::from_parts(parts, body);
        // Unknown paths are the app's own routes (`/desk/board`): the app decides what they show.
        // A missing hashed asset stays a 404, not HTML under a script's name.
        let served = if path.starts_with(HASHED_ASSETS) {
            ServeDir::new(&self.dist).try_call(request).await
        } else {
            ServeDir::new(&self.dist)
                .fallback(ServeFile::new(&index))
                .try_call(request)
                .await
        };
        let response = match served {
            Ok(response) => response.map(Body::new),
            Err(err) => {
                tracing::error!(error = %err, "desk app file could not be read");
                plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the file could not be read\n",
                )
            }
        };
        let mut response = with_security_headers(response);
        let cache = if path.starts_with(HASHED_ASSETS) && response.status() == StatusCode::OK {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        response
    }
}

fn plain(status: StatusCode, text: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(text.to_owned()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn with_security_headers(mut response: Response<Body>) -> Response<Body> {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built_app() -> (DeskApp, PathBuf) {
        let dir = std::env::temp_dir().join(format!("desk-app-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html><title>Desk</title>").unwrap();
        std::fs::write(dir.join("assets/index-3f9a1c.js"), "console.log(1)").unwrap();
        std::fs::write(dir.join("assets/index-77b0e2.css"), "main{}").unwrap();
        (DeskApp::new(&dir), dir)
    }

    async fn get(app: &DeskApp, path: &str) -> (Response<Body>, String) {
        let req = Request::get(path).body(Body::empty()).unwrap();
        let (parts, body) = app.respond(req).await.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        (
            Response::from_parts(parts, Body::empty()),
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    fn header(response: &Response<Body>, name: header::HeaderName) -> &str {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn assert_security_headers(response: &Response<Body>) {
        let csp = header(response, header::CONTENT_SECURITY_POLICY);
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(header(response, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert_eq!(header(response, header::REFERRER_POLICY), "no-referrer");
    }

    #[tokio::test]
    async fn the_app_is_served_with_its_content_types_and_never_cached_index() {
        let (app, dir) = built_app();
        let (index, body) = get(&app, "/desk/").await;
        assert_eq!(index.status(), StatusCode::OK);
        assert!(header(&index, header::CONTENT_TYPE).starts_with("text/html"));
        assert_eq!(header(&index, header::CACHE_CONTROL), "no-cache");
        assert!(body.contains("<title>Desk</title>"));
        assert_security_headers(&index);

        let (script, body) = get(&app, "/desk/assets/index-3f9a1c.js").await;
        assert_eq!(script.status(), StatusCode::OK);
        assert!(header(&script, header::CONTENT_TYPE).contains("javascript"));
        assert!(header(&script, header::CACHE_CONTROL).contains("immutable"));
        assert_eq!(body, "console.log(1)");
        assert_security_headers(&script);

        let (style, _) = get(&app, "/desk/assets/index-77b0e2.css").await;
        assert!(header(&style, header::CONTENT_TYPE).starts_with("text/css"));

        let (missing, _) = get(&app, "/desk/assets/index-000000.js").await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn an_app_route_gets_index_html_and_the_bare_mount_redirects() {
        let (app, dir) = built_app();
        let (route, body) = get(&app, "/desk/board?day=2026-12-07").await;
        assert_eq!(route.status(), StatusCode::OK);
        assert!(header(&route, header::CONTENT_TYPE).starts_with("text/html"));
        assert_eq!(header(&route, header::CACHE_CONTROL), "no-cache");
        assert!(body.contains("<title>Desk</title>"));
        assert_security_headers(&route);

        let (bare, _) = get(&app, "/desk").await;
        assert_eq!(bare.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(header(&bare, header::LOCATION), "/desk/");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn an_unbuilt_app_answers_503_saying_how_to_build_it() {
        let app =
            DeskApp::new(std::env::temp_dir().join(format!("no-app-{}", uuid::Uuid::new_v4())));
        let (response, body) = get(&app, "/desk/").await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(header(&response, header::CONTENT_TYPE).starts_with("text/plain"));
        assert!(body.contains("npm run build"), "{body}");
    }
}
