import * as path from 'path';
import { buildSync } from 'esbuild';
import * as pulumi from '@pulumi/pulumi';

export const LAMBDA_DIR = path.resolve(__dirname, '..', '..', 'lambda');

/** The esbuild target for a Lambda runtime name (`nodejs22.x` -> `node22`). */
export function nodeTarget(runtime: string): string {
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  if (!match) throw new Error(`not a Node.js Lambda runtime: ${runtime}`);
  return `node${match[1]}`;
}

const cache = new Map<string, string>();

/**
 * Bundle `lambda/<name>/<entry>.ts` into one minified CommonJS file. The AWS SDK is bundled
 * too, so the deployed code runs the SDK version the tests ran, not whatever the runtime ships.
 */
export function bundleSource(name: string, runtime: string, entry = 'handler'): string {
  const key = `${name}/${entry}@${runtime}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const result = buildSync({
    entryPoints: [path.join(LAMBDA_DIR, name, `${entry}.ts`)],
    bundle: true,
    platform: 'node',
    target: nodeTarget(runtime),
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    // pg's optional native binding is never installed; its JS client is used.
    external: ['pg-native'],
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].text;
  cache.set(key, code);
  return code;
}

/** A Lambda deployment package holding `index.js` with the bundled handler. */
export function lambdaArchive(name: string, runtime: string): pulumi.asset.AssetArchive {
  return new pulumi.asset.AssetArchive({ 'index.js': new pulumi.asset.StringAsset(bundleSource(name, runtime)) });
}
