// Issue #17, finding 5: ids and feature values of an MMRec folder are checked, with the file,
// line (or row) and column named, before anything of size max id is allocated.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildDataset, featureWarnings, loadMmrecDataset } from './dataset';
import { parseInter, readInter } from './inter';
import { writeNpy } from './npy';

const HEADER = 'userID\titemID\trating\ttimestamp\tx_label';

/** A folder `<root>/toy/` with toy.inter (rows) and, optionally, image_feat.npy. */
function folder(rows: string[], image?: { rows: number; dim: number; data?: Float32Array }): { root: string; inter: string; image: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-input-'));
  const dir = path.join(root, 'toy');
  fs.mkdirSync(dir);
  const inter = path.join(dir, 'toy.inter');
  fs.writeFileSync(inter, [HEADER, ...rows].join('\n') + '\n');
  const imageFile = path.join(dir, 'image_feat.npy');
  if (image) writeNpy(imageFile, image.data ?? new Float32Array(image.rows * image.dim).fill(0.5), [image.rows, image.dim]);
  return { root, inter, image: imageFile };
}

/** Dense rows: user u has items u % nItems and (u + 1) % nItems (labels 0 and 2). */
function denseRows(nUsers: number, nItems: number): string[] {
  const out: string[] = [];
  for (let u = 0; u < nUsers; u++) {
    out.push(`${u}\t${u % nItems}\t1.0\t${u}\t0`);
    out.push(`${u}\t${(u + 1) % nItems}\t1.0\t${u}\t2`);
  }
  return out;
}

const load = (root: string, modalities: ('image' | 'text')[] = []) => loadMmrecDataset({ root, name: 'toy', modalities });

describe('bad input: ids (issue #17 finding 5)', () => {
  it('a huge sparse userID is refused at once, naming the file, line, column and value (was: 108 s, heap out of memory)', () => {
    const rows = denseRows(908, 50); // 1,816 rows
    rows.push('2000000000\t3\t1.0\t0\t0'); // 1,817 rows; file line 1,818
    const { root, inter } = folder(rows);
    const t0 = Date.now();
    expect(() => load(root)).toThrow(/toy\.inter line 1818, column "userID": expected a userID below 1817 \(the file has 1817 rows.*would make 2000000001 users.*got 2000000000/);
    expect(() => readInter(inter)).toThrow(/toy\.inter line 1818, column "userID"/); // the `split` command's reader
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('userID 99999 among 300 users is an error, not 100,000 users', () => {
    const rows = denseRows(300, 40);
    rows.splice(7, 0, '99999\t1\t1.0\t0\t0'); // file line 9
    const { root } = folder(rows);
    expect(() => load(root)).toThrow(/toy\.inter line 9, column "userID": expected a userID below 601 .*got 99999/);
  });

  it('a gap in the ids (an id in 0..max that never occurs) is an error naming the first unused id', () => {
    const rows = denseRows(10, 6).filter((r) => !r.startsWith('4\t')); // user 4 has no row
    const { root } = folder(rows);
    expect(() => load(root)).toThrow(/toy\.inter line 18, column "userID": expected dense 0-based userIDs .*9 distinct users occur but the largest id makes 10; 1 ids in 0\.\.9 never occur, the first is 4.*got 9/);
    const items = denseRows(10, 6).map((r) => r.replace(/^(\d+)\t5\t/, '$1\t6\t')); // item 5 -> 6: 5 unused
    expect(() => load(folder(items).root)).toThrow(/column "itemID": expected dense 0-based itemIDs .*the first is 5.*got 6/);
    // In-memory tables get the same check (no file line: the data row is named).
    const { table } = parseInter([HEADER, '0\t0\t1\t0\t0', '5\t0\t1\t0\t0'].join('\n'), 'mem.inter');
    expect(() => buildDataset({ ...table, lines: undefined }, [], '/x', { name: 'toy', modalities: [] })).toThrow(/mem\.inter data row 1, column "userID": expected a userID below 2/);
  });

  it('an id past int32 is a parse error on its line', () => {
    const text = [HEADER, '0\t0\t1\t0\t0', '0\t3000000000\t1\t0\t0'].join('\n');
    expect(() => parseInter(text, 'big.inter')).toThrow(/big\.inter line 3, column "itemID": expected an id of at most 2147483646/);
  });

  it('an itemID beyond the feature rows is blamed on the .inter line, with the feature row count', () => {
    const rows = denseRows(6, 4);
    rows.push('2\t4\t1.0\t0\t0'); // item 4, file line 14; image_feat.npy has 4 rows
    const { root } = folder(rows, { rows: 4, dim: 3 });
    expect(() => load(root, ['image'])).toThrow(/toy\.inter line 14, column "itemID": expected an itemID below 4 \(image_feat\.npy has 4 rows; row i is the feature vector of item i\), got 4/);
    // A feature file with more rows than n_items is still the feature file's error.
    const more = folder(denseRows(6, 4), { rows: 5, dim: 3 });
    expect(() => load(more.root, ['image'])).toThrow(/image_feat\.npy column "shape\[0\]": expected 4 rows/);
  });

  it('valid dense data loads as before', () => {
    const ds = load(folder(denseRows(6, 4), { rows: 4, dim: 3 }).root, ['image']);
    expect([ds.nUsers, ds.nItems, ds.features.image!.rows]).toEqual([6, 4, 4]);
    expect(ds.features.image!.zeroRows).toBeUndefined();
    expect(featureWarnings(ds.features)).toEqual([]);
  });
});

describe('bad input: feature values (issue #17 finding 5)', () => {
  const features = (edit: (d: Float32Array) => void): Float32Array => {
    const d = new Float32Array(4 * 3).fill(0.5);
    edit(d);
    return d;
  };
  const loadWith = (data: Float32Array) => load(folder(denseRows(6, 4), { rows: 4, dim: 3, data }).root, ['image']);

  it('NaN or Inf is an error naming the file, the first bad row and the column (was: exit 0, NaN row in the report)', () => {
    expect(() => loadWith(features((d) => (d[2 * 3 + 1] = NaN)))).toThrow(/image_feat\.npy row 2 \(item 2, 0-based\), column "1": expected a finite number.*got NaN/);
    expect(() => loadWith(features((d) => ((d[1 * 3 + 2] = -Infinity), (d[3 * 3] = NaN))))).toThrow(/image_feat\.npy row 1 \(item 1, 0-based\), column "2": expected a finite number.*got -Infinity/);
  });

  it('an absurd magnitude (> 1e6) is an error; all-zero rows are a warning, and an error when every row is zero', () => {
    expect(() => loadWith(features((d) => (d[3 * 3 + 2] = 3e7)))).toThrow(/image_feat\.npy row 3 \(item 3, 0-based\), column "2": expected a feature value with \|x\| <= 1000000 .*got 30000000/);
    const ds = loadWith(features((d) => d.fill(0, 3, 9)));
    expect(ds.features.image!.zeroRows).toEqual({ count: 2, first: 1 });
    expect(featureWarnings(ds.features)).toEqual([expect.stringMatching(/^WARNING .*image_feat\.npy: 2 of 4 image feature rows are all zero \(first: row 1\)/)]);
    expect(() => loadWith(new Float32Array(12))).toThrow(/image_feat\.npy: expected at least one non-zero feature row, got all 4 rows are zero/);
  });
});
