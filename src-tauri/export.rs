//! `recupero export`: carts, sends, messages or contacts as JSON (an array) or CSV (a header row
//! then one row per record), written to any writer. Amounts stay decimal text, instants UTC.
//! A CSV cell a spreadsheet would run as a formula (one starting with `=`, `+`, `-`, `@`, a tab
//! or a carriage return, other than a plain number) is written with a leading `'`, so a
//! customer's name or message can never become a formula on the owner's computer.

use std::io::Write;

use serde::Serialize;

use crate::storage::{carts::CartRow, contacts::ContactRow, messages::MessageRow, sends::SendRow};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportKind {
    Carts,
    Sends,
    Messages,
    Contacts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Csv,
}

pub enum Rows {
    Carts(Vec<CartRow>),
    Sends(Vec<SendRow>),
    Messages(Vec<MessageRow>),
    Contacts(Vec<ContactRow>),
}

impl Rows {
    pub fn len(&self) -> usize {
        match self {
            Rows::Carts(r) => r.len(),
            Rows::Sends(r) => r.len(),
            Rows::Messages(r) => r.len(),
            Rows::Contacts(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn write(&self, format: Format, out: impl Write) -> anyhow::Result<()> {
        match self {
            Rows::Carts(r) => write_rows(r, format, out),
            Rows::Sends(r) => write_rows(r, format, out),
            Rows::Messages(r) => write_rows(r, format, out),
            Rows::Contacts(r) => write_rows(r, format, out),
        }
    }
}

fn write_rows<T: Serialize + Default>(rows: &[T], format: Format, mut out: impl Write) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, rows)?;
            writeln!(out)?;
        }
        Format::Csv => {
            // Written once as the `csv` crate serialises the rows, then every cell neutralised.
            let mut w = csv::Writer::from_writer(Vec::new());
            if rows.is_empty() {
                // Still print the header so a spreadsheet opens with named columns.
                w.write_record(header_of::<T>())?;
            }
            for row in rows {
                w.serialize(row)?;
            }
            let raw = w.into_inner().map_err(|e| anyhow::anyhow!("while writing the CSV: {e}"))?;
            let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_reader(raw.as_slice());
            let mut w = csv::Writer::from_writer(out);
            for record in rdr.records() {
                w.write_record(record?.iter().map(|cell| neutralised(cell).into_owned()))?;
            }
            w.flush()?;
        }
    }
    Ok(())
}

/// The cell as a spreadsheet may safely open it: a leading `'` before `=`, `+`, `-`, `@`, a tab
/// or a carriage return (OWASP's CSV-injection advice); a plain number such as `-12.50` stays.
pub fn neutralised(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number =
        cell.parse::<f64>().is_ok() && cell.bytes().all(|b| b.is_ascii_digit() || b"+-.".contains(&b));
    if risky && !number {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// Column names of an empty table: the header csv would write for a default row, so the
/// columns always follow the row type's own fields.
fn header_of<T: Serialize + Default>() -> Vec<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    if w.serialize(T::default()).is_err() {
        return Vec::new();
    }
    let bytes = w.into_inner().unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let header = text.lines().next().unwrap_or_default();
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(header.as_bytes())
        .records()
        .next()
        .and_then(Result::ok)
        .map(|r| r.iter().map(str::to_string).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_csv_still_has_the_named_columns() {
        let mut out = Vec::new();
        Rows::Sends(Vec::new()).write(Format::Csv, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("id,cartId,step,state,dueAt"), "{text}");
    }

    #[test]
    fn csv_quotes_commas_newlines_and_keeps_unicode() {
        let row = CartRow {
            id: 1,
            store: "Tienda, \"La Única\"".into(),
            first_name: Some("Zoë 🛒\nنور".into()),
            total: "1234.50".into(),
            currency: "ARS".into(),
            ..Default::default()
        };
        let mut out = Vec::new();
        Rows::Carts(vec![row]).write(Format::Csv, &mut out).unwrap();
        let mut rdr = csv::Reader::from_reader(out.as_slice());
        let rec = rdr.records().next().unwrap().unwrap();
        assert_eq!(&rec[1], "Tienda, \"La Única\"", "a comma and quotes survive a round trip");
        assert_eq!(&rec[3], "Zoë 🛒\nنور");
        assert_eq!(&rec[7], "1234.50", "amounts stay decimal text");
    }

    #[test]
    fn csv_cells_a_spreadsheet_would_run_as_formulas_are_neutralised() {
        let row = CartRow {
            id: 1,
            store: "=HYPERLINK(\"http://x\",\"y\")".into(),
            first_name: Some("@SUM(1+1)".into()),
            total: "-12.50".into(),
            currency: "+cmd|' /C calc'!A0".into(),
            ..Default::default()
        };
        let mut out = Vec::new();
        Rows::Carts(vec![row]).write(Format::Csv, &mut out).unwrap();
        let mut rdr = csv::Reader::from_reader(out.as_slice());
        let rec = rdr.records().next().unwrap().unwrap();
        assert_eq!(&rec[1], "'=HYPERLINK(\"http://x\",\"y\")");
        assert_eq!(&rec[3], "'@SUM(1+1)");
        assert_eq!(&rec[7], "-12.50", "a plain negative number stays a number");
        assert_eq!(&rec[6], "'+cmd|' /C calc'!A0");
        for cell in ["-1+2", "\tx", "\rx", "-"] {
            assert!(neutralised(cell).starts_with('\''), "{cell:?}");
        }
        for cell in ["12", "-3", "+4.5", "a=b", "", "Zoë"] {
            assert_eq!(neutralised(cell), cell);
        }
    }

    #[test]
    fn json_export_is_an_array_of_objects() {
        let mut out = Vec::new();
        Rows::Contacts(Vec::new()).write(Format::Json, &mut out).unwrap();
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&out).unwrap(), serde_json::json!([]));
    }
}
