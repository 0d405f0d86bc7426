#!/usr/bin/env node
// Build-time probe (binding.gyp variable `with_dnnl`): prints 1 when a C++ program that includes
// oneDNN's header and links -ldnnl compiles here (Debian: libdnnl-dev), else 0. The addon then
// runs its convolutions on oneDNN, with the im2col + OpenBLAS path as the fallback. Never fails:
// any error prints 0. COURIER_DNNL=0 forces the BLAS-only build.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function probe() {
  if (process.env.COURIER_DNNL === '0') return 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-dnnl-probe-'));
  try {
    const src = path.join(dir, 'p.cc');
    fs.writeFileSync(src, '#include <oneapi/dnnl/dnnl.hpp>\nint main() { dnnl::engine e(dnnl::engine::kind::cpu, 0); return dnnl_version()->major > 0 ? 0 : 1; }\n');
    const cxx = process.env.CXX || 'g++';
    const r = spawnSync(cxx, ['-std=c++17', src, '-o', path.join(dir, 'p'), '-ldnnl'], { encoding: 'utf8', timeout: 120000 });
    if (r.status !== 0) return 0;
    const run = spawnSync(path.join(dir, 'p'), [], { timeout: 30000 });
    return run.status === 0 ? 1 : 0;
  } catch {
    return 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
process.stdout.write(String(probe()));
