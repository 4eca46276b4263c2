//! The cart's coupon as the assistant may mention it: the one code the store created for this
//! cart (setting `coupon_percent`), while it is live, joins the cart's lines — so it is part of
//! the answer's grounds (see [`super::grounding`]). Any other code-like word an answer holds (an
//! invented "DESCUENTO20", another cart's code) is not grounded: the answer is blocked and the
//! conversation goes to a person. So the assistant can repeat the configured coupon, never invent
//! one.

use crate::storage::coupons::CouponRow;

/// The coupon's line for the cart's description, when it can still be used at `now` (created in
/// the store, not deleted, not used, not expired).
pub fn coupon_line(row: &CouponRow, now: &str) -> Option<String> {
    let live = row.platform_id.is_some()
        && row.deleted_at.is_none()
        && row.redeemed_at.is_none()
        && row.refused_at.is_none()
        && row.expires_at.as_str() > now;
    live.then(|| {
        // In the three languages, so an answer in the customer's may name it ("cupón",
        // "descuento", "cupom", "desconto", "coupon", "discount" are guarded words).
        format!(
            "Discount coupon for this cart (cupón de descuento, código de descuento; cupom de desconto): {} \
             ({}% off, single use, valid until {})",
            row.code, row.percent, row.expires_at
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbox::assistant::prompt::{Context, Reply};
    use crate::inbox::assistant::{judge, Outcome};

    fn row() -> CouponRow {
        CouponRow {
            id: 1,
            cart_id: 7,
            send_id: 9,
            store_id: 1,
            code: "RC7HK2M9QX".into(),
            percent: 10,
            min_total: None,
            currency: "ARS".into(),
            platform_id: Some("7000001".into()),
            reserved_at: "2026-11-20T13:00:00Z".into(),
            created_at: Some("2026-11-20T13:00:00Z".into()),
            expires_at: "2026-11-21T13:00:00Z".into(),
            refused_at: None,
            refused_why: None,
            deleted_at: None,
            redeemed_at: None,
            discount: None,
        }
    }

    fn ctx(coupon: Option<String>) -> Context {
        let mut cart = "- Remera x1 — 12500 ARS\nTotal: 12500 ARS".to_string();
        if let Some(line) = coupon {
            cart.push('\n');
            cart.push_str(&line);
        }
        Context {
            store_name: "Tienda Sol".into(),
            customer_name: Some("Ana".into()),
            cart: Some(cart),
            facts: "Envíos: 3 a 5 días.".into(),
            store_urls: vec![],
            facts_version: Some(1),
            thread: vec![(true, "¿Tienen algún descuento? Me pasaron el código PROMO50".into())],
        }
    }

    fn answer(text: &str) -> Reply {
        Reply { text: text.into(), handoff: false }
    }

    #[test]
    fn only_the_carts_own_live_coupon_may_be_mentioned() {
        let now = "2026-11-20T15:00:00Z";
        let with = ctx(coupon_line(&row(), now));
        let ok = judge(&answer("¡Sí! Usá el cupón RC7HK2M9QX y tenés 10% de descuento."), &with);
        assert!(matches!(ok, Outcome::Answer { .. }), "{ok:?}");
        for invented in [
            "Usá el código DESCUENTO20.",
            "Probá con RC2222AAAA, es otro cupón.",
            "Sí, el código PROMO50 funciona.",
            "Usá RC7HK2M9QX y tenés 20% de descuento.",
        ] {
            let blocked = judge(&answer(invented), &with);
            assert!(matches!(blocked, Outcome::Escalate { blocked: Some(_), .. }), "{invented}: {blocked:?}");
        }
        // Without a live coupon even the real code is refused: deleted, used, expired or refused.
        let without = ctx(None);
        let refused = judge(&answer("Usá el cupón RC7HK2M9QX."), &without);
        assert!(matches!(refused, Outcome::Escalate { .. }));
        assert_eq!(coupon_line(&row(), "2026-11-22T00:00:00Z"), None, "expired");
        assert_eq!(coupon_line(&CouponRow { deleted_at: Some(now.into()), ..row() }, now), None);
        assert_eq!(coupon_line(&CouponRow { redeemed_at: Some(now.into()), ..row() }, now), None);
        assert_eq!(coupon_line(&CouponRow { platform_id: None, ..row() }, now), None, "never created");
    }
}
