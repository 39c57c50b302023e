/**
 * The stack's files as the Pulumi CLI reads them (Pulumi.yaml defaults, Pulumi.<stack>.yaml,
 * overrides), without loading the Pulumi runtime: `npm run drill` reads its settings here
 * (scripts/offline.ts, which runs the program under mocks, re-exports these).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';

export const PROJECT_DIR = path.resolve(__dirname, '..');

export interface ProjectFile {
  name: string;
  config?: Record<string, { type?: string; default?: unknown; description?: string }>;
}

export function readProject(dir = PROJECT_DIR): ProjectFile {
  return readYaml(path.join(dir, 'Pulumi.yaml')) as ProjectFile;
}

/** Parsed YAML by file text: Pulumi.yaml's 16 KB take some 50 ms to parse, and tests read it per case. */
const parsedYaml = new Map<string, unknown>();

/** A YAML file's content: a fresh copy per call (callers may change it), parsed once per text. */
function readYaml(file: string): unknown {
  const text = fs.readFileSync(file, 'utf8');
  if (!parsedYaml.has(text)) parsedYaml.set(text, parseYaml(text));
  return structuredClone(parsedYaml.get(text));
}

function configText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Config for a stack as the CLI would hand it to the program: Pulumi.yaml defaults for this
 * project's keys, overlaid by Pulumi.<stack>.yaml, overlaid by `overrides` (`key` or `ns:key`).
 */
export function stackConfig(
  stack: string,
  overrides: Record<string, unknown> = {},
  dir = PROJECT_DIR,
): Record<string, string> {
  const project = readProject(dir);
  const config: Record<string, string> = {};
  for (const [key, spec] of Object.entries(project.config ?? {})) {
    if (spec && spec.default !== undefined) config[`${project.name}:${key}`] = configText(spec.default);
  }
  const stackFile = path.join(dir, `Pulumi.${stack}.yaml`);
  if (stack && fs.existsSync(stackFile)) {
    const parsed = readYaml(stackFile) as { config?: Record<string, unknown> } | null;
    for (const [key, value] of Object.entries(parsed?.config ?? {})) config[key] = configText(value);
  } else if (stack) {
    throw new Error(`no stack file ${stackFile}`);
  }
  for (const [key, value] of Object.entries(overrides)) {
    const full = key.includes(':') ? key : `${project.name}:${key}`;
    if (value === undefined) delete config[full];
    else config[full] = configText(value);
  }
  return config;
}
