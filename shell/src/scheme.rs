//! The WebKit glue of the renderer bridge: the `hostapi://` scheme on the
//! webview's context, each request answered by [`Bridge::handle`] through a
//! socketpair whose page end WebKit reads as the response body, so answers
//! (event streams above all) reach the page chunk by chunk.
//!
//! WebKit objects live on the GTK main thread only. A request waits in a
//! main-thread table under a number; the bridge task (on Tokio) knows only
//! that number and sends the head back with `MainContext::invoke`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::os::unix::net::UnixStream;

use renderer_bridge::{check_origin, Bridge, BridgeRequest, Refusal, SocketSink, SCHEME};
use webkit2gtk::gio::prelude::*;
use webkit2gtk::gio::{Cancellable, MemoryInputStream, UnixInputStream};
use webkit2gtk::glib::{self, MainContext};
use webkit2gtk::{
    SecurityManagerExt, URISchemeRequest, URISchemeRequestExt, URISchemeResponse,
    URISchemeResponseExt, WebContext, WebContextExt, WebView,
};

use agent_shell::actions::{self, ShellAction};

/// Where the shell's own actions arrive: the page that asked (its WebKit
/// view) and what it asked for. Called on the GTK main thread.
pub type ActionHandler = Box<dyn Fn(&WebView, ShellAction)>;

/// The largest request body the glue reads (the host's own limits are far
/// lower; this only bounds memory).
const MAX_BODY: usize = 64 << 20;

/// A request waiting for its head: the WebKit request and the page end of
/// its socketpair.
struct Pending {
    request: URISchemeRequest,
    body: UnixInputStream,
}

thread_local! {
    static PENDING: RefCell<HashMap<u64, Pending>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
}

/// Registers `hostapi://` on `context` (secure, CORS-enabled). Call on the
/// GTK main thread, before the first load.
/// `hostapi://shell/<action>` is answered here, by `on_action`, after the
/// same Origin check; everything else goes to the host through `bridge`.
pub fn register(
    context: &WebContext,
    bridge: Bridge,
    runtime: tokio::runtime::Handle,
    on_action: ActionHandler,
) {
    if let Some(security) = context.security_manager() {
        security.register_uri_scheme_as_secure(SCHEME);
        security.register_uri_scheme_as_cors_enabled(SCHEME);
    } else {
        tracing::error!("the WebKit context has no security manager; hostapi:// is not secure");
    }
    context.register_uri_scheme(SCHEME, move |request| {
        handle(request, &bridge, &runtime, &on_action);
    });
}

fn handle(
    request: &URISchemeRequest,
    bridge: &Bridge,
    runtime: &tokio::runtime::Handle,
    on_action: &ActionHandler,
) {
    let bridge_request = match read_request(request) {
        Ok(mut r) => {
            if !referer_under_root(&r.headers, &bridge.config().renderer_origin) {
                // Without an Origin the bridge refuses (403
                // bridge_origin_not_allowed) before anything reaches the host.
                r.headers
                    .retain(|(name, _)| !name.eq_ignore_ascii_case("origin"));
            }
            r
        }
        Err(message) => {
            request.finish_error(&mut glib::Error::new(glib::UriError::Failed, message));
            return;
        }
    };
    if actions::is_shell_uri(&bridge_request.uri) {
        let origin = &bridge.config().renderer_origin;
        let (status, body) = match check_origin(bridge.config(), &bridge_request.headers) {
            Err(refusal) => (refusal.status, refusal.body()),
            Ok(()) => match actions::parse(&bridge_request) {
                Ok(action) => match request.web_view() {
                    Some(view) => {
                        on_action(&view, action);
                        (202, br#"{"ok":true}"#.to_vec())
                    }
                    None => (Refusal::BAD_REQUEST.status, Refusal::BAD_REQUEST.body()),
                },
                Err(refusal) => (refusal.status, refusal.body()),
            },
        };
        answer_now(request, status, body, origin);
        return;
    }
    let (ours, theirs) = match UnixStream::pair() {
        Ok(pair) => pair,
        Err(error) => {
            tracing::error!(%error, "cannot create a socketpair for hostapi://");
            request.finish_error(&mut glib::Error::new(
                glib::UriError::Failed,
                "the bridge cannot answer",
            ));
            return;
        }
    };
    // SAFETY: `theirs` is an open socket we own; `take_fd` takes over its
    // descriptor (closed with the stream) and nothing else refers to it.
    let body = unsafe { UnixInputStream::take_fd(theirs) };
    let id = NEXT_ID.with(|next| {
        let id = next.get();
        next.set(id + 1);
        id
    });
    PENDING.with(|pending| {
        pending.borrow_mut().insert(
            id,
            Pending {
                request: request.clone(),
                body,
            },
        )
    });
    let origin = bridge.config().renderer_origin.clone();
    let bridge = bridge.clone();
    runtime.spawn(async move {
        let on_head = move |status: u16, headers: Vec<(String, String)>| {
            MainContext::default().invoke(move || respond(id, status, headers, &origin));
            Ok(())
        };
        match SocketSink::new(ours, on_head) {
            Ok(sink) => {
                if let Err(error) = bridge.handle(bridge_request, sink).await {
                    tracing::debug!(%error, "hostapi:// request ended with an error");
                }
            }
            Err(error) => tracing::error!(%error, "cannot set up the response socket"),
        }
        // Queued after the head (if any), so this only fails a request that
        // never got one.
        MainContext::default().invoke(move || fail_if_pending(id));
    });
}

/// Whether the request's one `Referer` is a page of the renderer origin
/// under `/desktop` (the preload sends its full URL). The `Origin` check in
/// the bridge cannot see paths, so this keeps a same-origin page outside
/// `/desktop` (e.g. `/desktopX`) from using the scheme by accident. It is
/// not a boundary against a hostile same-origin page, which can set its
/// `referrer` to any same-origin URL: the origin is the boundary.
fn referer_under_root(headers: &[(String, String)], origin: &str) -> bool {
    let mut referers = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("referer"))
        .map(|(_, value)| value);
    match (referers.next(), referers.next()) {
        (Some(referer), None) => agent_shell::renderer::RendererBase::from_url(origin)
            .is_ok_and(|base| base.allows(referer)),
        _ => false,
    }
}

