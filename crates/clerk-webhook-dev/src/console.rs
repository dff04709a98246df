//! The console page at `/`: HTML, CSS and JavaScript embedded in the binary, no build step.

use axum::http::header;
use axum::response::IntoResponse;

const PAGE: &str = include_str!("console/index.html");

/// The page.
pub(crate) async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            ),
        ],
        PAGE,
    )
}
