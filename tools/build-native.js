#!/usr/bin/env node
// Builds the optional BLAS-backed tfjs kernels (libs/native-kernels) after `npm install`.
// A failed build never fails the install: the runtime then steps down to the next backend
// and logs why. `npm run build:native` rebuilds on demand (--force).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const addonDir = path.join(__dirname, '..', 'libs', 'native-kernels');
const force = process.argv.includes('--force');

if (!fs.existsSync(path.join(addonDir, 'binding.gyp'))) {
  process.exit(0);
}
if (process.env.COURIER_SKIP_NATIVE_BUILD === '1') {
  console.log('[native-kernels] COURIER_SKIP_NATIVE_BUILD=1: not building the BLAS kernels');
  process.exit(0);
}
const built = path.join(addonDir, 'build', 'Release', 'courier_blas.node');
// A build older than its sources (e.g. after a pull that changed the addon) is rebuilt.
const sources = [path.join(addonDir, 'binding.gyp'), ...fs.readdirSync(path.join(addonDir, 'csrc')).map((f) => path.join(addonDir, 'csrc', f))];
const stale = fs.existsSync(built) && sources.some((f) => fs.statSync(f).mtimeMs > fs.statSync(built).mtimeMs);
if (!force && fs.existsSync(built) && !stale) {
  console.log(`[native-kernels] already built: ${path.relative(process.cwd(), built)}`);
  process.exit(0);
}
if (stale) console.log('[native-kernels] the build is older than its sources: rebuilding');
let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  console.warn('[native-kernels] node-gyp not found; skipping the native build (tfjs falls back to WebAssembly/CPU)');
  process.exit(0);
}
// node-gyp downloads Node's headers unless told where they are; this machine is offline, so
// point it at the headers installed next to the running node (e.g. /usr/include/node) when
// npm has not already passed a nodedir.
const args = [gyp, 'rebuild', '--jobs=max'];
const prefix = path.resolve(path.dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}
console.log('[native-kernels] building the BLAS-backed kernels with node-gyp ...');
const result = spawnSync(process.execPath, args, {
  cwd: addonDir,
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
});
if (result.status !== 0) {
  const tail = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  console.warn(
    '[native-kernels] build failed; the platform still works on the WebAssembly/CPU backends.\n' +
      'Install a C++ compiler and OpenBLAS headers (Debian: apt-get install g++ libopenblas-dev), then run `npm run build:native`.\n' +
      tail,
  );
  process.exit(0);
}
console.log('[native-kernels] built ' + path.relative(process.cwd(), built));
