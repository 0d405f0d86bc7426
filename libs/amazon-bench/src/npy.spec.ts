import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeNpy, parseNpy, parseNpyHeader, readNpy, writeNpy } from './npy';

const data = [1.5, -2.25, 3, 0, 1e-3, 65504];

/** Hand-built header (as NumPy writes it) followed by raw bytes. */
function handMade(version: number, dict: string, body: Uint8Array, align = 64): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  const total = Math.ceil((prefix + dict.length + 1) / align) * align;
  const header = dict + ' '.repeat(total - prefix - dict.length - 1) + '\n';
  const out = new Uint8Array(total + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), prefix);
  out.set(body, total);
  return out;
}

describe('npy reader/writer', () => {
  it.each(['<f4', '<f8', '>f4', '>f8'] as const)('round-trips %s to float32 with shape', (descr) => {
    const buf = encodeNpy(data, [2, 3], { descr });
    const arr = parseNpy(buf, 'x.npy');
    expect(arr.shape).toEqual([2, 3]);
    expect(arr.storedDescr).toBe(descr);
    expect(Array.from(arr.data)).toEqual(Array.from(Float32Array.from(data)));
    // Data offset is a multiple of 64 (NumPy >= 1.? writes 64; 16 must also be read).
    expect(parseNpyHeader(buf).dataOffset % 64).toBe(0);
  });

  it('reads v2 and v3 headers and 16-byte alignment', () => {
    const body = new Uint8Array(Float64Array.from(data).buffer);
    for (const v of [1, 2, 3]) {
      const arr = parseNpy(handMade(v, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", body, v === 1 ? 16 : 64), 'v.npy');
      expect(arr.version[0]).toBe(v);
      expect(arr.shape).toEqual([3, 2]);
      expect(Array.from(arr.data)).toEqual(Array.from(Float32Array.from(data)));
    }
  });

  it('writes atomically and reads back with a shape check', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npy-'));
    const file = path.join(dir, 'f.npy');
    writeNpy(file, data, [3, 2]);
    expect(readNpy(file, [3, null]).shape).toEqual([3, 2]);
    expect(() => readNpy(file, [4, null])).toThrow(/f\.npy: shape \(3, 2\) does not match the expected \(4, any\)/);
    expect(fs.readdirSync(dir)).toEqual(['f.npy']);
  });

  it('rejects bad magic, versions, dtypes, fortran order and truncated data with the file named', () => {
    const body = new Uint8Array(Float32Array.from(data).buffer);
    const good = handMade(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", body);
    const badMagic = good.slice();
    badMagic[1] = 0x41;
    expect(() => parseNpy(badMagic, 'a.npy')).toThrow(/a\.npy: bad magic/);
    const v9 = good.slice();
    v9[6] = 9;
    expect(() => parseNpy(v9, 'b.npy')).toThrow(/b\.npy: unsupported \.npy format version 9\.0/);
    expect(() => parseNpy(handMade(1, "{'descr': '|O', 'fortran_order': False, 'shape': (2, 3), }", body), 'c.npy')).toThrow(/c\.npy: object arrays/);
    expect(() => parseNpy(handMade(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", body), 'd.npy')).toThrow(/d\.npy: unsupported dtype "<i4"; expected '<f4' or '<f8'/);
    expect(() => parseNpy(handMade(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", body), 'e.npy')).toThrow(/e\.npy: fortran_order True is not supported/);
    expect(() => parseNpy(handMade(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 3), }", body), 'f.npy')).toThrow(/f\.npy: data has 24 bytes after the header, expected 36/);
    expect(() => parseNpy(handMade(1, "{'descr': '<f4', 'fortran_order': False}", body), 'g.npy')).toThrow(/g\.npy: header has no 'shape' tuple/);
    expect(() => parseNpy(new Uint8Array(4), 'h.npy')).toThrow(/h\.npy: too short/);
    expect(() => readNpy('/nonexistent/x.npy')).toThrow(/x\.npy: file not found/);
  });
});
