import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkDataInputs } from './inputs';

describe('data build inputs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'data-inputs-'));

  it('a missing --world folder is reported as such, not as a missing world.json', () => {
    const missing = path.join(dir, 'no-such-world');
    expect(() => checkDataInputs({ worldDir: missing })).toThrow(new RegExp(`data: --world ${missing} does not exist`));
  });

  it('a file or a folder without the world files is not a world', () => {
    fs.writeFileSync(path.join(dir, 'a-file'), 'x');
    expect(() => checkDataInputs({ worldDir: path.join(dir, 'a-file') })).toThrow(/is a file, not a world folder/);
    fs.mkdirSync(path.join(dir, 'empty'));
    expect(() => checkDataInputs({ worldDir: path.join(dir, 'empty') })).toThrow(/holds no items\.parquet/);
    expect(() => checkDataInputs({ itemsFile: path.join(dir, 'i.parquet'), impressionsFile: path.join(dir, 'a-file') })).toThrow(/--items .*i\.parquet does not exist/);
  });

  it('accepts a world folder', () => {
    const w = path.join(dir, 'world');
    fs.mkdirSync(w);
    for (const f of ['items.parquet', 'impressions.parquet']) fs.writeFileSync(path.join(w, f), '');
    expect(() => checkDataInputs({ worldDir: w })).not.toThrow();
  });
});
