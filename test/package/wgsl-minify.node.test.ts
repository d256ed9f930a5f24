// The published build's WGSL minifier (scripts/wgsl-minify.mjs) changes no shader's tokens:
// every file in shaders/ lexes to the same tokens before and after, so it is the same
// program. Node only: the script is a build step (it reads files through node:fs).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { minifyWgsl } from '../../scripts/wgsl-minify.mjs';

// WGSL tokens by maximal munch: identifiers, numbers with their suffixes, the multi-character
// operators longest first, then any single character.
const TOKEN = new RegExp(
  [
    '[A-Za-z_][A-Za-z0-9_]*',
    '(?:0[xX][0-9a-fA-F]+|[0-9]+\\.[0-9]*|\\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?[iuhf]?',
    '<<=|>>=',
    '->|<=|>=|==|!=|&&|\\|\\||<<|>>|\\+\\+|--|[-+*/%&|^]=',
    '\\S',
  ].join('|'),
  'g',
);

const withoutComments = (source: string) => source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '');
const tokens = (source: string) => withoutComments(source).match(TOKEN) ?? [];

const SHADERS = join(import.meta.dirname, '../../shaders');

describe('WGSL minifier', () => {
  it('keeps a blank only where two tokens would join', () => {
    const source = 'let x = a - -b; // note\nlet m: vec4<bool> = v;\nif (p > q && r) { y = x / *ptr; }\n  @compute @workgroup_size(64)\nfn main() {}';
    expect(minifyWgsl(source)).toBe('let x=a- -b;\nlet m:vec4<bool> =v;\nif(p>q&&r){y=x/ *ptr;}\n@compute@workgroup_size(64)\nfn main(){}\n');
  });

  const files = readdirSync(SHADERS).filter((name) => name.endsWith('.wgsl'));

  it.each(files)('%s keeps its tokens', (name) => {
    const source = readFileSync(join(SHADERS, name), 'utf8');
    const minified = minifyWgsl(source);
    expect(tokens(minified)).toEqual(tokens(source));
    expect(minified.length).toBeLessThan(withoutComments(source).length);
  });

  it('covers every shader file', () => {
    expect(files.length).toBeGreaterThanOrEqual(25);
  });
});
