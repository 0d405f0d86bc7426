/**
 * experiments: the paper's comparisons as suites, each writing a report (results.json, report.md,
 * a self-contained report.html with Vega-Lite charts, and main.png).
 *
 *   tsx apps/experiments/src/main.ts run --suite methods [--preset tiny|demo|bench] [--seeds 1,2,3] [--allow-slow-backend]
 *        [--out DIR] [--config FILE] [--variants courier,simclr] [--pretrain-epochs N]
 *        [--baseline-epochs N] [--ctr-epochs N] [--worlds a,b] [--force] [--no-screenshot]
 *   tsx apps/experiments/src/main.ts list          suites and their variants
 *   tsx apps/experiments/src/main.ts help          every config key with its default
 *   tsx apps/experiments/src/main.ts render DIR    re-render report.md/html from DIR/results.json
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createLogger, initBackend, overridesFromFlags, parseCliArgs, printConfigHelp, resolveConfig, slowBackendDecision } from '@courier/runtime';
import { validateSuiteReport, writeSuiteReport, evaluateChecks, STATUS_TEXT } from '@courier/report';
import { EXPERIMENTS_CONFIG_SCHEMA, ExperimentsConfig } from './presets';
import { runSuite } from './runner';
import { SUITES, getSuite } from './suites';

async function main(argv: string[]): Promise<void> {
  const { positionals, flags } = parseCliArgs(argv);
  const command = positionals[0] ?? 'run';
  if (command === 'help' || flags.help || flags.h) {
    printConfigHelp(EXPERIMENTS_CONFIG_SCHEMA, { title: 'experiments config (experiments run --config FILE --<key> VALUE)' });
    return;
  }
  if (command === 'list') {
    for (const s of Object.values(SUITES))
      process.stdout.write(
        `${s.name.padEnd(16)} ${s.title}\n${' '.repeat(17)}variants: ${s.variants.map((v) => `${v.name} (${v.method}, ${v.mode}${v.worlds ? `; worlds ${v.worlds.join(', ')}` : ''})`).join(', ')}\n` +
          (s.worlds ? `${' '.repeat(17)}worlds: ${s.worlds.map((w) => `${w.tag} (${w.label})`).join(', ')}\n` : ''),
      );
    return;
  }
  if (command === 'render') {
    const dir = positionals[1];
    if (!dir) throw new Error('experiments render: give the report folder (holding results.json)');
    const file = path.join(dir, 'results.json');
    const report = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    validateSuiteReport(report, file);
    const out = writeSuiteReport(dir, report);
    process.stdout.write(`${out.markdown}\n${out.html}\n`);
    return;
  }
  if (command !== 'run') throw new Error(`experiments: unknown command "${command}"; expected run, list, render or help`);
  const { 'no-screenshot': noShot, noScreenshot, 'allow-slow-backend': allowSlow, ...rest } = flags;
  const overrides: Record<string, unknown> = overridesFromFlags(rest, EXPERIMENTS_CONFIG_SCHEMA);
  if (typeof flags.out === 'string') overrides.out = flags.out;
  if (noShot || noScreenshot) overrides.screenshot = false;
  const config = resolveConfig<ExperimentsConfig>(EXPERIMENTS_CONFIG_SCHEMA, { file: typeof flags.config === 'string' ? flags.config : undefined, overrides, where: 'experiments' });
  if (!config.suite) throw new Error(`experiments run: --suite is required; suites: ${Object.keys(SUITES).join(', ')}, all`);
  const names = config.suite === 'all' ? Object.keys(SUITES) : config.suite.split(',');
  const suites = names.map(getSuite);
  const log = createLogger('experiments');
  // As pipeline run: a suite on the WebAssembly or plain CPU backend would take hours, so it stops
  // in seconds naming the fix unless the fallback is asked for.
  const decision = slowBackendDecision(await initBackend(), { allowFlag: allowSlow === true || allowSlow === 'true', command: 'experiments run' });
  if (!decision.proceed) {
    process.stderr.write(`${decision.message}\n`);
    process.exit(2);
  }
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
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`${err.stack && process.env.COURIER_DEBUG ? err.stack : err.message}\n`);
  process.exit(1);
});
