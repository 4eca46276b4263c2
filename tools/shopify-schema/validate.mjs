// Validates GraphQL documents against Shopify's Admin API schema, offline.
//
// The schema: the 2025-01 introspection that @shopify/dev-mcp@1.1.0 ships
// (data/admin_schema_2025-01.json.gz, pinned by package-lock.json's integrity), extended with
// the SDL files in extensions/, each named by the API version that added what it declares
// (2025-04.graphql, 2026-07.graphql). A document sent with API version V is checked against the
// 2025-01 schema plus every extension whose version is <= V, so a field used before the version
// that added it is an error, as on the real API.
//
// Input (stdin): {"documents": [{"name": "...", "version": "2026-07", "document": "query ..."}]}
// Output (stdout): {"results": [{"name", "version", "errors": ["..."], "deprecated": ["..."]}]}
// Exit status: 0 when every document is valid, 1 when one is not, 2 when the input or the schema
// can't be read. Nothing here reaches the network.

import { readFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildClientSchema,
  extendSchema,
  parse,
  validate,
  specifiedRules,
  NoDeprecatedCustomRule,
} from 'graphql';

const here = dirname(fileURLToPath(import.meta.url));
const BASE_VERSION = '2025-01';
const VERSION = /^(\d{4}-\d{2}|unstable)$/;

function fail(message) {
  process.stderr.write(`shopify-schema: ${message}\n`);
  process.exit(2);
}

function baseSchema() {
  const require = createRequire(import.meta.url);
  let file;
  try {
    file = join(dirname(require.resolve('@shopify/dev-mcp/package.json')), 'data', `admin_schema_${BASE_VERSION}.json.gz`);
  } catch {
    fail('@shopify/dev-mcp is not installed: run `npm ci --ignore-scripts` in tools/shopify-schema (scripts/setup.sh --test does)');
  }
  const introspection = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8'));
  return buildClientSchema(introspection.data ?? introspection);
}

/** The extension files, oldest first: [{version, sdl}]. */
function extensions() {
  return readdirSync(join(here, 'extensions'))
    .filter((f) => f.endsWith('.graphql'))
    .map((f) => ({ version: f.replace(/\.graphql$/, ''), sdl: readFileSync(join(here, 'extensions', f), 'utf8') }))
    .filter((e) => {
      if (!VERSION.test(e.version)) fail(`extension file ${e.version}.graphql is not named by an API version`);
      return true;
    })
    .sort((a, b) => a.version.localeCompare(b.version));
}

function readInput() {
  let input;
  try {
    input = JSON.parse(readFileSync(0, 'utf8'));
  } catch (e) {
    fail(`stdin is not JSON: ${e.message}`);
  }
  if (!Array.isArray(input?.documents)) fail('stdin must be {"documents": [...]}');
  return input.documents;
}

const documents = readInput();
const base = baseSchema();
const added = extensions();
const schemas = new Map();

/** The schema as of `version`: the base plus every extension up to it. */
function schemaAt(version) {
  if (!schemas.has(version)) {
    let schema = base;
    for (const e of added.filter((e) => e.version <= version)) {
      schema = extendSchema(schema, parse(e.sdl));
    }
    schemas.set(version, schema);
  }
  return schemas.get(version);
}

let allValid = true;
const results = documents.map(({ name, version, document }) => {
  const result = { name: String(name), version: String(version), errors: [], deprecated: [] };
  if (!VERSION.test(result.version)) {
    result.errors.push(`"${result.version}" is not an API version (YYYY-MM or unstable)`);
  } else if (result.version < BASE_VERSION) {
    result.errors.push(`no schema older than ${BASE_VERSION} to check ${result.version} against`);
  } else {
    try {
      const schema = schemaAt(result.version);
      const ast = parse(String(document));
      result.errors = validate(schema, ast, specifiedRules).map((e) => e.message);
      result.deprecated = validate(schema, ast, [NoDeprecatedCustomRule]).map((e) => e.message);
    } catch (e) {
      result.errors.push(e.message);
    }
  }
  allValid &&= result.errors.length === 0;
  return result;
});

process.stdout.write(JSON.stringify({ results }) + '\n');
process.exit(allValid ? 0 : 1);
