// Shrinks WGSL for the published build: drops comments, indentation and blank lines. The
// shaders in shaders/ keep their comments; only the strings inlined into dist/ are shrunk
// (about half the gzipped bytes of the shaders; `npm run size` measures it). WGSL has no
// string literals, so every `//` starts a comment.
import { readFileSync } from 'node:fs';

/** WGSL source without comments, indentation or blank lines (tokens and line breaks kept). */
export function minifyWgsl(source) {
  const lines = source
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, '')
    .split('\n')
    .map((line) => line.trim().replace(/[ \t]+/g, ' '))
    .filter((line) => line.length > 0);
  return `${lines.join('\n')}\n`;
}

/** A Vite plugin: `*.wgsl?raw` imports load as minified WGSL (see minifyWgsl). */
export function wgslMinify() {
  return {
    name: 'shadergrad:wgsl-minify',
    enforce: 'pre',
    load(id) {
      const [path, query] = id.split('?');
      if (query !== 'raw' || !path.endsWith('.wgsl')) return null;
      this.addWatchFile(path);
      return `export default ${JSON.stringify(minifyWgsl(readFileSync(path, 'utf8')))};`;
    },
  };
}
