use super::*;

const FACTS: &str = "Envíos a todo el país por Andreani: 3 a 5 días hábiles, $ 4.500. \
                     Gratis desde $ 50.000. Pagás con tarjeta en 3 cuotas sin interés o 10% off por transferencia. \
                     Cambios dentro de los 30 días. Retiro en Palermo de lunes a viernes.";
const CART: &str = "Remera azul (M) x2 — total ARS 58.070,50 — https://tienda.example/recover/abc?t=1";

fn ok(answer: &str) -> Result<(), Ungrounded> {
    check(answer, &[FACTS, CART, "Hola, ¿cuánto sale el envío? ¿Tienen descuento?"])
}

#[test]
fn answers_built_from_the_inputs_pass() {
    assert_eq!(ok("¡Hola! El envío sale $4.500 y llega en 3 a 5 días hábiles 🚚"), Ok(()));
    assert_eq!(ok("Desde $50.000 el envío es gratis."), Ok(()));
    assert_eq!(ok("Con transferencia tenés 10% off, y con tarjeta 3 cuotas sin interés."), Ok(()));
    assert_eq!(
        ok("Tu total es $ 58.070,50. Podés terminar acá: https://tienda.example/recover/abc?t=1"),
        Ok(())
    );
    assert_eq!(ok("Podés retirar en Palermo de lunes a viernes."), Ok(()));
    assert_eq!(ok("No tenemos descuentos por ahora, pero el envío es gratis desde $ 50.000"), Ok(()));
}

#[test]
fn invented_amounts_percentages_dates_links_and_promotions_are_blocked() {
    let claim = |a: &str| ok(a).unwrap_err().claim;
    assert_eq!(claim("Te hago un 15% de descuento si comprás hoy"), "15%");
    assert_eq!(claim("El envío sale $ 3.900"), "3.900");
    assert_eq!(claim("Te llega el 12/12"), "12");
    assert_eq!(claim("Te llega el sábado"), "sabado");
    assert_eq!(claim("Lo tenés mañana"), "manana");
    assert_eq!(claim("Usá el cupón VERANO"), "cupon");
    assert_eq!(claim("Pagá acá: https://evil.example/pay"), "https://evil.example/pay");
    // A number from the facts is not a licence for it as a percentage.
    assert_eq!(claim("Tenés 30% off"), "30%");
}

#[test]
fn number_formats_are_read_both_ways() {
    let v = |s: &str| interpretations(s).iter().map(|d| d.to_string()).collect::<Vec<_>>();
    assert_eq!(v("1234"), ["1234"]);
    assert_eq!(v("58.07"), ["58.07"]);
    assert_eq!(v("50.000"), ["50", "50000"]);
    assert_eq!(v("1.234,50"), ["1234.5"]);
    assert_eq!(v("1,234.50"), ["1234.5"]);
    assert_eq!(v("1.234.567"), ["1234567"]);
    assert_eq!(numbers("sale 10 %, o 3x2")[0].text, "10%");
}

#[test]
fn no_numbers_no_problem_and_odd_text_never_panics() {
    assert_eq!(check("¡Gracias por escribir! 🙌", &[]), Ok(()));
    assert_eq!(check("مرحبا 👋🏽 ..,,%%", &["x"]), Ok(()));
    assert!(check("9999999999999999999999999999999999999999", &[]).is_err());
}

/// Only the shop's own texts: facts, cart, store name and address.
fn shop(answer: &str) -> Result<(), Ungrounded> {
    check(answer, &[FACTS, CART, "Tienda Sol", "https://www.tienda.example"])
}

