// scripts/prereqs.sh decides what a fresh machine needs: `--node` (npm run train / bench /
// soak) only a Vulkan driver Dawn accepts, no argument (npm test) Chromium too. Run against
// stub commands on a PATH of their own (not root, no apt-get), so it only ever prints the
// install command and never installs anything.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const script = resolve('scripts/prereqs.sh');
const dirs: string[] = [];

interface Machine {
  uname?: string;
  /** mesa-vulkan-drivers version; undefined: not installed. */
  mesa?: string;
  libvulkan?: boolean;
  chromium?: boolean;
  env?: Record<string, string>;
}

async function prereqs(args: string[], machine: Machine): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = mkdtempSync(join(tmpdir(), 'shadergrad-prereqs-'));
  dirs.push(bin);
  const stub = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  stub('uname', `echo ${machine.uname ?? 'Linux'}`);
  stub('id', 'echo 1000'); // not root: the script must print, never install
  stub('dpkg-query', machine.mesa ? `printf '%s' '${machine.mesa}'` : 'exit 1');
  stub('ldconfig', machine.libvulkan ? `echo '\tlibvulkan.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libvulkan.so.1'` : 'true');
  if (machine.chromium) {
    stub('chromium', 'true');
    stub('chromedriver', 'true');
  }
  symlinkSync('/bin/grep', join(bin, 'grep'));
  return new Promise((done) => {
    execFile('/bin/bash', [script, ...args], { env: { PATH: bin, ...machine.env } }, (error, stdout, stderr) => {
      done({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A vendor ICD on this machine makes `--node` content without Mesa (see prereqs.sh). */
const vendorIcd = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/nvidia/share/vulkan/icd.d'].some(
  (dir) => existsSync(dir) && readdirSync(dir).some((f) => f.startsWith('nvidia')),
);

describe('scripts/prereqs.sh', () => {
  // Skipped where an NVIDIA Vulkan ICD is installed (a GPU machine): prereqs.sh --node accepts the
  // vendor driver there, so the missing-driver path this test drives does not exist.
  it.skipIf(vendorIcd)('--node without a Dawn-worthy Vulkan driver prints the one command (Mesa from backports, no Chromium)', async () => {
    const result = await prereqs(['--node'], { mesa: '22.3.6-1+deb12u1', libvulkan: true });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/missing mesa-vulkan-drivers\./);
    const commands = result.stderr.split('\n').filter((line) => line.startsWith('  '));
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatch(/bookworm-backports\.list && apt-get update && .*-t bookworm-backports mesa-vulkan-drivers libvulkan1$/);
    expect(commands[0]).not.toMatch(/chromium/);
  });

  it('--node is satisfied by Mesa 24+ and the Vulkan loader, or by a driver chosen through VK_ICD_FILENAMES', async () => {
    const mesa = await prereqs(['--node'], { mesa: '25.0.7-2~bpo12+1', libvulkan: true });
    expect(mesa).toMatchObject({ code: 0, stderr: '' });
    expect(mesa.stdout).toMatch(/Vulkan driver for Dawn present \(Mesa 25\.0\.7/);
    const chosen = await prereqs(['--node'], { libvulkan: true, env: { VK_ICD_FILENAMES: '/opt/icd.json' } });
    expect(chosen.code).toBe(0);
    expect(chosen.stdout).toMatch(/\/opt\/icd\.json/);
  });

  it('--node asks for the Vulkan loader when it is missing, and needs nothing on macOS or Windows', async () => {
    const noLoader = await prereqs(['--node'], { mesa: '25.0.7-2~bpo12+1' });
    expect(noLoader.code).toBe(1);
    expect(noLoader.stderr).toMatch(/missing libvulkan1\./);
    expect(await prereqs(['--node'], { uname: 'Darwin' })).toMatchObject({ code: 0 });
  });

  it('without an argument (npm test) also wants Chromium and chromedriver', async () => {
    const bare = await prereqs([], {});
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(/missing chromium chromium-driver mesa-vulkan-drivers\./);
    expect(bare.stderr).toMatch(/apt-get install -y --no-install-recommends chromium chromium-driver/);
    const ready = await prereqs([], { mesa: '25.0.7-2~bpo12+1', chromium: true });
    expect(ready.code).toBe(0);
    expect(await prereqs(['--bogus'], {})).toMatchObject({ code: 2 });
  });
});
