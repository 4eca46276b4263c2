//! The currency of a VTEX store's carts. Master Data's `CL` document carries no currency
//! (stores.md §5: `rclastcartvalue` is a bare number) and the connector reads no orderForm, so
//! it is the currency of the store's country: ISO 3166 alpha-2 → ISO 4217, every country that
//! has one. A country not in the table has no currency here: the store is refused at setup
//! with a message saying so ([`super::Vtex::new`]), never given a guessed one (a guessed USD
//! would put the store's revenue under the wrong currency). UNCONFIRMED: a store selling in
//! another currency than its country's (a trade policy's currency) gets its country's.

/// `country currency` pairs, by region. Where a country uses two, the one shops price in.
const TABLE: &str = "\
AR ARS BO BOB BR BRL CL CLP CO COP CR CRC CU CUP DO DOP EC USD SV USD GT GTQ HN HNL MX MXN \
NI NIO PA USD PY PYG PE PEN PR USD UY UYU VE VES US USD CA CAD BZ BZD JM JMD TT TTD BS BSD \
BB BBD HT HTG GY GYD SR SRD AW AWG CW XCG SX XCG BQ USD AG XCD DM XCD GD XCD KN XCD LC XCD \
VC XCD AI XCD MS XCD KY KYD BM BMD VG USD VI USD TC USD GF EUR GP EUR MQ EUR BL EUR MF EUR \
PM EUR GL DKK FK FKP \
AD EUR AL ALL AT EUR AX EUR BA BAM BE EUR BG EUR BY BYN CH CHF CY EUR CZ CZK DE EUR DK DKK \
EE EUR ES EUR FI EUR FO DKK FR EUR GB GBP GG GBP GI GIP GR EUR HR EUR HU HUF IE EUR IM GBP \
IS ISK IT EUR JE GBP LI CHF LT EUR LU EUR LV EUR MC EUR MD MDL ME EUR MK MKD MT EUR NL EUR \
NO NOK PL PLN PT EUR RO RON RS RSD RU RUB SE SEK SI EUR SJ NOK SK EUR SM EUR UA UAH VA EUR \
XK EUR \
AE AED AF AFN AM AMD AZ AZN BD BDT BH BHD BN BND BT BTN CN CNY GE GEL HK HKD ID IDR IL ILS \
IN INR IQ IQD IR IRR JO JOD JP JPY KG KGS KH KHR KP KPW KR KRW KW KWD KZ KZT LA LAK LB LBP \
LK LKR MM MMK MN MNT MO MOP MV MVR MY MYR NP NPR OM OMR PH PHP PK PKR PS ILS QA QAR SA SAR \
SG SGD SY SYP TH THB TJ TJS TL USD TM TMT TR TRY TW TWD UZ UZS VN VND YE YER \
AO AOA BF XOF BI BIF BJ XOF BW BWP CD CDF CF XAF CG XAF CI XOF CM XAF CV CVE DJ DJF DZ DZD \
EG EGP EH MAD ER ERN ET ETB GA XAF GH GHS GM GMD GN GNF GQ XAF GW XOF KE KES KM KMF LR LRD \
LS LSL LY LYD MA MAD MG MGA ML XOF MR MRU MU MUR MW MWK MZ MZN NA NAD NE XOF NG NGN RE EUR \
RW RWF SC SCR SD SDG SH SHP SL SLE SN XOF SO SOS SS SSP ST STN SZ SZL TD XAF TG XOF TN TND \
TZ TZS UG UGX YT EUR ZA ZAR ZM ZMW ZW ZWG \
AU AUD NZ NZD FJ FJD PG PGK WS WST TO TOP VU VUV SB SBD KI AUD NR AUD TV AUD NC XPF PF XPF \
WF XPF CK NZD NU NZD GU USD AS USD MP USD FM USD MH USD PW USD";

/// The currency a store of this country (two letters, any case) sells in; None when the
/// country is not one the table knows.
pub(crate) fn of_country(country: &str) -> Option<&'static str> {
    let country = country.trim().to_ascii_uppercase();
    let mut words = TABLE.split_ascii_whitespace();
    while let (Some(code), Some(currency)) = (words.next(), words.next()) {
        if code == country {
            return Some(currency);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_country_has_its_own_currency_and_an_unknown_one_none() {
        for (country, currency) in [
            ("BR", "BRL"),
            ("AR", "ARS"),
            ("CL", "CLP"),
            ("CO", "COP"),
            ("PE", "PEN"),
            ("MX", "MXN"),
            ("UY", "UYU"),
            ("EC", "USD"),
            ("US", "USD"),
            ("ES", "EUR"),
            ("PT", "EUR"),
            ("FR", "EUR"),
            ("IT", "EUR"),
            ("DE", "EUR"),
            ("GB", "GBP"),
            ("PY", "PYG"),
            ("BO", "BOB"),
            ("GT", "GTQ"),
            ("CR", "CRC"),
            ("DO", "DOP"),
            ("PA", "USD"),
            ("CA", "CAD"),
            ("CH", "CHF"),
            ("RO", "RON"),
            ("ZA", "ZAR"),
            ("JP", "JPY"),
            ("in", "INR"),
        ] {
            assert_eq!(of_country(country), Some(currency), "{country}");
        }
        for unknown in ["", "XX", "ZZ", "B", "BRA", "EU"] {
            assert_eq!(of_country(unknown), None, "{unknown:?}: no currency is guessed");
        }
    }

    #[test]
    fn the_table_is_well_formed() {
        let words: Vec<&str> = TABLE.split_ascii_whitespace().collect();
        assert_eq!(words.len() % 2, 0, "pairs");
        let mut seen = std::collections::HashSet::new();
        for pair in words.chunks(2) {
            let (country, currency) = (pair[0], pair[1]);
            assert!(country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase()), "{country}");
            assert!(currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()), "{currency}");
            assert!(seen.insert(country), "{country} listed twice");
        }
        assert!(seen.len() > 200, "every country: {}", seen.len());
    }
}
