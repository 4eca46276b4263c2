//! What every outgoing HTTP client of the app shares (store connectors, WhatsApp, the
//! assistant): the User-Agent it names itself with, and which addresses count as loopback,
//! the only places credentials may travel over plain HTTP.

use url::Url;

/// Tiendanube answers 400 without a User-Agent naming the app and a contact.
pub const USER_AGENT: &str = concat!(
    "Recupero/",
    env!("CARGO_PKG_VERSION"),
    " (desktop cart recovery; https://github.com/recupero-app/recupero)"
);

/// True for 127.0.0.0/8, ::1 and `localhost`: the sandbox and tests. Credentials over plain
/// HTTP are only sent there.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_recognised() {
        for (url, expected) in [
            ("http://127.0.0.1:1", true),
            ("http://[::1]:1", true),
            ("http://localhost:1", true),
            ("https://shop.example", false),
            ("http://10.0.0.1", false),
        ] {
            assert_eq!(is_loopback(&Url::parse(url).unwrap()), expected, "{url}");
        }
    }
}
