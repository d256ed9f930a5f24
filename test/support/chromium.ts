// How the tests launch Chromium (system binaries, nothing downloaded): shared by the Vitest
// browser project (vitest.config.ts) and the demo's end-to-end test, which drives Chromium itself.

/** Debian's Chromium and its matching chromedriver (scripts/prereqs.sh installs them). */
export const CHROMIUM_BINARY = '/usr/bin/chromium';
export const CHROMEDRIVER_BINARY = '/usr/bin/chromedriver';

/** Headless Chromium with WebGPU on SwiftShader, offline. */
export const chromiumArgs = [
  '--headless=new',
  '--no-sandbox', // needed when running as root (CI)
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-angle=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost',
];
