//! Just enough GraphQL for the Shopify sandbox: parse one operation (a query or a mutation) into
//! its selection set (fields, arguments, inline fragments, variables), answer with only the fields
//! asked for, refuse a
//! field the type doesn't have, and estimate the query's cost the way Shopify documents it
//! (objects 1, scalars 0, connections `first` × their selection + 2).

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Var(String),
    Int(i64),
    Str(String),
    Enum(String),
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub args: Vec<(String, Arg)>,
    pub selection: Vec<Selection>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    Field(Field),
    Inline { on: String, selection: Vec<Selection> },
}

impl Field {
    pub fn arg(&self, name: &str) -> Option<&Arg> {
        self.args.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Punct(char),
    Spread,
    Name(String),
    Str(String),
    Num(String),
}

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() || c == ',' => i += 1,
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '.' if chars.get(i..i + 3) == Some(&['.', '.', '.']) => {
                out.push(Tok::Spread);
                i += 3;
            }
            '{' | '}' | '(' | ')' | ':' | '!' | '$' | '=' | '@' | '[' | ']' => {
                out.push(Tok::Punct(c));
                i += 1;
            }
            '"' => {
                let mut s = String::new();
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    if let Some(&ch) = chars.get(i) {
                        s.push(ch);
                    }
                    i += 1;
                }
                if i >= chars.len() {
                    return Err("unterminated string".into());
                }
                i += 1;
                out.push(Tok::Str(s));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push(Tok::Name(chars[start..i].iter().collect()));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                out.push(Tok::Num(chars[start..i].iter().collect()));
            }
            other => return Err(format!("unexpected character {other:?}")),
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn expect(&mut self, c: char) -> Result<(), String> {
        match self.next() {
            Some(Tok::Punct(p)) if p == c => Ok(()),
            other => Err(format!("expected '{c}', found {other:?}")),
        }
    }
    fn name(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Tok::Name(n)) => Ok(n),
            other => Err(format!("expected a name, found {other:?}")),
        }
    }

    /// Skips a balanced `(...)` or `[...]` group (variable definitions, list values).
    fn skip_group(&mut self, open: char, close: char) -> Result<(), String> {
        self.expect(open)?;
        let mut depth = 1;
        while depth > 0 {
            match self.next() {
                Some(Tok::Punct(c)) if c == open => depth += 1,
                Some(Tok::Punct(c)) if c == close => depth -= 1,
                Some(_) => {}
                None => return Err(format!("unclosed '{open}'")),
            }
        }
        Ok(())
    }

    fn value(&mut self) -> Result<Arg, String> {
        Ok(match self.next() {
            Some(Tok::Punct('$')) => Arg::Var(self.name()?),
            Some(Tok::Num(n)) => n.parse().map(Arg::Int).unwrap_or(Arg::Other),
            Some(Tok::Str(s)) => Arg::Str(s),
            Some(Tok::Name(n)) => Arg::Enum(n),
            Some(Tok::Punct('[')) => {
                self.pos -= 1;
                self.skip_group('[', ']')?;
                Arg::Other
            }
            Some(Tok::Punct('{')) => {
                self.pos -= 1;
                self.skip_group('{', '}')?;
                Arg::Other
            }
            other => return Err(format!("unexpected argument value {other:?}")),
        })
    }

    fn selection_set(&mut self) -> Result<Vec<Selection>, String> {
        self.expect('{')?;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                Some(Tok::Punct('}')) => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(Tok::Spread) => {
                    self.pos += 1;
                    if self.name()? != "on" {
                        return Err("named fragments are not supported by the sandbox".into());
                    }
                    let on = self.name()?;
                    out.push(Selection::Inline { on, selection: self.selection_set()? });
                }
                Some(Tok::Name(_)) => {
                    let mut name = self.name()?;
                    if self.peek() == Some(&Tok::Punct(':')) {
                        // An alias: the sandbox answers under the field's own name.
                        self.pos += 1;
                        name = self.name()?;
                    }
                    let mut args = Vec::new();
                    if self.peek() == Some(&Tok::Punct('(')) {
                        self.pos += 1;
                        while self.peek() != Some(&Tok::Punct(')')) {
                            let arg = self.name()?;
                            self.expect(':')?;
                            args.push((arg, self.value()?));
                        }
                        self.pos += 1;
                    }
                    let selection = if self.peek() == Some(&Tok::Punct('{')) {
                        self.selection_set()?
                    } else {
                        Vec::new()
                    };
                    out.push(Selection::Field(Field { name, args, selection }));
                }
                other => return Err(format!("unexpected {other:?} in a selection set")),
            }
        }
    }
}

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Query,
    Mutation,
}

