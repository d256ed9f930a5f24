// Types of scripts/size.mjs (used by test/package/consumer.node.test.ts).
import type { Plugin } from 'vite';

export const WHOLE_API_LIMIT: number;
export const ENTRIES: Record<string, string[] | '*'>;
export function entrySource(names: string[] | '*', from: string): string;
export function bundleSize(source: string, options?: { plugins?: Plugin[]; root?: string }): Promise<{ minified: number; gzipped: number; byFolder: Record<string, number> }>;
