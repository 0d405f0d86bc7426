import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StageDefinition } from '@courier/runtime';
import { StageCliError, createLogger, initBackend, slowBackendDecision, stageCommand } from '@courier/runtime';
import { STATUS_TEXT, evaluateChecks, validateSuiteReport, writeSuiteReport } from '@courier/report';
import { EXPERIMENTS_CONFIG_SCHEMA, ExperimentsConfig } from './presets';
import { runSuite } from './runner';
import { SUITES, getSuite } from './suites';

/** The suites `--suite` names: one, a comma list, or "all". */
function suiteNames(suite: string): string[] {
  return suite === 'all' ? Object.keys(SUITES) : suite.split(',');
}

/**
 * The experiments app's command line (`runStageCli`'s convention, like every stage app). `run`
 * runs the paper's comparisons as suites, each writing a report (results.json, report.md, a
 * self-contained report.html with Vega-Lite charts, and main.png) under `--out` (config key `out`,
 * default runs/experiments); `list` shows the suites and their variants; `render DIR` rewrites
 * report.md and report.html from DIR/results.json. Seeds are the list `--seeds 1,2,3` (no `--seed`).
 * Without a fast backend `run` stops in seconds (exit 2) naming the fix, unless
 * --allow-slow-backend or COURIER_ALLOW_SLOW_BACKEND=1.
 */
export const EXPERIMENTS_CLI: StageDefinition = {
  name: 'experiments',
  description: 'the paper\'s comparisons as suites, each writing a report (results.json, report.md, report.html, main.png)',
  commands: {
    run: stageCommand<ExperimentsConfig>({
      summary: `runs suites (--suite ${Object.keys(SUITES).join('|')}|all, or a comma list), reusing finished stages`,
      config: EXPERIMENTS_CONFIG_SCHEMA,
      options: [{ name: 'allow-slow-backend', doc: 'run on the WebAssembly/CPU fallback instead of stopping (or COURIER_ALLOW_SLOW_BACKEND=1)', boolean: true }],
      out: { doc: 'root of the run folders and reports (default: the config key out, runs/experiments)', default: ({ config }) => config.out },
      outputs: ['<world and stage folders>', 'reports/<suite>-<preset>-seeds<seeds>/ (results.json, report.md, report.html, main.png)'],
      seed: false,
      check({ config }) {
        if (!config.suite) throw new StageCliError(`experiments run: --suite is required; suites: ${Object.keys(SUITES).join(', ')}, all`);
        suiteNames(config.suite).forEach(getSuite);
      },
      async run({ config: resolved, flags, outDir }) {
        const config = { ...resolved, out: outDir };
        const suites = suiteNames(config.suite!).map(getSuite);
        const log = createLogger('experiments');
        // As pipeline run: a suite on the WebAssembly or plain CPU backend would take hours, so it
        // stops in seconds naming the fix unless the fallback is asked for.
        const decision = slowBackendDecision(await initBackend(), { allowFlag: flags['allow-slow-backend'] === true, command: 'experiments run' });
        if (!decision.proceed) throw new StageCliError(decision.message ?? 'experiments run: stopped before a slow run', 2);
        if (decision.message) log.warn(decision.message);
        for (const suite of suites) {
          const result = await runSuite({ suite, config, log });
          const checks = evaluateChecks(result.report);
          process.stdout.write(
            `\n${suite.title} (${config.preset}, seeds ${config.seeds.join(',')}): ${result.seconds.toFixed(0)} s, ${result.ran.length} stages run, ${result.reused.length} reused\n` +
              checks.map((c) => `  [${STATUS_TEXT[c.status]}] ${c.claim}: ${c.detail}\n`).join('') +
              `Report:   ${result.files.html}\nMarkdown: ${result.files.markdown}\nData:     ${result.files.json}\n${result.screenshot ? `Chart:    ${result.screenshot}\n` : ''}`,
          );
        }
      },
    }),
    list: stageCommand<null>({
      summary: 'lists the suites, their variants and worlds',
      config: null,
      out: null,
      outputs: [],
      seed: false,
      async run() {
        return Object.values(SUITES)
          .map(
            (s) =>
              `${s.name.padEnd(16)} ${s.title}\n${' '.repeat(17)}variants: ${s.variants.map((v) => `${v.name} (${v.method}, ${v.mode}${v.worlds ? `; worlds ${v.worlds.join(', ')}` : ''})`).join(', ')}` +
              (s.worlds ? `\n${' '.repeat(17)}worlds: ${s.worlds.map((w) => `${w.tag} (${w.label})`).join(', ')}` : ''),
          )
          .join('\n');
      },
    }),
    render: stageCommand<null>({
      summary: 'rewrites report.md and report.html of a report folder from its results.json',
      config: null,
      inputs: [{ name: 'dir', doc: 'the report folder, holding results.json', kind: 'dir', required: true, positional: true }],
      out: null,
      outputs: ['report.md', 'report.html (in the report folder)'],
      seed: false,
      async run({ inputs }) {
        const dir = inputs.dir!;
        const file = path.join(dir, 'results.json');
        const report = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
        validateSuiteReport(report, file);
        const out = writeSuiteReport(dir, report);
        return `${out.markdown}\n${out.html}`;
      },
    }),
  },
};