/// The request as plain data: method, URI, headers, body (POST and the like).
fn read_request(request: &URISchemeRequest) -> Result<BridgeRequest, &'static str> {
    let uri = request.uri().ok_or("no URI")?.to_string();
    let method = request
        .http_method()
        .map(|m| m.to_string())
        .unwrap_or_else(|| "GET".to_owned());
    let mut headers = Vec::new();
    if let Some(map) = request.http_headers() {
        map.foreach(|name, value| headers.push((name.to_owned(), value.to_owned())));
    }
    let body = match request.http_body() {
        Some(stream) => Some(read_all(&stream)?),
        None => None,
    };
    Ok(BridgeRequest {
        method,
        uri,
        headers,
        body,
    })
}

fn read_all(stream: &webkit2gtk::gio::InputStream) -> Result<Vec<u8>, &'static str> {
    let mut body = Vec::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let count = stream
            .read(&mut buffer[..], None::<&Cancellable>)
            .map_err(|_| "cannot read the request body")?;
        if count == 0 {
            return Ok(body);
        }
        if body.len() + count > MAX_BODY {
            return Err("the request body is too large");
        }
        body.extend_from_slice(&buffer[..count]);
    }
}

/// On the main thread: answers request `id` with its head; the body follows
/// through the socket.
fn respond(id: u64, status: u16, headers: Vec<(String, String)>, origin: &str) {
    let Some(pending) = PENDING.with(|p| p.borrow_mut().remove(&id)) else {
        return;
    };
    let response = URISchemeResponse::new(&pending.body, -1);
    response.set_status(u32::from(status), None);
    let map = soup::MessageHeaders::new(soup::MessageHeadersType::Response);
    for (name, value) in &headers {
        if name.eq_ignore_ascii_case("content-type") {
            response.set_content_type(value);
        }
        map.append(name, value);
    }
    // CORS is the bridge's business on this path: the renderer origin may
    // read every answer; other origins were refused before the host.
    map.append("access-control-allow-origin", origin);
    map.append("access-control-expose-headers", "*");
    map.append("vary", "origin");
    response.set_http_headers(map);
    pending.request.finish_with_response(&response);
}

/// Answers a request at once with a small JSON body (the shell's actions
/// and their refusals). CORS as in [`respond`].
fn answer_now(request: &URISchemeRequest, status: u16, body: Vec<u8>, origin: &str) {
    let stream = MemoryInputStream::from_bytes(&glib::Bytes::from_owned(body.clone()));
    let response = URISchemeResponse::new(&stream, body.len() as i64);
    response.set_status(u32::from(status), None);
    response.set_content_type("application/json");
    let map = soup::MessageHeaders::new(soup::MessageHeadersType::Response);
    map.append("content-type", "application/json");
    map.append("access-control-allow-origin", origin);
    map.append("vary", "origin");
    response.set_http_headers(map);
    request.finish_with_response(&response);
}

/// On the main thread: fails request `id` if it never got a head.
fn fail_if_pending(id: u64) {
    if let Some(pending) = PENDING.with(|p| p.borrow_mut().remove(&id)) {
        pending.request.finish_error(&mut glib::Error::new(
            glib::UriError::Failed,
            "the bridge gave no answer",
        ));
    }
}
