// Where a CPU rasterizer (lavapipe, SwiftShader) spends a kernel's time: runs one bench case,
// samples the process with `perf record` while it times, copies the driver's JIT-compiled code
// out of the live process with gdb, disassembles it with objdump and prints the samples by
// instruction kind, plus the hottest instructions with the ones before them (a sample lands
// just after an instruction that stalls, e.g. a load that misses the cache). perf alone cannot
// see inside JIT code: it has no symbols for it.
// Usage: node scripts/jit-profile.mjs --filter "matmul NN subgroup 2048×2048×2048" [--suite matmul]
//        [--after 8] [--seconds 3] [--out .tmp/jit-profile]
// Needs perf, gdb and objdump (Debian: linux-perf, gdb, binutils), root or perf_event_paranoid
// ≤ 1 and ptrace allowed, and the CLI built (`npm run build:cli`). --after must leave the
// bench in its timed runs (a case of a few seconds per run makes that easy).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = { suite: 'matmul', filter: undefined, after: 8, seconds: 3, out: join(repo, '.tmp/jit-profile') };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const key = argv[i]?.replace(/^--/, '');
  if (!(key in args) || argv[i + 1] === undefined) throw new Error(`jit-profile: unknown option or missing value at "${argv[i]}"`);
  args[key] = ['after', 'seconds'].includes(key) ? Number(argv[i + 1]) : argv[i + 1];
}
if (!args.filter) throw new Error('jit-profile: --filter "NAME SIZE" picks the one bench case to profile');
mkdirSync(args.out, { recursive: true });

const sleep = (s) => new Promise((done) => setTimeout(done, s * 1000));
const bench = spawn('node', [join(repo, 'dist/cli/bench.js'), '--suite', args.suite, '--no-tfjs', '--no-jaxjs', '--filter', args.filter], { stdio: ['ignore', 'pipe', 'inherit'] });
let benchOut = '';
bench.stdout.on('data', (d) => (benchOut += d));
const ended = new Promise((done) => bench.on('exit', done));
await sleep(args.after);
const perfData = join(args.out, 'perf.data');
execFileSync('perf', ['record', '-q', '-F', '2000', '-p', String(bench.pid), '-o', perfData, '--', 'sleep', String(args.seconds)], { stdio: 'ignore' });

// The driver's code lives in anonymous executable mappings; copy them while they exist.
const regions = readFileSync(`/proc/${bench.pid}/maps`, 'utf8').split('\n')
  .map((line) => line.trim().split(/\s+/))
  .filter((f) => f.length === 5 && f[1].includes('x'))
  .map(([range]) => range.split('-').map((h) => BigInt(`0x${h}`)));
const dumps = [];
execFileSync('gdb', ['-p', String(bench.pid), '-batch', ...regions.flatMap(([start, end], i) => {
  dumps.push({ start, end, file: join(args.out, `region-${i}.bin`) });
  return ['-ex', `dump binary memory ${dumps.at(-1).file} ${start} ${end}`];
})], { stdio: 'ignore' });
await ended;
console.log(benchOut.split('\n').filter((l) => l.includes(args.filter.split(' ')[0])).slice(-1)[0] ?? '(no bench line)');

const samples = new Map();
for (const line of execFileSync('perf', ['script', '-i', perfData, '-F', 'ip'], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')) {
  if (line.trim()) samples.set(BigInt(`0x${line.trim()}`), (samples.get(BigInt(`0x${line.trim()}`)) ?? 0) + 1);
}
const total = [...samples.values()].reduce((a, b) => a + b, 0);
const inRegion = (r) => [...samples].filter(([ip]) => ip >= r.start && ip < r.end).reduce((a, [, n]) => a + n, 0);
const hot = dumps.map((r) => ({ ...r, n: inRegion(r) })).sort((a, b) => b.n - a.n)[0];
console.log(`${total} samples; ${hot.n} (${pct(hot.n, total)}) in the JIT code at 0x${hot.start.toString(16)} (${Number(hot.end - hot.start)} bytes)`);

const code = execFileSync('objdump', ['-D', '-b', 'binary', '-m', 'i386:x86-64', `--adjust-vma=0x${hot.start.toString(16)}`, hot.file], { encoding: 'utf8', maxBuffer: 1 << 28 })
  .split('\n').map((l) => l.match(/^\s*([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*(\S.*)$/)).filter(Boolean)
  .map((m) => ({ ip: BigInt(`0x${m[1]}`), text: m[2], n: samples.get(BigInt(`0x${m[1]}`)) ?? 0 }));

/** A coarse kind for an x86 instruction, enough to tell arithmetic from memory traffic. */
function kind(text) {
  const op = text.split(/\s+/)[0];
  if (op.includes('gather')) return 'vector gather';
  if (/^vf(n?m(add|sub))/.test(op) || /^v(mul|add|sub|div|sqrt)p[sd]$/.test(op)) return 'vector float arithmetic';
  if (/mov/.test(op) && /%[re][sb]p\)/.test(text)) return 'stack load/store (spills)';
  if (/^v(perm|shuf|insert|extract|unpck|blend|pblend|pshuf|broadcast|pbroadcast)/.test(op)) return 'lane shuffle/blend/broadcast';
  if (/mov/.test(op) && text.includes('(')) return 'other load/store';
  if (op.startsWith('j')) return 'branch';
  if (/^v(p|cmp|min|max|and|or|xor)/.test(op)) return 'vector integer/mask';
  return 'scalar integer (addresses, bounds checks)';
}
const byKind = new Map();
for (const i of code) {
  const k = byKind.get(kind(i.text)) ?? { instructions: 0, n: 0 };
  k.instructions++;
  k.n += i.n;
  byKind.set(kind(i.text), k);
}
console.log('\nsamples in the JIT code by the kind of the sampled instruction:');
for (const [k, v] of [...byKind].sort((a, b) => b[1].n - a[1].n)) console.log(`  ${pct(v.n, hot.n).padStart(6)}  ${k} (${v.instructions} instructions)`);
console.log('\nhottest instructions (each with the 3 before it):');
for (const top of [...code].sort((a, b) => b.n - a.n).slice(0, 6)) {
  const at = code.indexOf(top);
  console.log(`  ${pct(top.n, hot.n)} at 0x${top.ip.toString(16)}`);
  for (const i of code.slice(Math.max(0, at - 3), at + 1)) console.log(`      ${String(i.n).padStart(5)}  ${i.text}`);
}

function pct(n, of) {
  return `${((100 * n) / Math.max(1, of)).toFixed(1)}%`;
}
