// Shrinks WGSL for the published build: drops comments, indentation, blank lines and the
// blanks between tokens that need none. The shaders in shaders/ keep their comments; only the
// strings inlined into dist/ are shrunk (`npm run size` measures it;
// test/package/wgsl-minify.node.test.ts checks that every shader keeps its tokens). WGSL has no string
// literals, so every `//` starts a comment.
import { readFileSync } from 'node:fs';

const WORD = /[A-Za-z0-9_.]/;
const OPERATOR = /[-+*/%&|^!<>=]/;

/**
 * Whether the blank between characters `before` and `after` must stay: the two would otherwise
 * join into one token (two words or numbers, a word and a `.`, or two operator characters such
 * as `>` `=` or `-` `-`). Elsewhere a blank separates nothing.
 */
function blankNeeded(before, after) {
  return (WORD.test(before) && WORD.test(after)) || (OPERATOR.test(before) && OPERATOR.test(after));
}

/** WGSL source without comments, indentation, blank lines or blanks between tokens that need none (tokens and line breaks kept). */
export function minifyWgsl(source) {
  const lines = source
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, '')
    .split('\n')
    .map((line) => line.trim().replace(/[ \t]+/g, (blank, at, text) => (blankNeeded(text[at - 1], text[at + blank.length]) ? ' ' : '')))
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
