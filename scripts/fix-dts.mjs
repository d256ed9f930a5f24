// Makes tsc's declaration output (dist/types) valid for every consumer's module resolution:
// src/ imports without extensions (moduleResolution "bundler"), which `node16`/`nodenext`
// consumers reject ("needs an explicit file extension"). This rewrites each relative specifier
// to the file it names (`./x` → `./x.js`, `./dir` → `./dir/index.js`), and makes the entry
// reference @webgpu/types (a dependency), so GPUBuffer & co. resolve without skipLibCheck.
// Usage: node scripts/fix-dts.mjs [dist/types]
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'dist/types');
const REFERENCE = '/// <reference types="@webgpu/types" />\n';

function* declarationFiles(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* declarationFiles(path);
    else if (name.endsWith('.d.ts')) yield path;
  }
}

/** The `.js` specifier of a relative import, by which declaration file exists next to it. */
function withExtension(file, specifier) {
  if (/\.(m|c)?js$/.test(specifier)) return specifier;
  const base = resolve(dirname(file), specifier);
  if (existsSync(`${base}.d.ts`)) return `${specifier}.js`;
  if (existsSync(join(base, 'index.d.ts'))) return `${specifier.replace(/\/$/, '')}/index.js`;
  throw new Error(`fix-dts: ${file} imports "${specifier}", which has no declaration file`);
}

// `from './x'`, `import('./x')`, `import './x'`, `declare module './x'`: quoted relative paths
// after one of those keywords.
const RELATIVE = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bmodule\s+)(['"])(\.{1,2}\/[^'"]*|\.{1,2})\2/g;

let files = 0;
let rewritten = 0;
for (const file of declarationFiles(root)) {
  const text = readFileSync(file, 'utf8');
  let out = text.replace(RELATIVE, (_, keyword, quote, specifier) => {
    rewritten++;
    return `${keyword}${quote}${withExtension(file, specifier)}${quote}`;
  });
  if (file === join(root, 'index.d.ts') && !out.startsWith(REFERENCE)) out = REFERENCE + out;
  if (out !== text) writeFileSync(file, out);
  files++;
}
if (!existsSync(join(root, 'index.d.ts'))) throw new Error(`fix-dts: no ${join(root, 'index.d.ts')}`);
console.log(`fix-dts: ${rewritten} relative specifiers in ${files} declaration files now name .js files`);
