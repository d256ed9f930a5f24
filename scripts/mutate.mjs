#!/usr/bin/env node
// Mutation check: do the tests notice when the code is wrong? Copies the working tree (git's
// tracked and untracked-but-not-ignored files; node_modules is linked) into a temporary
// folder, runs the tests the mutations name once unmutated (the baseline), then for each
// mutation in scripts/mutations.json replaces one exact string in one file, runs that
// mutation's test files (`vitest run --project node`), and restores the file. A mutation is
// caught when a test that passed in the baseline fails; it survived when none does.
//
//   npm run mutate                       every mutation
//   npm run mutate -- --only id1,id2     some of them (--only may repeat)
//   npm run mutate -- --list             list them and check each still applies (no tests run)
//   npm run mutate -- --without 'test/graph/multistep*.test.ts'   as if those tests did not exist
//   options: --timeout <s> per mutation run (default 900), --keep (keep the copy)
//
// Each mutation's `search` must occur exactly once in its file, or it is reported stale and
// not run: a changed source file needs its mutation rewritten. Test paths may use `*` in
// their last segment (test/graph/multistep*.test.ts); a path that matches no file is skipped
// with a warning. Exit status: 0 when every mutation run was caught, 1 when any survived, was
// stale, or was inconclusive (timed out, or vitest gave no report), 2 for bad arguments.
// A JSON report is written to test-artifacts/mutate-report.json.
import { spawn, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LIST = join(ROOT, 'scripts', 'mutations.json');
const REPORT = join(ROOT, 'test-artifacts', 'mutate-report.json');
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
// Tests run far slower under load than the config's 60 s allow; a timeout is not a catch.
const TEST_TIMEOUT_MS = 300_000;
/** The vitest run in progress, killed with its workers if this script is interrupted. */
let current;

function usage(message) {
  console.error(`mutate: ${message}\nusage: node scripts/mutate.mjs [--list] [--only id[,id…]] [--without test-path] [--timeout seconds] [--keep]`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = { list: false, only: [], without: [], timeout: 900, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--list') options.list = true;
    else if (a === '--keep') options.keep = true;
    else if (a === '--only') options.only.push(...(argv[++i] ?? usage('--only needs an id')).split(',').filter(Boolean));
    else if (a.startsWith('--only=')) options.only.push(...a.slice(7).split(',').filter(Boolean));
    else if (a === '--without') options.without.push(argv[++i] ?? usage('--without needs a test path'));
    else if (a === '--timeout') options.timeout = Number(argv[++i]);
    else usage(`unknown argument ${a}`);
  }
  if (!(options.timeout > 0)) usage('--timeout must be a positive number of seconds');
  return options;
}

/** The mutation list, checked for the fields every entry needs. */
function loadMutations() {
  const list = JSON.parse(readFileSync(LIST, 'utf8'));
  if (!Array.isArray(list)) throw new Error(`${LIST}: expected an array of mutations`);
  const ids = new Set();
  for (const [k, m] of list.entries()) {
    for (const field of ['id', 'family', 'file', 'search', 'replace', 'description']) {
      if (typeof m[field] !== 'string' || (field !== 'replace' && m[field] === '')) throw new Error(`${LIST}: mutation ${k} (${m.id}) needs a string ${field}`);
    }
    if (!Array.isArray(m.tests) || m.tests.length === 0) throw new Error(`${LIST}: mutation ${m.id} needs a non-empty tests array`);
    if (m.search === m.replace) throw new Error(`${LIST}: mutation ${m.id} replaces its search string by itself`);
    if (ids.has(m.id)) throw new Error(`${LIST}: id ${m.id} is used twice`);
    ids.add(m.id);
  }
  return list;
}

const occurrences = (text, search) => text.split(search).length - 1;

/** Test files under `root` that a path names; `*` may stand for any characters in its last segment. */
function expandTests(root, pattern) {
  if (!pattern.includes('*')) return existsSync(join(root, pattern)) ? [pattern] : [];
  const dir = dirname(pattern);
  const base = pattern.slice(dir.length + 1);
  if (dir.includes('*')) throw new Error(`test path ${pattern}: * is only allowed in the last segment`);
  const re = new RegExp(`^${base.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir)).filter((f) => re.test(f)).sort().map((f) => `${dir}/${f}`);
}

/** Copies git's tracked and untracked-not-ignored files into a new folder; links node_modules. */
function copyTree() {
  const dir = mkdtempSync(join(tmpdir(), 'shadergrad-mutate-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT })
    .toString()
    .split('\0')
    .filter(Boolean);
  for (const file of new Set(files)) {
    if (!existsSync(join(ROOT, file))) continue; // tracked but deleted in the working tree
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(dir, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/**
 * Runs vitest on `files` in `cwd` and returns the failing tests (keys "file > full name"),
 * which of them only timed out, the exit code, and whether the run was killed.
 */
function runTests(cwd, files, timeoutSeconds, tag) {
  const json = join(cwd, `.mutate-${tag}.json`);
  const logPath = join(cwd, `.mutate-${tag}.log`);
  rmSync(json, { force: true });
  const log = openSync(logPath, 'w');
  const args = [VITEST, 'run', '--project', 'node', '--reporter=json', `--outputFile=${json}`, `--testTimeout=${TEST_TIMEOUT_MS}`, `--hookTimeout=${TEST_TIMEOUT_MS}`, ...files];
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd, detached: true, stdio: ['ignore', log, log] });
    current = child;
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      try {
        process.kill(-child.pid, 'SIGKILL'); // the whole process group: vitest and its workers
      } catch {}
    }, timeoutSeconds * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      current = undefined;
      closeSync(log);
      let report;
      try {
        report = JSON.parse(readFileSync(json, 'utf8'));
      } catch {}
      const failures = new Map(); // key → message
      for (const file of report?.testResults ?? []) {
        const name = relative(cwd, file.name);
        const failed = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
        for (const t of failed) failures.set(`${name} > ${t.fullName}`, (t.failureMessages ?? []).join('\n'));
        if (file.status === 'failed' && failed.length === 0) failures.set(`${name} > (file)`, file.message ?? '');
      }
      done({ failures, code, killed, reported: report !== undefined, logPath });
    });
  });
}

/** The first line of a failure message, without colour codes, shortened. */
const firstLine = (message) => {
  const line = message.replace(/\x1b\[[0-9;]*m/g, '').split('\n').find((l) => l.trim()) ?? '';
  return line.length > 160 ? `${line.slice(0, 159)}…` : line;
};
const isTimeout = (message) => /(Test|Hook) timed out/.test(message);
const seconds = (ms) => (ms / 1000).toFixed(1);
const pad = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const all = loadMutations();
  const unknown = options.only.filter((id) => !all.some((m) => m.id === id));
  if (unknown.length) usage(`unknown mutation id(s): ${unknown.join(', ')}`);
  const selected = options.only.length ? all.filter((m) => options.only.includes(m.id)) : all;

  const status = (m, root) => {
    const path = join(root, m.file);
    if (!existsSync(path)) return 'stale: file missing';
    const n = occurrences(readFileSync(path, 'utf8'), m.search);
    return n === 1 ? 'ok' : `stale: ${n} matches`;
  };

  if (options.list) {
    let stale = 0;
    for (const m of selected) {
      const s = status(m, ROOT);
      if (s !== 'ok') stale++;
      const tests = m.tests.flatMap((t) => expandTests(ROOT, t));
      console.log(`${pad(m.id, 30)} ${pad(m.family, 9)} ${pad(s, 18)} ${m.file}\n    ${m.description}\n    tests: ${tests.join(' ') || '(none exist)'}`);
    }
    console.log(`\n${selected.length} mutations, ${stale} stale`);
    process.exit(stale ? 1 : 0);
  }

  const started = Date.now();
  const copy = copyTree();
  const restoreAll = [];
  const cleanup = () => {
    for (const restore of restoreAll.splice(0)) restore();
    if (!options.keep) rmSync(copy, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    try {
      if (current) process.kill(-current.pid, 'SIGKILL');
    } catch {}
    cleanup();
    process.exit(130);
  });
  console.log(`mutate: ${selected.length} mutations, working copy ${copy}`);

  // Which tests each mutation runs; missing files are warned about once.
  const excluded = new Set(options.without.flatMap((pattern) => expandTests(copy, pattern)));
  if (excluded.size) console.log(`mutate: without ${[...excluded].join(', ')}`);
  const warned = new Set();
  const testsOf = new Map();
  for (const m of selected) {
    const files = [];
    for (const pattern of m.tests) {
      const found = expandTests(copy, pattern);
      if (found.length === 0 && !warned.has(pattern)) {
        warned.add(pattern);
        console.warn(`mutate: warning: no test file matches ${pattern}; skipped`);
      }
      files.push(...found);
    }
    testsOf.set(m.id, [...new Set(files)].filter((f) => !excluded.has(f)));
  }

  const runnable = selected.filter((m) => status(m, copy) === 'ok' && testsOf.get(m.id).length > 0);
  const union = [...new Set(runnable.flatMap((m) => testsOf.get(m.id)))].sort();
  let baseline = new Map();
  if (union.length) {
    const t0 = Date.now();
    console.log(`mutate: baseline run of ${union.length} test files…`);
    const base = await runTests(copy, union, options.timeout * 3, 'baseline');
    if (!base.reported) {
      console.error(`mutate: the baseline run gave no report (exit ${base.code}${base.killed ? ', killed' : ''}); see ${base.logPath}`);
      options.keep = true;
      cleanup();
      process.exit(1);
    }
    baseline = base.failures;
    console.log(`mutate: baseline took ${seconds(Date.now() - t0)} s; ${baseline.size} test(s) already fail and are ignored:`);
    for (const key of baseline.keys()) console.log(`  ${key}`);
  }

  const results = [];
  for (const m of selected) {
    const files = testsOf.get(m.id);
    const s = status(m, copy);
    if (s !== 'ok') {
      results.push({ ...m, result: 'stale', seconds: 0, detail: s });
      console.log(`${pad(m.id, 30)} stale (${s})`);
      continue;
    }
    if (files.length === 0) {
      results.push({ ...m, result: 'survived', seconds: 0, detail: 'no test file (missing or --without)' });
      console.log(`${pad(m.id, 30)} survived (no test file: missing or --without)`);
      continue;
    }
    const path = join(copy, m.file);
    const original = readFileSync(path, 'utf8');
    const restore = () => writeFileSync(path, original);
    restoreAll.push(restore);
    writeFileSync(path, original.replace(m.search, () => m.replace));
    const t0 = Date.now();
    const run = await runTests(copy, files, options.timeout, m.id);
    restore();
    restoreAll.pop();
    const elapsed = Date.now() - t0;
    const fresh = [...run.failures].filter(([key]) => !baseline.has(key));
    let result;
    let detail;
    if (fresh.some(([, message]) => !isTimeout(message))) {
      result = 'caught';
      const [key, message] = fresh.find(([, message]) => !isTimeout(message));
      detail = `${key}: ${firstLine(message)}`;
    } else if (fresh.length > 0 || run.killed) {
      result = 'timeout';
      detail = run.killed ? `killed after ${options.timeout} s` : fresh[0][0];
    } else if (!run.reported) {
      result = 'error';
      detail = `vitest exited with ${run.code} and no report; see ${run.logPath}`;
      options.keep = true;
    } else {
      result = 'survived';
      detail = `${files.length} test file(s) passed`;
    }
    results.push({ ...m, tests: files, result, seconds: elapsed / 1000, detail });
    console.log(`${pad(m.id, 30)} ${pad(result, 8)} ${seconds(elapsed).padStart(6)} s  ${detail}`);
  }

  const total = (Date.now() - started) / 1000;
  console.log(`\n${pad('mutation', 30)} ${pad('family', 9)} ${pad('result', 8)} ${'seconds'.padStart(7)}  description`);
  for (const r of results) {
    console.log(`${pad(r.id, 30)} ${pad(r.family, 9)} ${pad(r.result, 8)} ${r.seconds.toFixed(1).padStart(7)}  ${r.description}`);
  }
  const count = (what) => results.filter((r) => r.result === what).length;
  const summary = `${results.length} mutations: ${count('caught')} caught, ${count('survived')} survived, ${count('stale')} stale, ${count('timeout') + count('error')} inconclusive; ${total.toFixed(0)} s in all`;
  console.log(`\n${summary}`);
  for (const r of results.filter((r) => r.result !== 'caught')) console.log(`  ${r.result}: ${r.id} (${r.file}): ${r.detail}`);
  mkdirSync(dirname(REPORT), { recursive: true });
  writeFileSync(REPORT, JSON.stringify({ date: new Date().toISOString(), seconds: total, baselineFailures: [...baseline.keys()], results }, null, 2));
  console.log(`report: ${relative(ROOT, REPORT)}${options.keep ? `; working copy kept at ${copy}` : ''}`);
  cleanup();
  process.exit(results.every((r) => r.result === 'caught') ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