/// Parses `query Name($v: T) { … }`, `mutation Name($v: T) { … }` (or a bare `{ … }`, a query)
/// into its kind and top-level selection.
pub fn parse_operation(text: &str) -> Result<(OpKind, Vec<Selection>), String> {
    let mut p = Parser { toks: tokenize(text)?, pos: 0 };
    let kind = match p.peek() {
        Some(Tok::Name(kind)) if kind == "query" || kind == "mutation" => {
            let kind = if kind == "query" { OpKind::Query } else { OpKind::Mutation };
            p.pos += 1;
            if matches!(p.peek(), Some(Tok::Name(_))) {
                p.pos += 1;
            }
            if p.peek() == Some(&Tok::Punct('(')) {
                p.skip_group('(', ')')?;
            }
            kind
        }
        Some(Tok::Name(kind)) => {
            return Err(format!("only queries and mutations are supported, not '{kind}'"))
        }
        _ => OpKind::Query,
    };
    let selection = p.selection_set()?;
    if p.pos != p.toks.len() {
        return Err("more than one operation".into());
    }
    Ok((kind, selection))
}

/// Parses a query (see [`parse_operation`]); a mutation is an error here.
pub fn parse(query: &str) -> Result<Vec<Selection>, String> {
    match parse_operation(query)? {
        (OpKind::Query, selection) => Ok(selection),
        (OpKind::Mutation, _) => Err("a mutation where a query was expected".into()),
    }
}

/// Keeps only the selected fields of `full`. A field missing from `full` doesn't exist on the
/// type: that is an error, as on the real API.
pub fn prune(full: &Value, selection: &[Selection], type_name: &str) -> Result<Value, String> {
    match full {
        Value::Array(items) => {
            items.iter().map(|v| prune(v, selection, type_name)).collect::<Result<_, _>>().map(Value::Array)
        }
        Value::Object(map) => {
            let mut out = Map::new();
            prune_into(map, selection, type_name, &mut out)?;
            Ok(Value::Object(out))
        }
        other => Ok(other.clone()),
    }
}

fn prune_into(
    map: &Map<String, Value>,
    selection: &[Selection],
    type_name: &str,
    out: &mut Map<String, Value>,
) -> Result<(), String> {
    for s in selection {
        match s {
            Selection::Inline { on, selection } => prune_into(map, selection, on, out)?,
            Selection::Field(f) => {
                let value = map
                    .get(&f.name)
                    .ok_or_else(|| format!("Field '{}' doesn't exist on type '{type_name}'", f.name))?;
                let kept =
                    if f.selection.is_empty() { value.clone() } else { prune(value, &f.selection, &f.name)? };
                out.insert(f.name.clone(), kept);
            }
        }
    }
    Ok(())
}

