import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng } from '@courier/runtime';
import { buildDataset, loadMmrecDataset } from './dataset';
import { LABEL_PRETRAIN, LABEL_TRAIN, courierRelabel, labelCounts, mmrecLabels, parseInter } from './inter';
import { writeNpy } from './npy';

const HEADER = 'userID\titemID\trating\ttimestamp\tx_label';

function folder(rows: string[], features: { image?: [number, number]; text?: [number, number] }): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'inter-'));
  fs.mkdirSync(path.join(root, 'toy'));
  fs.writeFileSync(path.join(root, 'toy', 'toy.inter'), [HEADER, ...rows].join('\n') + '\n');
  for (const [m, shape] of Object.entries(features)) {
    writeNpy(path.join(root, 'toy', `${m}_feat.npy`), new Float32Array(shape[0] * shape[1]).fill(0.5), shape);
  }
  return root;
}

const ROWS = ['0\t0\t5.0\t100\t0', '0\t1\t4.0\t101\t1', '0\t2\t3.0\t102\t2', '1\t2\t2.0\t103\t0', '1\t3\t1.0\t104\t2', '2\t1\t1.0\t105\t1', '1\t0\t1.0\t106\t3', '1\t1\t1.0\t107\t7'];

describe('.inter reading and splits', () => {
  it('parses columns by name, sizes over all rows, splits by label with the cold-start filter', () => {
    const { table } = parseInter([HEADER, ...ROWS].join('\n'), 't.inter');
    expect([table.nUsers, table.nItems, table.ignoredLabelRows]).toEqual([3, 4, 1]);
    const ds = buildDataset(table, [], '/x', { name: 'toy', modalities: [] });
    expect(Array.from(ds.train.users)).toEqual([0, 1]);
    expect(Array.from(ds.pretrain.items)).toEqual([0]);
    // user 2 has no training row: its validation row is dropped (MMRec cold-start filter).
    expect(Array.from(ds.valid.users)).toEqual([0]);
    expect(ds.stats.coldStartDropped).toEqual({ valid: 1, test: 0 });
    expect(Array.from(ds.test.users)).toEqual([0, 1]);
    expect(ds.test.targets.map((t) => Array.from(t))).toEqual([[2], [3]]);
    expect(Array.from(ds.trainItemPool)).toEqual([0, 2]);
    // Column order is irrelevant.
    const swapped = parseInter('x_label\titemID\tuserID\n0\t3\t1\n2\t0\t1\n', 's.inter').table;
    expect([swapped.nUsers, swapped.nItems, swapped.timestamps]).toEqual([2, 4, null]);
  });

  it('reports malformed rows with their 1-based line number and column, or collects them as rejects', () => {
    const text = [HEADER, '0\t0\t5.0\t100\t0', '0\tabc\t5.0\t100\t0', '1\t1\t5.0\t100'].join('\n');
    expect(() => parseInter(text, 'm.inter')).toThrow(/m\.inter line 3, column "itemID": expected a non-negative integer, got "abc"/);
    const { rejects, table } = parseInter(text, 'm.inter', { onBadRow: 'reject' });
    expect(rejects.map((r) => r.line)).toEqual([3, 4]);
    expect(rejects[1].reason).toMatch(/5 tab-separated fields/);
    expect(table.users.length).toBe(1);
    expect(() => parseInter('userID\titemID\n0\t1\n', 'h.inter')).toThrow(/h\.inter row 1, column "x_label"/);
    expect(() => parseInter([HEADER, '0\t0\t5.0\t100\t0', '-1\t0\t5.0\t100\t0'].join('\n'), 'n.inter')).toThrow(/line 3, column "userID"/);
    expect(() => parseInter([HEADER, '0\t0\tx\t100\t0'].join('\n'), 'r.inter')).toThrow(/line 2, column "rating": expected a number/);
  });

  it('a missing feature file is an error, never a fallback to fewer modalities', () => {
    const root = folder(ROWS, { image: [4, 3] });
    expect(loadMmrecDataset({ root, name: 'toy', modalities: ['image'] }).features.image!.dim).toBe(3);
    expect(() => loadMmrecDataset({ root, name: 'toy', modalities: ['image', 'text'] })).toThrow(/text_feat\.npy: expected the text feature file .*got "file not found"/);
  });

  it('a feature file whose row count differs from n_items is an error', () => {
    const root = folder(ROWS, { image: [5, 3], text: [4, 2] });
    expect(() => loadMmrecDataset({ root, name: 'toy', modalities: ['image', 'text'] })).toThrow(/image_feat\.npy column "shape\[0\]": expected 4 rows \(n_items.*got 5/);
  });

  it('MMRec 8:1:1 rule and the COURIER 50/30/10/10 relabelling', () => {
    const users = Int32Array.from([...Array(5).fill(0), ...Array(20).fill(1)]);
    const labels = mmrecLabels(users, 2, new Rng(1));
    // n=5: 3/1/1; n=20: vt=4, valid=2, test=2, train=16.
    expect(labelCounts(labels.subarray(0, 5))).toMatchObject({ train: 3, valid: 1, test: 1 });
    expect(labelCounts(labels.subarray(5))).toMatchObject({ train: 16, valid: 2, test: 2 });
    const c = courierRelabel(users, labels, 2, new Rng(2));
    // keep max(1, floor(3/8 n_tr + 0.5)): n_tr=3 -> 1, n_tr=16 -> 6; valid/test unchanged.
    expect(labelCounts(c.subarray(0, 5))).toMatchObject({ train: 1, pretrain: 2, valid: 1, test: 1 });
    expect(labelCounts(c.subarray(5))).toMatchObject({ train: 6, pretrain: 10, valid: 2, test: 2 });
    for (let r = 0; r < users.length; r++) if (labels[r] !== LABEL_TRAIN) expect(c[r]).toBe(labels[r]);
    expect(c.filter((l) => l === LABEL_PRETRAIN).length).toBe(12);
  });
});
