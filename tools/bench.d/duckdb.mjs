#!/usr/bin/env node
// The DuckDB peer of tools/bench: total match_count per ngram of Google Books
// Ngram v2 files, written as 'ngram TAB total', most frequent first, ties in
// byte order (the order of ngram-count).
//
//   node duckdb.mjs FILE... --threads N --out F [--sql]
//
// read_csv detects gzip from the '.gz' suffix. quote='' and escape='' make
// every byte but TAB and LF part of a field (ngrams contain '"'), and the
// output disables quoting for the same reason. DuckDB compares VARCHAR by
// bytes unless a collation is set; COLLATE "C" says so explicitly.
import { DuckDBInstance, version } from '@duckdb/node-api';

function usage(msg) {
  if (msg) process.stderr.write(`duckdb.mjs: ${msg}\n`);
  process.stderr.write('usage: node duckdb.mjs FILE... --threads N --out F [--sql]\n');
  process.exit(2);
}

function quote(s) {
  return `'${s.replaceAll("'", "''")}'`;
}

const files = [];
let threads = null;
let out = null;
let printSql = false;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--threads') threads = args[++i];
  else if (a === '--out') out = args[++i];
  else if (a === '--sql') printSql = true;
  else if (a === '--version') {
    process.stdout.write(`duckdb ${version()}\n`);
    process.exit(0);
  } else if (a.startsWith('--')) usage(`unknown option '${a}'`);
  else files.push(a);
}
if (files.length === 0 || out === null) usage();
if (threads === null || !/^[1-9][0-9]*$/.test(threads)) usage('--threads needs a positive integer');

const sql = `COPY (
  SELECT ngram, SUM(match_count) AS total
  FROM read_csv([${files.map(quote).join(', ')}],
                delim='\\t', header=false, quote='', escape='',
                columns={'ngram': 'VARCHAR', 'year': 'INTEGER',
                         'match_count': 'UBIGINT', 'volume_count': 'UBIGINT'})
  GROUP BY ngram
  ORDER BY total DESC, ngram COLLATE "C"
) TO ${quote(out)} (HEADER false, DELIMITER '\\t', QUOTE '', ESCAPE '')`;

if (printSql) process.stderr.write(`SET threads=${threads};\n${sql};\n`);

try {
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  await con.run(`SET threads=${threads}`);
  // A setting DuckDB capped or ignored would make the comparison unfair.
  const got = (await con.runAndReadAll(`SELECT current_setting('threads')`)).getRows()[0][0];
  if (String(got) !== threads) throw new Error(`SET threads=${threads} left threads=${got}`);
  await con.run(sql);
  con.closeSync();
  instance.closeSync();
} catch (e) {
  process.stderr.write(`duckdb.mjs: ${e.message}\n`);
  process.exit(1);
}
