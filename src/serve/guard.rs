//! Which requests the preview answers. A web page elsewhere can point a name it owns at this
//! machine (DNS rebinding) and read the preview, drafts included, through the visitor's
//! browser; such requests carry that name as `Host`. So only names the server knows are
//! answered: loopback addresses, `localhost`, the `--bind` address and the `--base-url` host.
//! A request made by another site's page (its `Origin`) is refused as well.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::uri::Authority;
use axum::http::{HeaderValue, Response, StatusCode, Uri, header};
use axum::middleware::Next;

/// The client's address, put on every request by the connection that received it.
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub SocketAddr);

/// The host names and addresses requests may be addressed to.
#[derive(Debug)]
pub struct Hosts {
    /// Names besides `localhost`: lower case, without a trailing dot.
    names: Vec<String>,
    ips: Vec<IpAddr>,
    /// Bound to every address (0.0.0.0 or ::): which addresses the machine has is not known
    /// here, so any address is accepted. A rebinding page cannot use one: its own origin
    /// would then be that address, with no name to point elsewhere.
    any_ip: bool,
}

impl Hosts {
    /// `base_url` has been checked to hold a host.
    pub fn new(bind: IpAddr, base_url: Option<&Uri>) -> Hosts {
        let mut hosts = Hosts {
            names: Vec::new(),
            ips: Vec::new(),
            any_ip: bind.is_unspecified(),
        };
        if !bind.is_unspecified() && !bind.is_loopback() {
            hosts.ips.push(bind.to_canonical());
        }
        if let Some(host) = base_url.and_then(Uri::host) {
            match ip(host) {
                Some(a) => hosts.ips.push(a),
                None => hosts.names.push(name(host)),
            }
        }
        hosts
    }

    /// Whether `host` (a `Host` header or an authority: host and optional port) is this server.
    fn allows(&self, authority: &str) -> bool {
        let Ok(a) = authority.parse::<Authority>() else {
            return false;
        };
        // User info has no place in a Host header; a browser never sends one.
        if a.as_str().contains('@') {
            return false;
        }
        match ip(a.host()) {
            Some(addr) => addr.is_loopback() || self.any_ip || self.ips.contains(&addr),
            None => {
                let n = name(a.host());
                n == "localhost" || self.names.contains(&n)
            }
        }
    }

    /// The accepted names, for the refusal's text.
    fn listed(&self) -> String {
        let mut all = vec!["localhost".to_string(), "127.0.0.1".into(), "[::1]".into()];
        all.extend(self.names.iter().cloned());
        all.extend(self.ips.iter().map(|a| match a {
            IpAddr::V4(a) => a.to_string(),
            IpAddr::V6(a) => format!("[{a}]"),
        }));
        if self.any_ip {
            all.push("any IP address of this machine".into());
        }
        all.join(", ")
    }

    /// Why `req` is refused, or None when it is answered.
    fn refuse(&self, req: &Request) -> Option<String> {
        let hosts: Vec<&HeaderValue> = req.headers().get_all(header::HOST).iter().collect();
        // An absolute request target names the host too, and wins over Host (RFC 9112 3.2.2).
        let target = req.uri().authority().map(Authority::as_str);
        if hosts.len() > 1 {
            return Some("The request has more than one Host header.".into());
        }
        let named = target
            .into_iter()
            .chain(hosts.iter().map(|h| h.to_str().unwrap_or("\u{fffd}")));
        for host in named {
            if !self.allows(host) {
                return Some(format!(
                    "It was addressed to {}.\nkb serve answers only requests addressed to {}.\n\
                     To reach it by another name, start it with --base-url http://NAME:PORT/ \
                     (and --bind ADDRESS to listen beyond this machine).",
                    shown(host),
                    self.listed()
                ));
            }
        }
        // No Host at all (HTTP/1.0): no browser sends that, so no page can be behind it;
        // still, only a client on this machine is answered.
        let local = req
            .extensions()
            .get::<Peer>()
            .is_some_and(|Peer(p)| p.ip().to_canonical().is_loopback());
        if hosts.is_empty() && target.is_none() && !local {
            return Some(
                "The request has no Host header; only clients on this machine may omit it.".into(),
            );
        }
        for origin in req.headers().get_all(header::ORIGIN) {
            let text = origin.to_str().unwrap_or("\u{fffd}");
            let ok = text.parse::<Uri>().ok().is_some_and(|u| {
                matches!(u.scheme_str(), Some("http" | "https"))
                    && u.path() == "/"
                    && u.authority().is_some_and(|a| self.allows(a.as_str()))
            });
            if !ok {
                return Some(format!(
                    "It was sent by a page at {}.\nkb serve answers only its own pages and pages \
                     at {}. To add a name, start it with --base-url http://NAME:PORT/.",
                    shown(text),
                    self.listed()
                ));
            }
        }
        None
    }
}