/// Shopify's documented estimate: objects cost 1, scalars 0, a connection `first` × the cost of
/// what it selects, plus 2.
pub fn cost(selection: &[Selection], variables: &Value) -> f64 {
    selection
        .iter()
        .map(|s| match s {
            Selection::Inline { selection, .. } => cost(selection, variables),
            Selection::Field(f) if f.selection.is_empty() => 0.0,
            Selection::Field(f) => match f.arg("first") {
                Some(arg) => {
                    let first = match arg {
                        Arg::Int(n) => *n as f64,
                        Arg::Var(v) => variables.get(v).and_then(Value::as_f64).unwrap_or(0.0),
                        _ => 0.0,
                    };
                    let nodes: f64 = f
                        .selection
                        .iter()
                        .map(|c| match c {
                            Selection::Field(c) if c.name == "nodes" || c.name == "edges" => {
                                1.0 + cost(&c.selection, variables)
                            }
                            _ => 0.0,
                        })
                        .sum();
                    2.0 + first * nodes.max(1.0)
                }
                None => 1.0 + cost(&f.selection, variables),
            },
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const Q: &str = r#"query Q($first: Int!, $after: String) { # comment
        abandonedCheckouts(first: $first, after: $after, sortKey: ID, query: "status:open") {
          pageInfo { hasNextPage endCursor }
          nodes { id customer { firstName } lineItems(first: 5) { nodes { title } } }
        } }"#;

    #[test]
    fn parses_fields_arguments_and_variables() {
        let sel = parse(Q).unwrap();
        let Selection::Field(root) = &sel[0] else { panic!() };
        assert_eq!(root.name, "abandonedCheckouts");
        assert_eq!(root.arg("first"), Some(&Arg::Var("first".into())));
        assert_eq!(root.arg("sortKey"), Some(&Arg::Enum("ID".into())));
        assert_eq!(root.arg("query"), Some(&Arg::Str("status:open".into())));
        assert_eq!(root.selection.len(), 2);
        let inline = parse("query($id: ID!) { node(id: $id) { ... on AbandonedCheckout { id } } }").unwrap();
        let Selection::Field(node) = &inline[0] else { panic!() };
        assert!(matches!(&node.selection[0], Selection::Inline { on, .. } if on == "AbandonedCheckout"));
    }

    #[test]
    fn parses_a_mutation_with_its_input_variable() {
        let text = "mutation M($input: CustomerWhatsAppMarketingConsentUpdateInput!) { \
            customerWhatsAppMarketingConsentUpdate(input: $input) { userErrors { field message code } } }";
        let (kind, sel) = parse_operation(text).unwrap();
        assert_eq!(kind, OpKind::Mutation);
        let Selection::Field(root) = &sel[0] else { panic!() };
        assert_eq!(root.name, "customerWhatsAppMarketingConsentUpdate");
        assert_eq!(root.arg("input"), Some(&Arg::Var("input".into())));
        assert!(parse(text).is_err(), "not where a query is expected");
        assert_eq!(parse_operation("{ a }").unwrap().0, OpKind::Query);
    }

    #[test]
    fn prunes_to_the_selection_and_refuses_unknown_fields() {
        let sel = parse("{ a { b c { d } } }").unwrap();
        let Selection::Field(a) = &sel[0] else { panic!() };
        let full = json!({"b": 1, "c": [{"d": 2, "e": 3}], "z": 9});
        assert_eq!(prune(&full, &a.selection, "A").unwrap(), json!({"b": 1, "c": [{"d": 2}]}));
        let bad = parse("{ a { nope } }").unwrap();
        let Selection::Field(a) = &bad[0] else { panic!() };
        assert_eq!(prune(&full, &a.selection, "A").unwrap_err(), "Field 'nope' doesn't exist on type 'A'");
    }

    #[test]
    fn cost_grows_with_first() {
        let sel = parse(Q).unwrap();
        let small = cost(&sel, &json!({"first": 1}));
        let big = cost(&sel, &json!({"first": 10}));
        assert!(big > small * 5.0, "{small} {big}");
        assert_eq!(cost(&parse("{ a }").unwrap(), &json!({})), 0.0);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for q in [
            "",
            "{",
            "query { a(",
            "mutation { x",
            "subscription { x }",
            "{ a } { b }",
            "{ \"x }",
            "{ a(b: ) }",
            "{ ... F }",
        ] {
            assert!(parse(q).is_err(), "{q:?}");
        }
    }
}
