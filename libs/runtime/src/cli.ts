/**
 * Minimal command-line parsing shared by the apps.
 *
 * - `--key value` and `--key=value` set a string flag (a separate value starting with `-` is
 *   taken only when it is a number, e.g. `--lr -0.5`; otherwise use `--key=-x`);
 * - `--flag` alone (last, or followed by another `--x`) sets `true`; `--no-flag` sets `false`
 *   and never takes a value. Put positionals before flags: `--flag pos` reads pos as the value;
 * - `-h` (any single-dash short name) sets that name to `true`;
 * - a bare `--` ends flag parsing: everything after it is positional;
 * - a repeated flag keeps its last value.
 * Flag names are kept as written (kebab-case); `resolveConfig` maps them to camelCase keys.
 */
export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | boolean>;
}

const isNumber = (text: string): boolean => text.trim() !== '' && !Number.isNaN(Number(text));

export function parseCliArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const body = arg.slice(2);
      const eq = body.indexOf('=');
      if (eq >= 0) {
        const name = body.slice(0, eq);
        if (!name) throw new Error(`command line: "${arg}" has no flag name before "="`);
        flags[name] = body.slice(eq + 1);
        continue;
      }
      if (!body) continue;
      const next = argv[i + 1];
      if (body.startsWith('no-') && body.length > 3) {
        flags[body.slice(3)] = false; // never takes a value
      } else if (next !== undefined && (!next.startsWith('-') || isNumber(next))) {
        flags[body] = next;
        i++;
      } else {
        flags[body] = true;
      }
      continue;
    }
    if (arg.length > 1 && arg.startsWith('-') && !isNumber(arg)) {
      flags[arg.slice(1)] = true;
      continue;
    }
    positionals.push(arg);
  }
  return { positionals, flags };
}
