/** node:http adapter for the order API: what the EC2 instances run (same core as the Lambda). */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createServer, IncomingMessage, Server } from 'http';
import { ApiDeps, handleRequest, MAX_BODY_BYTES } from './api';
import { SECURITY_HEADERS } from './security-headers';
import { splitTarget } from './signing';
import { createRuntime, requireApiEnv } from './runtime';

/** Read at most `limit + 1` bytes: enough to know a body is too large without buffering it all. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    chunks.push(buffer);
    if (size > limit) break;
  }
  return Buffer.concat(chunks);
}

export function createApiServer(deps: ApiDeps): Server {
  return createServer(async (req, res) => {
    // Set first, so every answer written through `res` carries them, whatever path writes it.
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    // The raw request target, not a URL parser's normalisation of it: `/x/../orders` must reach
    // the canonical-path check as sent, not as `/orders`.
    const { path, query } = splitTarget(req.url ?? '');
    const body = await readBody(req, deps.maxBodyBytes ?? MAX_BODY_BYTES);
    const headers: Record<string, string | undefined> = {};
    for (const [key, value] of Object.entries(req.headers))
      headers[key] = Array.isArray(value) ? value.join(', ') : value;
    const response = await handleRequest(
      { method: req.method ?? 'GET', path, query, headers, body: body.length > 0 ? body : undefined },
      deps,
    );
    res.writeHead(response.statusCode, response.headers).end(response.body);
  });
}

if (require.main === module) {
  const { deps } = createRuntime(requireApiEnv(process.env), {
    secrets: new SecretsManagerClient({}),
    sqs: new SQSClient({}),
  });
  const port = Number(process.env.PORT ?? 8080);
  createApiServer(deps).listen(port, () => deps.logger.info('trading service listening', { port }));
}
