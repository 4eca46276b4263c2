//! The sandbox store as the owner would connect it: its address and credentials for one
//! platform, in Argentina.

use recupero::sandbox::Sandbox;
use recupero::secrets::Sensitive;
use recupero::stores::{Platform, StoreInput};

/// What the owner types to connect `sandbox` as a `platform` store (the platform's own
/// credentials, country AR, default page size).
pub fn store_input(sandbox: &Sandbox, platform: Platform) -> StoreInput {
    let c = sandbox.config();
    let secret = |v: &str| Some(Sensitive::new(v.to_string()));
    let mut input = StoreInput {
        platform: platform.as_str().into(),
        base_url: sandbox.base_url(),
        country: Some("AR".into()),
        ..Default::default()
    };
    match platform {
        Platform::Tiendanube => {
            input.store_id = Some(c.tiendanube_store_id.clone());
            input.token = secret(&c.token);
        }
        Platform::Shopify => input.token = secret(&c.token),
        Platform::Woocommerce => {
            input.key = secret(&c.woo_key);
            input.secret = secret(&c.woo_secret);
        }
        Platform::Jumpseller => {
            input.key = secret(&c.jumpseller_login);
            input.secret = secret(&c.jumpseller_token);
            input.country = Some("CL".into());
        }
        Platform::Prestashop => {
            input.token = secret(&c.prestashop_key);
            input.country = Some("ES".into());
        }
        // A VTEX account sells in one country: the sandbox's is Brazilian.
        Platform::Vtex => {
            input.key = secret(&c.vtex_app_key);
            input.secret = secret(&c.vtex_app_token);
            input.country = Some("BR".into());
        }
    }
    input
}
