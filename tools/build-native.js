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
// One clear line instead of a buried gyp error: check the compiler and the OpenBLAS headers first
// (what a fresh Debian machine lacks), and keep node-gyp's full output in a log file.
const FIX = 'sudo apt-get install -y libopenblas-dev && npm run build:native';
const logFile = path.join(addonDir, 'build', 'build-native.log');
function fail(why, detail) {
  try {
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    fs.writeFileSync(logFile, `${new Date().toISOString()} ${why}\n${detail ?? ''}\n`);
  } catch {
    // the message below is what matters
  }
  // npm may hide a lifecycle script's stdout; stderr and the log file carry the message.
  console.error(
    `[native-kernels] NOT BUILT: ${why}. The fast path needs it: \`${FIX}\` ` +
      `(until then runs use WebAssembly, about 12-17x slower; pipeline:run stops and says so). Details: ${path.relative(process.cwd(), logFile)}`,
  );
  process.exit(0); // never fail the install
}
const probe = (cmd, argv, input) => spawnSync(cmd, argv, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
const cxx = process.env.CXX || 'g++';
const version = probe(cxx, ['--version']);
if (version.error || version.status !== 0) fail(`no C++ compiler (${cxx}: ${version.error ? version.error.code : `exit ${version.status}`})`, 'Debian: sudo apt-get install -y g++');
const header = probe(cxx, ['-E', '-x', 'c++', '-I/usr/include/openblas', '-'], '#include <cblas.h>\n');
if (process.env.COURIER_NATIVE_SIMULATE_NO_BLAS === '1' || header.status !== 0) {
  fail('OpenBLAS headers not found (cblas.h; Debian package libopenblas-dev)', process.env.COURIER_NATIVE_SIMULATE_NO_BLAS === '1' ? 'COURIER_NATIVE_SIMULATE_NO_BLAS=1 (simulated)' : header.stderr);
}
console.log('[native-kernels] building the BLAS-backed kernels with node-gyp ...');
const gypOptions = { cwd: addonDir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 };
let result = spawnSync(process.execPath, args, gypOptions);
// oneDNN is optional (libs/native-kernels/probe-dnnl.js turns it on when libdnnl-dev links): if
// the build with it fails, build again without it, so convolutions fall back to OpenBLAS.
if (result.status !== 0 && process.env.COURIER_DNNL !== '0') {
  console.log('[native-kernels] the build with oneDNN failed; building without it (convolutions on OpenBLAS)');
  result = spawnSync(process.execPath, args, { ...gypOptions, env: { ...process.env, COURIER_DNNL: '0' } });
}
if (result.status !== 0) {
  const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim();
  // The compiler's first error, else node-gyp's own (e.g. a locked or read-only build folder).
  const lines = output.split('\n');
  const firstError =
    lines.find((l) => /\berror\b/i.test(l) && !/^gyp /.test(l)) ?? lines.find((l) => /^gyp ERR! stack /.test(l))?.slice('gyp ERR! stack '.length) ?? `node-gyp exited with ${result.status}`;
  fail(`node-gyp failed: ${firstError.trim().slice(0, 200)}`, output);
}
fs.rmSync(logFile, { force: true });
console.log('[native-kernels] built ' + path.relative(process.cwd(), built));
