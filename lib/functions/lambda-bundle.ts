import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { buildSync, BuildOptions } from 'esbuild';
import * as pulumi from '@pulumi/pulumi';

export const LAMBDA_DIR = path.resolve(__dirname, '..', '..', 'lambda');

/** The esbuild target for a Lambda runtime name (`nodejs22.x` -> `node22`). */
export function nodeTarget(runtime: string): string {
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  if (!match) throw new Error(`not a Node.js Lambda runtime: ${runtime}`);
  return `node${match[1]}`;
}

/**
 * Where bundles are shared between processes (the test run sets it: every test file plans the
 * program, each in its own module registry, and bundling is most of a plan's time). Unset, each
 * process bundles once per function.
 */
export const BUNDLE_CACHE_ENV = 'TAP_BUNDLE_CACHE';

const cache = new Map<string, string>();

/**
 * Bundle `lambda/<name>/<entry>.ts` into one minified CommonJS file. The AWS SDK is bundled
 * too, so the deployed code runs the SDK version the tests ran, not whatever the runtime ships.
 */
export function bundleSource(name: string, runtime: string, entry = 'handler'): string {
  const key = `${name}/${entry}@${runtime}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const code = bundleFile(
    path.join(LAMBDA_DIR, name, `${entry}.ts`),
    nodeTarget(runtime),
    process.env[BUNDLE_CACHE_ENV],
  );
  cache.set(key, code);
  return code;
}

interface StoredBundle {
  /** SHA-256 of every file esbuild read for it, by absolute path. */
  readonly inputs: Record<string, string>;
  readonly code: string;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const fileHash = (file: string) => {
  try {
    return sha256(fs.readFileSync(file));
  } catch {
    return undefined;
  }
};

/**
 * One entry file bundled for a Node target. With `cacheDir`, a bundle stored there is reused
 * while every file it was built from has the content it had (the entry, its imports, the
 * packages bundled in); otherwise it is built again and stored.
 */
export function bundleFile(entryFile: string, target: string, cacheDir?: string): string {
  const options: BuildOptions = {
    entryPoints: [entryFile],
    bundle: true,
    platform: 'node',
    target,
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    // pg's optional native binding is never installed; its JS client is used.
    external: ['pg-native'],
    write: false,
    logLevel: 'silent',
  };
  const stored = cacheDir && path.join(cacheDir, `${sha256(JSON.stringify(options))}.json`);
  if (stored && fs.existsSync(stored)) {
    const bundle = JSON.parse(fs.readFileSync(stored, 'utf8')) as StoredBundle;
    if (Object.entries(bundle.inputs).every(([file, hash]) => fileHash(file) === hash)) return bundle.code;
  }
  const result = buildSync({ ...options, metafile: true });
  const code = result.outputFiles![0].text;
  if (stored) {
    const cwd = process.cwd();
    const inputs = Object.fromEntries(
      Object.keys(result.metafile!.inputs).flatMap((file) => {
        const absolute = path.resolve(cwd, file);
        const hash = fileHash(absolute);
        // Every input is a file esbuild read; one that is not (a virtual module) has no content to track.
        return hash === undefined ? [] : [[absolute, hash]];
      }),
    );
    // Written whole, then renamed: a process reading it never sees half a bundle.
    const partial = `${stored}.${process.pid}`;
    fs.writeFileSync(partial, JSON.stringify({ inputs, code } satisfies StoredBundle));
    fs.renameSync(partial, stored);
  }
  return code;
}

/** A Lambda deployment package holding `index.js` with the bundled handler. */
export function lambdaArchive(name: string, runtime: string): pulumi.asset.AssetArchive {
  return new pulumi.asset.AssetArchive({ 'index.js': new pulumi.asset.StringAsset(bundleSource(name, runtime)) });
}
