/**
 * Module boundaries, enforced as a test (the workspace has no lint step): every project's
 * tags say what it may import. Apps may use stages; a stage may use only contracts and util
 * libraries, never another stage; contracts use only util; nothing imports a library's
 * internals or another app. Specs may import any library (fixtures come from `/testing`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');

interface Project {
  name: string;
  dir: string;
  type: string;
}

function findProjects(): Project[] {
  const out: Project[] = [];
  for (const base of ['libs', 'apps', 'tools', '.']) {
    const baseDir = path.join(root, base);
    if (!fs.existsSync(baseDir)) continue;
    const dirs = base === '.' ? ['data-contracts'] : fs.readdirSync(baseDir);
    for (const d of dirs) {
      const pj = path.join(baseDir, d, 'project.json');
      if (!fs.existsSync(pj)) continue;
      const json = JSON.parse(fs.readFileSync(pj, 'utf8')) as { name: string; tags?: string[] };
      const typeTag = (json.tags ?? []).find((t) => t.startsWith('type:'));
      out.push({ name: json.name, dir: path.join(baseDir, d), type: typeTag ? typeTag.slice(5) : 'untagged' });
    }
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'build' || entry.name.startsWith('.')) continue;
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.ts')) files.push(p);
    }
  };
  walk(dir);
  return files;
}

const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  // Comments may mention imports; strip them first (block comments, then line comments).
  const text = fs
    .readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const specs: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) specs.push(m[1] ?? m[2] ?? m[3]);
  return specs;
}

/** Which project types each project type may import (outside spec files). */
const ALLOWED: Record<string, string[]> = {
  app: ['stage', 'contracts', 'util'],
  stage: ['contracts', 'util'],
  util: ['contracts', 'util'],
  contracts: ['util'],
  testing: ['stage', 'contracts', 'util', 'app'],
};

/** External packages a project type must never import directly. */
const BANNED_EXTERNAL: { projects: string[]; prefix: string; why: string }[] = [
  { projects: ['data-contracts', 'data-builder'], prefix: '@tensorflow/', why: 'contracts and the data builder stay free of tfjs' },
  { projects: ['courier', 'ctr', 'amazon-bench', 'clustering', 'metrics'], prefix: 'parquetjs-lite', why: 'model libraries read tables through @courier/io' },
];

describe('module boundaries', () => {
  const projects = findProjects();
  // `@courier/<alias>` resolves through tsconfig paths to a folder; the project is the one there.
  const paths = (JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions.paths;
  const byName = new Map<string, Project>();
  for (const [alias, targets] of Object.entries(paths)) {
    if (alias.endsWith('/testing')) continue;
    const dir = path.join(root, path.dirname(path.dirname(targets[0])));
    const project = projects.find((p) => p.dir === dir);
    if (project) byName.set(alias.slice('@courier/'.length), project);
  }

  it('finds the workspace projects, each tagged with a type', () => {
    expect(projects.length).toBeGreaterThanOrEqual(11);
    const untagged = projects.filter((p) => p.type === 'untagged').map((p) => p.name);
    expect(untagged).toEqual([]);
  });

  it('every import respects the project types and banned packages', () => {
    const violations: string[] = [];
    for (const project of projects) {
      for (const file of sourceFiles(path.join(project.dir, 'src'))) {
        // Specs, fixture entry points and the test tools themselves may use test fixtures.
        const isSpec = file.endsWith('.spec.ts') || file.endsWith('/testing.ts') || project.type === 'testing';
        const rel = path.relative(root, file);
        for (const spec of importsOf(file)) {
          if (spec.startsWith('@courier/')) {
            const [, target, ...rest] = spec.split('/');
            const dep = byName.get(target);
            if (!dep) {
              violations.push(`${rel}: imports unknown project ${spec}`);
              continue;
            }
            if (rest.length > 0 && rest.join('/') !== 'testing') violations.push(`${rel}: deep import ${spec} (use the public index)`);
            if (rest.join('/') === 'testing' && !isSpec) violations.push(`${rel}: imports test fixtures ${spec} outside a spec`);
            if (dep.name === project.name) violations.push(`${rel}: imports its own project through ${spec} (use a relative path)`);
            if (!isSpec && dep.name !== project.name && !(ALLOWED[project.type] ?? []).includes(dep.type)) {
              violations.push(`${rel}: a ${project.type} (${project.name}) may not import the ${dep.type} ${dep.name}`);
            }
          } else if (spec.startsWith('.')) {
            const resolved = path.resolve(path.dirname(file), spec);
            if (!resolved.startsWith(project.dir + path.sep)) violations.push(`${rel}: relative import ${spec} leaves its project`);
          } else if (!isSpec) {
            for (const ban of BANNED_EXTERNAL) {
              if (ban.projects.includes(project.name) && spec.startsWith(ban.prefix)) violations.push(`${rel}: imports ${spec} (${ban.why})`);
            }
          }
        }
      }
    }
    expect(violations).toEqual([]);
  });
});
