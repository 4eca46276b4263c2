//! The Results figures through the real binary: `status --json` carries the same figures as
//! `results --json`, they agree with the carts the export lists, the CSV parses, and the rate
//! table can be edited (and refuses a bad row) from the command line.

use std::collections::BTreeMap;

use recupero::clock::Clock;
use rust_decimal::Decimal;

use crate::support::{recupero, text};

fn json(dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let out = recupero(dir, args, None);
    assert!(out.status.success(), "recupero {}: {}", args.join(" "), text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("recupero {}: {e}", args.join(" ")))
}

#[test]
fn status_and_results_report_the_same_figures_and_the_csv_parses() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (k, v) in [("timezone", "America/Argentina/Buenos_Aires"), ("default_country", "AR")] {
        assert!(recupero(d, &["config", "set", k, v], None).status.success());
    }
    // A simulated day that ended before now, so it lies inside the default "last 30 days".
    let start = recupero::clock::SystemClock.now() - chrono::Duration::days(3);
    let start = start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let out = recupero(d, &["demo", "--days", "1", "--start", &start], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The demo's data is in its own folder, beside the owner's.
    let demo = d.join("demo");
    let d = demo.as_path();

    let (status, results) = {
        let (s, r) = (json(d, &["status", "--json"]), json(d, &["results", "--json"]));
        if s["results"]["to"] == r["to"] {
            (s, r)
        } else {
            // The shop's midnight passed between the two commands: ask again.
            (json(d, &["status", "--json"]), json(d, &["results", "--json"]))
        }
    };
    assert_eq!(status["results"], results, "status --json carries exactly the Results figures");
    let carts = &results["carts"];
    let n = |v: &serde_json::Value| v.as_u64().unwrap_or_else(|| panic!("a count: {v}"));
    assert!(n(&carts["messaged"]) > 0 && n(&carts["detected"]) >= n(&carts["withPhone"]), "{results}");
    assert_eq!(
        n(&carts["messaged"]) + n(&carts["holdout"]) + n(&carts["notSent"]) + n(&carts["pending"]),
        n(&carts["withPhone"]),
        "the funnel adds up: {carts}"
    );
    assert_eq!(results["recovery"]["denominator"], carts["messaged"], "recovery is out of messaged carts");
    assert_eq!(results["daily"].as_array().unwrap().len(), 30, "the last 30 days, one row each");

    // The same recovered carts and revenue as the tracker recorded, read through the export.
    let exported = json(d, &["export", "carts", "--format", "json"]);
    let (from, to) = (results["from"].as_str().unwrap(), results["to"].as_str().unwrap());
    let mut revenue: BTreeMap<String, Decimal> = BTreeMap::new();
    let (mut recovered, mut converted) = (0, 0);
    for cart in exported.as_array().unwrap() {
        let detected = cart["detectedAt"].as_str().unwrap();
        let inside = from <= detected && detected < to;
        // Intention to treat: a purchase after opting out converts too (the demo lasts a day,
        // so inside the window), though it earns no revenue.
        converted += u64::from(inside && cart["outcome"] == "bought_after_optout");
        if cart["outcome"] == "recovered" && inside {
            recovered += 1;
            let total: Decimal = cart["total"].as_str().unwrap().parse().unwrap();
            *revenue.entry(cart["currency"].as_str().unwrap().to_string()).or_default() += total;
        }
    }
    assert_eq!(results["recovery"]["count"], recovered + converted, "{results}");
    let reported: BTreeMap<String, Decimal> = results["revenue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (a["currency"].as_str().unwrap().to_string(), a["amount"].as_str().unwrap().parse().unwrap())
        })
        .collect();
    assert_eq!(reported, revenue, "revenue per currency, never summed across currencies");

    // The CSV: a header, one row per day, the same counts.
    let out = recupero(d, &["results", "--csv"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut rdr = csv::Reader::from_reader(out.stdout.as_slice());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(&header[..3], ["date", "detected", "messaged"]);
    let rows: Vec<csv::StringRecord> = rdr.records().collect::<Result<_, _>>().expect("RFC 4180 CSV");
    assert_eq!(rows.len(), 30);
    let column = |i: usize| rows.iter().map(|r| r[i].parse::<u64>().unwrap()).sum::<u64>();
    assert_eq!(column(1), n(&carts["detected"]));
    assert_eq!(column(2), n(&carts["messaged"]));

    // A chosen period in shop days, both ends included.
    let day = results["daily"][27]["start"].as_str().unwrap();
    let one = json(d, &["results", "--json", "--from", day, "--to", day]);
    assert_eq!(one["daily"].as_array().unwrap().len(), 1);
    assert_eq!(one["carts"]["detected"], results["daily"][27]["detected"]);
}

#[test]
fn the_rate_table_is_edited_from_a_file_and_bad_rows_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let shipped = json(d, &["rates", "--json"]);
    assert_eq!(shipped["edited"], false);
    assert!(shipped["rates"].as_array().unwrap().iter().any(|r| r["country"] == "*"), "a fallback row");

    let bad = d.join("bad.json");
    std::fs::write(&bad, r#"[{"country":"AR","category":"marketing","currency":"ARS","price":"-3"}]"#)
        .unwrap();
    let out = recupero(d, &["rates", "set", "--file", bad.to_str().unwrap()], None);
    assert!(!out.status.success(), "a negative price is refused");
    assert!(text(&out.stderr).contains("row 1"), "says which row: {}", text(&out.stderr));
    assert_eq!(json(d, &["rates", "--json"]), shipped, "a refused edit changes nothing");

    // What `rates --json` prints can be edited and given back.
    let mut edited = shipped.clone();
    edited["rates"] =
        serde_json::json!([{ "country": "ar", "category": "marketing", "currency": "ars", "price": "55.5" }]);
    let good = d.join("good.json");
    std::fs::write(&good, edited.to_string()).unwrap();
    let out = recupero(d, &["rates", "set", "--file", good.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = json(d, &["rates", "--json"]);
    assert_eq!(table["edited"], true);
    assert_eq!(
        table["rates"],
        serde_json::json!([{ "country": "AR", "category": "marketing", "currency": "ARS", "price": "55.5" }])
    );
    assert_eq!(json(d, &["results", "--json"])["cost"]["ratesAsOf"], table["asOf"]);

    assert!(recupero(d, &["rates", "reset"], None).status.success());
    assert_eq!(json(d, &["rates", "--json"]), shipped);
}
