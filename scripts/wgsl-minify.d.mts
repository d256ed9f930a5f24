// Types of scripts/wgsl-minify.mjs (imported by vite.lib.config.ts and scripts/size.mjs).
import type { Plugin } from 'vite';

/** WGSL source without comments, indentation, blank lines or blanks between tokens that need none (tokens and line breaks kept). */
export function minifyWgsl(source: string): string;
/** A Vite plugin: `*.wgsl?raw` imports load as minified WGSL. */
export function wgslMinify(): Plugin;