/// The host part, lower case and without a trailing dot (`localhost.` is `localhost`).
fn name(host: &str) -> String {
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

/// The address a host part (`127.0.0.1`, `[::1]`) names, if it is one.
fn ip(host: &str) -> Option<IpAddr> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse::<IpAddr>().ok().map(|a| a.to_canonical())
}

/// A header value quoted for the refusal's text (escaped, and cut short).
fn shown(value: &str) -> String {
    let cut: String = value.chars().take(100).collect();
    format!("{cut:?}")
}

/// Refuses, with 403 and a plain-text reason, every request not addressed to this server.
pub async fn guard(State(hosts): State<Arc<Hosts>>, req: Request, next: Next) -> Response<Body> {
    let Some(why) = hosts.refuse(&req) else {
        return next.run(req).await;
    };
    let mut res = Response::new(Body::from(format!("403 Forbidden\n\n{why}\n")));
    *res.status_mut() = StatusCode::FORBIDDEN;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(host: Option<&str>, origin: Option<&str>, peer: &str) -> Request {
        let mut b = Request::builder().uri("/incidents.json");
        if let Some(h) = host {
            b = b.header(header::HOST, h);
        }
        if let Some(o) = origin {
            b = b.header(header::ORIGIN, o);
        }
        let mut req = b.body(Body::empty()).unwrap();
        req.extensions_mut().insert(Peer(peer.parse().unwrap()));
        req
    }

    #[test]
    fn host_forms() {
        let local = Hosts::new("127.0.0.1".parse().unwrap(), None);
        for ok in [
            "localhost",
            "LocalHost:1111",
            "localhost.:1111",
            "127.0.0.1:1111",
            "127.0.0.2",
            "[::1]:1111",
            "[0:0:0:0:0:0:0:1]",
            "[::ffff:127.0.0.1]:80",
        ] {
            assert!(local.allows(ok), "{ok}");
        }
        for bad in [
            "evil.example.com:1111",
            "localhost.evil.example.com",
            "127.0.0.1.nip.io",
            "user@localhost",
            "192.168.1.20:1111",
            "[::1",
            "",
            "%6cocalhost",
        ] {
            assert!(!local.allows(bad), "{bad}");
        }
        let lan = Hosts::new(
            "0.0.0.0".parse().unwrap(),
            Some(&"http://DevBox.example:1111/".parse().unwrap()),
        );
        assert!(lan.allows("192.168.1.20:1111"));
        assert!(lan.allows("devbox.example:1111"));
        assert!(!lan.allows("evil.example.com"));
        let one = Hosts::new("192.168.1.20".parse().unwrap(), None);
        assert!(one.allows("192.168.1.20:1111") && !one.allows("192.168.1.21:1111"));
    }

    #[test]
    fn no_host_only_from_this_machine_and_origins_are_checked() {
        let hosts = Hosts::new("0.0.0.0".parse().unwrap(), None);
        assert!(
            hosts
                .refuse(&request(None, None, "127.0.0.1:5000"))
                .is_none()
        );
        assert!(hosts.refuse(&request(None, None, "[::1]:5000")).is_none());
        assert!(
            hosts
                .refuse(&request(None, None, "192.168.1.7:5000"))
                .is_some()
        );
        let host = Some("localhost:1111");
        for ok in ["http://localhost:1111", "http://127.0.0.1:1111"] {
            assert!(
                hosts
                    .refuse(&request(host, Some(ok), "127.0.0.1:1"))
                    .is_none()
            );
        }
        for bad in [
            "null",
            "http://evil.example.com",
            "file://",
            "http://localhost:1111/x",
        ] {
            assert!(
                hosts
                    .refuse(&request(host, Some(bad), "127.0.0.1:1"))
                    .is_some(),
                "{bad}"
            );
        }
    }
}
