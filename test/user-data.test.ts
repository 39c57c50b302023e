import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { serviceUserData } from '../lib/model/user-data';

/**
 * Issue 25 item 7: user data never interprets configured values. Runs the script's unit-writing
 * step with bash (the unit path moved to a temporary directory) and reads back what systemd would:
 * `\xNN` escapes unquoted and `%%` as `%` (systemd.exec(5) Environment=, systemd.unit(5) Specifiers).
 */
describe('EC2 user data passes configured values as data', () => {
  const hostile = `$(touch PWNED) \`touch PWNED2\` "double" 'single' \\back %n $HOME`;

  function writtenUnit(value: string) {
    const script = serviceUserData({
      nodeMajor: 24,
      artifactBucket: 'b',
      artifactKey: 'k.js',
      artifactSha256: 'a'.repeat(64),
      port: 8080,
      environment: { ORDER_TABLE: value },
    });
    const start = script.indexOf('cat > /etc/systemd/system/trading.service');
    const end = script.indexOf('\nUNIT\n', start) + '\nUNIT\n'.length;
    expect(start).toBeGreaterThan(0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'user-data-'));
    const step = script.slice(start, end).replace('/etc/systemd/system/trading.service', path.join(dir, 'unit'));
    const result = spawnSync('bash', ['-euo', 'pipefail', '-c', step], { cwd: dir });
    const unit = fs.readFileSync(path.join(dir, 'unit'), 'utf8');
    const created = fs.readdirSync(dir).filter((f) => f !== 'unit');
    fs.rmSync(dir, { recursive: true, force: true });
    return { status: result.status, unit, created };
  }

  const systemdDecode = (raw: string) =>
    raw.replace(/\\x([0-9a-f]{2})|%%/g, (_match, hex: string | undefined) =>
      hex ? String.fromCharCode(parseInt(hex, 16)) : '%',
    );

  it('a value with $(...), backticks and quotes reaches the unit file unchanged, and nothing runs', () => {
    const { status, unit, created } = writtenUnit(hostile);
    expect(status).toBe(0);
    expect(created).toEqual([]);
    const line = unit.split('\n').find((l) => l.startsWith('Environment=ORDER_TABLE='))!;
    expect(systemdDecode(line.slice('Environment=ORDER_TABLE='.length))).toBe(hostile);
    // One word for systemd: no raw whitespace or quote left to split or unquote on.
    expect(line).not.toMatch(/[\s"']/);
  });

  it('the unit is written verbatim: no shell expansion anywhere in it', () => {
    const { unit } = writtenUnit('x');
    expect(unit).toContain('ExecStart=/opt/trading/node /opt/trading/server.js');
    expect(unit).not.toMatch(/\$/);
  });
});