#[test]
fn links_are_found_in_any_case_inside_brackets_markdown_or_bare() {
    let claim = |a: &str| shop(a).unwrap_err().claim;
    assert_eq!(claim("Pagá en some-domain.example/pay"), "some-domain.example/pay");
    assert_eq!(claim("Pagá acá: HTTPS://evil.example/pay"), "HTTPS://evil.example/pay");
    assert_eq!(claim("Pagá en [tu carrito](https://evil.example/pay)."), "https://evil.example/pay");
    assert_eq!(claim("Pagá en (https://evil.example/pay)"), "https://evil.example/pay");
    assert_eq!(claim("Escribinos a pagos@evil.example"), "pagos@evil.example");
    assert_eq!(
        claim("Mirá tienda.example/otra-cosa"),
        "tienda.example/otra-cosa",
        "a path the shop never gave"
    );
    // The shop's own links, written any way, and its bare domain pass.
    assert_eq!(shop("Terminá acá: tienda.example/recover/abc?t=1"), Ok(()));
    assert_eq!(shop("Terminá acá: HTTPS://TIENDA.example/recover/abc?t=1"), Ok(()));
    assert_eq!(shop("Terminá [acá](https://tienda.example/recover/abc?t=1)"), Ok(()));
    assert_eq!(shop("Estamos en www.tienda.example"), Ok(()));
}

#[test]
fn promotion_words_in_spanish_portuguese_and_english_are_guarded() {
    let claim = |a: &str| shop(a).unwrap_err().claim;
    assert_eq!(claim("El envío es sin cargo"), "sin cargo");
    assert_eq!(claim("Te lo dejamos a mitad de precio"), "mitad de precio");
    assert_eq!(claim("Frete grátis pra você"), "frete gratis");
    assert_eq!(claim("Pela metade do preço!"), "metade do preco");
    assert_eq!(claim("Half price today"), "half price");
    assert_eq!(claim("Free shipping on your order"), "free shipping");
    assert_eq!(claim("It's free!"), "free");
    // Grounded by the facts ("Gratis desde $ 50.000"), and harmless phrases.
    assert_eq!(shop("El envío es gratis desde $ 50.000"), Ok(()));
    assert_eq!(shop("Feel free to ask anything 🙂"), Ok(()));
}

#[test]
fn numbers_in_words_are_checked_like_digits() {
    let claim = |a: &str| shop(a).unwrap_err().claim;
    assert_eq!(claim("Te hacemos un treinta por ciento menos"), "treinta");
    assert_eq!(claim("Tenés veinticinco por ciento"), "veinticinco");
    assert_eq!(claim("Ganhe vinte e cinco por cento"), "vinte e cinco");
    assert_eq!(claim("Get twenty-five percent back"), "twenty five");
    assert_eq!(claim("Te hacemos 30 por ciento"), "30%");
    assert_eq!(claim("Un once por ciento menos"), "once");
    assert_eq!(claim("Te cobramos dos mil pesos"), "dos mil");
    assert_eq!(claim("Pagás un porcentaje menos, el quince por ciento"), "quince");
    assert_eq!(claim("Tenés un descuento del por ciento"), "por ciento");
    // What the shop wrote, in words or digits, passes; ordinary words that are also numbers pass.
    assert_eq!(shop("Tenés tres cuotas sin interés"), Ok(()));
    assert_eq!(shop("Con transferencia tenés diez por ciento off"), Ok(()));
    assert_eq!(shop("Ten en cuenta que el envío tarda 3 a 5 días hábiles"), Ok(()));
    assert_eq!(shop("Once you pay, it ships in 3 to 5 days"), Ok(()));
    assert_eq!(shop("Te llega en un paquete"), Ok(()));
}

#[test]
fn coupon_like_codes_must_come_from_the_shop() {
    let claim = |a: &str| shop(a).unwrap_err().claim;
    assert_eq!(claim("Usá BLACKWEEK al pagar"), "BLACKWEEK");
    assert_eq!(claim("Usá Verano-3 al pagar"), "Verano-3");
    assert_eq!(check("Usá ANA20 al pagar", &["Código ANA20: 20% off"]), Ok(()));
    assert_eq!(shop("Si no querés más mensajes, respondé BAJA."), Ok(()));
    assert_eq!(check("Retiro de 10 a 18hs, talle XL", &["Retiro de 10 a 18 hs"]), Ok(()));
}

proptest::proptest! {
    #[test]
    fn any_text_is_checked_without_panicking(answer in "\\PC{0,200}", ground in "\\PC{0,200}") {
        let _ = check(&answer, &[&ground]);
        let _ = check(&format!("{answer} treinta y {ground} por ciento HTTPS://{ground}"), &[&answer]);
    }
}
