import * as fs from 'node:fs';
import * as path from 'node:path';
import { RAW_IMPRESSIONS, RAW_ITEMS } from '@courier/data-contracts';

/**
 * Checks the inputs given to `data build` before any work (DATA_STAGE's check): a --world folder
 * must exist and be a folder holding items.parquet and impressions.parquet; --items and
 * --impressions files must exist.
 * Errors name the flag and the path (a missing world is not reported as a missing world.json).
 */
export function checkDataInputs(o: { worldDir?: string; itemsFile?: string; impressionsFile?: string }): void {
  if (o.worldDir !== undefined) {
    if (!fs.existsSync(o.worldDir)) throw new Error(`data: --world ${o.worldDir} does not exist (generate one with \`nx run datagen:generate\`, or give the folder that holds ${RAW_ITEMS.fileName})`);
    if (!fs.statSync(o.worldDir).isDirectory()) throw new Error(`data: --world ${o.worldDir} is a file, not a world folder`);
    for (const f of [RAW_ITEMS.fileName, RAW_IMPRESSIONS.fileName]) {
      const file = path.join(o.worldDir, f);
      if (!fs.existsSync(file) && !(f === RAW_ITEMS.fileName ? o.itemsFile : o.impressionsFile)) throw new Error(`data: --world ${o.worldDir} holds no ${f} (is it a world folder?)`);
    }
  }
  if (o.itemsFile !== undefined && !fs.existsSync(o.itemsFile)) throw new Error(`data: --items ${o.itemsFile} does not exist`);
  if (o.impressionsFile !== undefined && !fs.existsSync(o.impressionsFile)) throw new Error(`data: --impressions ${o.impressionsFile} does not exist`);
}
