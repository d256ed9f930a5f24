// `npm run size`: what shadergrad costs a web app, gzipped. Builds the library (dist/lib, as
// published), then bundles entries that import from it the way an app would (Vite/Rolldown,
// minified, tree-shaken) and gzips each bundle: a minimal import, a small MLP trainer, and the
// whole API. Then, per WGSL file (kernel family), the gzipped bytes the whole API loses when
// that one shader is replaced by an empty string (its marginal cost inside the bundle, where
// gzip shares repeats with other shaders), built from src/.
// Usage: node scripts/size.mjs [--json] [--no-shaders]. Fails if the whole API is 40 KB or more.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { minifyWgsl, wgslMinify } from './wgsl-minify.mjs';

const repo = resolve(fileURLToPath(new URL('..', import.meta.url)));
/** The whole API must stay under this many gzipped bytes (issue 16). */
export const WHOLE_API_LIMIT = 40 * 1024;

/** What an app imports, by entry name: `names` from the package, or every export (`*`). */
export const ENTRIES = {
  'compile + Linear + sgd': ['compile', 'Linear', 'sgd'],
  'MLP trainer (compile, Sequential, Linear, ReLU, sgd)': ['compile', 'Sequential', 'Linear', 'ReLU', 'sgd'],
  'whole API': '*',
};

const gzip = (code) => gzipSync(code, { level: 9 }).length;

/**
 * Bundles `source` (an ES module) as an app build would: minified, tree-shaken, `webgpu`
 * external (Node only). `plugins` may stub modules. Returns the minified and gzipped bytes.
 */
export async function bundleSize(source, { plugins = [], root = repo } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'shadergrad-size-'));
  try {
    const entry = join(dir, 'entry.js');
    writeFileSync(entry, source);
    const result = await build({
      configFile: false,
      root,
      logLevel: 'silent',
      plugins,
      build: {
        write: false,
        target: 'es2022',
        minify: true,
        // An app build, not lib mode: lib mode keeps whitespace in ES output.
        modulePreload: false,
        rolldownOptions: { input: entry, external: ['webgpu'] },
      },
    });
    const outputs = (Array.isArray(result) ? result : [result]).flatMap((r) => r.output);
    const chunks = outputs.filter((o) => o.type === 'chunk');
    const code = chunks.map((o) => o.code).join('\n');
    // Rendered (tree-shaken, not yet minified) bytes per source folder of the repository.
    const byFolder = {};
    for (const chunk of chunks) {
      for (const [id, module] of Object.entries(chunk.modules)) {
        const path = id.split('?')[0];
        const rel = path.startsWith(repo) ? path.slice(repo.length + 1) : '(other)';
        const folder = rel.startsWith('src/') && rel.split('/').length > 2 ? rel.split('/').slice(0, 2).join('/') : rel.startsWith('shaders/') ? 'shaders' : rel.startsWith('src/') ? 'src/*.ts' : '(other)';
        byFolder[folder] = (byFolder[folder] ?? 0) + module.renderedLength;
      }
    }
    return { minified: Buffer.byteLength(code), gzipped: gzip(code), byFolder };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An app entry that uses `names` imported from `from` (an absolute path or a package name). */
export function entrySource(names, from) {
  const spec = JSON.stringify(from);
  return names === '*'
    ? `import * as api from ${spec};\nglobalThis.api = api;\n`
    : `import { ${names.join(', ')} } from ${spec};\nglobalThis.api = [${names.join(', ')}];\n`;
}

/** A plugin that loads the named shader files as empty strings. */
function stubShaders(files) {
  return {
    name: 'stub-shaders',
    enforce: 'pre',
    load(id) {
      const [path, query] = id.split('?');
      if (query === 'raw' && files.includes(basename(path))) return 'export default "";';
      return null;
    },
  };
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

async function main() {
  const json = process.argv.includes('--json');
  const withShaders = !process.argv.includes('--no-shaders');
  const log = json ? () => {} : (line) => console.log(line);

  await build({ configFile: join(repo, 'vite.lib.config.ts'), root: repo, logLevel: 'warn' });
  const lib = join(repo, 'dist/lib/index.js');
  const report = { entries: {}, shaders: {} };
  for (const [name, names] of Object.entries(ENTRIES)) {
    const { minified, gzipped } = await bundleSize(entrySource(names, lib));
    report.entries[name] = { minified, gzipped };
  }
  log('gzipped size of an app bundle (Vite 8 / Rolldown, minified) that imports from dist/lib:');
  log('| import | minified | gzipped |\n|---|---:|---:|');
  for (const [name, s] of Object.entries(report.entries)) log(`| ${name} | ${kb(s.minified)} | ${kb(s.gzipped)} |`);

  if (withShaders) {
    const whole = entrySource('*', join(repo, 'src/index.ts'));
    // As published: shaders minified (vite.lib.config.ts); the stub goes first.
    const base = await bundleSize(whole, { plugins: [wgslMinify()] });
    const files = readdirSync(join(repo, 'shaders')).filter((f) => f.endsWith('.wgsl')).sort();
    const none = await bundleSize(whole, { plugins: [stubShaders(files), wgslMinify()] });
    report.shaders = { '(all shaders)': { raw: 0, minified: 0, gzipped: base.gzipped - none.gzipped } };
    for (const file of files) {
      const stubbed = await bundleSize(whole, { plugins: [stubShaders([file]), wgslMinify()] });
      const text = readFileSync(join(repo, 'shaders', file), 'utf8');
      report.shaders[file] = { raw: Buffer.byteLength(text), minified: Buffer.byteLength(minifyWgsl(text)), gzipped: base.gzipped - stubbed.gzipped };
    }
    for (const key of ['raw', 'minified']) report.shaders['(all shaders)'][key] = files.reduce((a, f) => a + report.shaders[f][key], 0);
    report.wholeFromSrc = base;
    report.withoutShaders = { minified: none.minified, gzipped: none.gzipped };
    log(`\nper kernel family: gzipped bytes the whole API (${kb(base.gzipped)} built from src/) loses without that WGSL file`);
    log('| shader | source | minified | gzipped cost |\n|---|---:|---:|---:|');
    const rows = Object.entries(report.shaders).sort((a, b) => b[1].gzipped - a[1].gzipped);
    for (const [file, s] of rows) log(`| ${file} | ${kb(s.raw)} | ${kb(s.minified)} | ${kb(s.gzipped)} |`);
    log(`engine code without any shader: ${kb(none.gzipped)} gzipped`);
    const total = Object.values(base.byFolder).reduce((a, b) => a + b, 0);
    log('\nwhere the whole API\'s bytes come from (rendered code before minification, shaders minified):');
    log('| folder | rendered | share |\n|---|---:|---:|');
    for (const [folder, bytes] of Object.entries(base.byFolder).sort((a, b) => b[1] - a[1])) {
      log(`| ${folder} | ${kb(bytes)} | ${((100 * bytes) / total).toFixed(0)}% |`);
    }
  }
  if (json) console.log(JSON.stringify(report));
  const whole = report.entries['whole API'].gzipped;
  if (whole >= WHOLE_API_LIMIT) {
    console.error(`size: the whole API is ${kb(whole)} gzipped, over the ${kb(WHOLE_API_LIMIT)} limit`);
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  mkdirSync(tmpdir(), { recursive: true });
  await main();
}
