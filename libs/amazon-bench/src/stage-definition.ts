import * as path from 'node:path';
import type { StageDefinition } from '@courier/runtime';
import { Rng, createLogger, initBackend, runStage, stageCommand } from '@courier/runtime';
import { AMAZON_BENCH_SCHEMA, AmazonBenchConfig, runAmazonBench } from './bench';
import type { CourierLossFn } from './courier-plugin';
import { LABEL_TRAIN, courierRelabel, labelCounts, readInter, writeInter } from './inter';
import { SyntheticPreset, generateSynthetic, syntheticParams } from './synthetic';

/**
 * The COURIER loss the benchmark pre-trains with. A stage library does not import another
 * stage, so the app passes @courier/courier's: `{ defaultOptions: DEFAULT_LOSS_OPTIONS, loss: courierLoss }`.
 */
export interface CourierLossPlugin<O extends { tau: number }> {
  defaultOptions: Readonly<O>;
  loss(inputs: Parameters<CourierLossFn>[0], options: O): ReturnType<CourierLossFn>;
}

/** The amazon-bench app (`run`, `generate`, `split`), with the COURIER loss injected. */
export function amazonBenchStage<O extends { tau: number }>(courier: CourierLossPlugin<O>): StageDefinition {
  const log = createLogger('amazon-bench');
  return {
    name: 'amazon-bench',
    description: 'the Amazon-format benchmark: BPR, BM3, MMGCN (and more) with and without COURIER features',
    commands: {
      run: stageCommand<AmazonBenchConfig>({
        summary: 'the benchmark (generates the synthetic dataset under <out>/data when it is missing)',
        config: AMAZON_BENCH_SCHEMA,
        out: { doc: 'the report folder; default runs/amazon-<dataset>-seed<seed>', default: ({ config, seed }) => path.join('runs', `amazon-${config.dataset}-seed${seed}`) },
        options: [{ name: 'fresh', doc: 'ignore finished runs, checkpoints and COURIER features under --out and compute everything again (default: continue: skip finished runs, resume the interrupted one, rerun those whose settings changed)', boolean: true }],
        outputs: ['amazon-report.json', 'table.txt', 'table.md', 'runs.jsonl', 'runs/<label>/<params>-seed<seed>/result.json (+ checkpoint.ckpt while training)', 'courier/', 'run.json', 'data/<name>/ (when generated)'],
        seed: true,
        async run({ config, seed, outDir, flags }) {
          await initBackend();
          const lossOptions: O = { ...courier.defaultOptions, tau: config.courierTau };
          await runStage({ stage: 'amazon-bench', outDir, seed, config: { ...config, courierLossOptions: lossOptions }, log }, async (ctx) => {
            const { summary } = await runAmazonBench(config, {
              outDir,
              seed,
              log: (line) => ctx.log.info(line),
              time: (name, fn) => ctx.time(name, fn),
              courierLoss: (inputs) => courier.loss(inputs, lossOptions),
              courierLossOptions: lossOptions,
              fresh: flags.fresh === true,
            });
            return summary;
          });
          return path.join(outDir, 'amazon-report.json');
        },
      }),
      generate: stageCommand<null>({
        summary: 'writes a synthetic dataset in MMRec format to <out>/<name>',
        config: null,
        options: [
          { name: 'preset', doc: 'tiny, small, baby, sports or clothing (default small)', valueName: 'P' },
          { name: 'name', doc: 'dataset folder name (default synthetic-<preset>, -notaste without the taste signal)', valueName: 'NAME' },
          { name: 'image-taste', doc: 'put the taste signal into the image features (default true)', boolean: true },
        ],
        out: { doc: 'the data root' },
        outputs: ['<name>/<name>.inter', '<name>/image_feat.npy', '<name>/text_feat.npy', '<name>/stats.json'],
        seed: true,
        async run({ flags, seed, outDir }) {
          const preset = String(flags.preset ?? 'small') as SyntheticPreset;
          const taste = flags['image-taste'] !== false;
          const name = typeof flags.name === 'string' ? flags.name : `synthetic-${preset}${taste ? '' : '-notaste'}`;
          generateSynthetic(outDir, name, syntheticParams(preset, { seed, imageTaste: taste }), (l) => log.info(l));
          return path.join(outDir, name);
        },
      }),
      split: stageCommand<null>({
        summary: 'COURIER 50/30/10/10 relabelling of an MMRec .inter file',
        config: null,
        inputs: [{ name: 'in', doc: 'the MMRec .inter file to relabel', kind: 'file', required: true }],
        out: { doc: 'the relabelled .inter file', kind: 'file' },
        outputs: [],
        seed: true,
        async run({ inputs, seed, outDir: outFile }) {
          const { table } = readInter(inputs.in!);
          const labels = courierRelabel(table.users, table.labels, table.nUsers, new Rng(seed).fork('split-courier'));
          writeInter(outFile, { ...table, labels });
          log.info(`split ${inputs.in} -> ${outFile}: ${JSON.stringify(labelCounts(labels))} (training rows before: ${table.labels.filter((l) => l === LABEL_TRAIN).length})`);
          return outFile;
        },
      }),
    },
  };
}
