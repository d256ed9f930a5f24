// Node's store of kernel choices: a JSON file under the OS cache folder or a given path,
// written atomically, read back, and never fatal when the disk refuses it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultCachePath, defaultChoiceStore, fileStore } from '../../src/gpu/kernel-choice-store';

afterEach(() => vi.unstubAllEnvs());

describe('kernel choice file store', () => {
  it('saves to a path, creating its folder, and loads the entries back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadergrad-choice-'));
    const path = join(dir, 'nested', 'choices.json');
    const store = fileStore(path);
    expect(await store.load()).toEqual({});
    await store.save({ 'mesa|||llvmpipe|matmul 2^30|ab12': 'subgroup' });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ version: 1, choices: { 'mesa|||llvmpipe|matmul 2^30|ab12': 'subgroup' } });
    expect(await fileStore(path).load()).toEqual({ 'mesa|||llvmpipe|matmul 2^30|ab12': 'subgroup' });
    writeFileSync(path, '{ not json');
    await expect(fileStore(path).load()).rejects.toThrow(SyntaxError);
  });

  it('rejects a save it cannot write (the chooser then carries on)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadergrad-choice-'));
    const blocker = join(dir, 'file');
    writeFileSync(blocker, '');
    await expect(fileStore(join(blocker, 'choices.json')).save({ k: 'register' })).rejects.toThrow();
  });

  it('defaults to the OS cache folder, XDG_CACHE_HOME first on Linux', async () => {
    vi.stubEnv('XDG_CACHE_HOME', '/var/cache/me');
    const expected = process.platform === 'linux' ? '/var/cache/me/shadergrad/kernel-choice.json' : expect.stringContaining(homedir());
    expect(await defaultCachePath()).toEqual(expected);
    expect(defaultChoiceStore()).toBeDefined();
  });
});
