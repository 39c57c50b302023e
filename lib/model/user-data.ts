/** EC2 user data for the trading service: pure, so the script is tested as text. */

export interface ServiceUserData {
  /** Node.js major version (the Lambda runtime's), installed from the Amazon Linux 2023 repos. */
  readonly nodeMajor: number;
  readonly artifactBucket: string;
  readonly artifactKey: string;
  /** SHA-256 (hex) of the bundle, computed at plan time: the instance refuses any other file. */
  readonly artifactSha256: string;
  readonly port: number;
  readonly environment: Record<string, string>;
}

/** The Amazon Linux 2023 AMI, resolved by EC2 at launch from AWS's public SSM parameter. */
export function al2023ImageId(instanceType: string): string {
  return `resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${instanceArchitecture(instanceType)}`;
}

/** Graviton families carry a `g` after the generation digit (m7g, c6gn, t4g, r8g). */
export function instanceArchitecture(instanceType: string): 'arm64' | 'x86_64' {
  const family = instanceType.split('.')[0];
  return /^[a-z]+\d+g/.test(family) ? 'arm64' : 'x86_64';
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Fetch the bundle to a temporary name and install it only if its SHA-256 is the planned one:
 * a replaced or tampered object at the key never runs, and the service never starts on it.
 * `$AWS_CLI` lets a test run the script with a stand-in for the AWS CLI.
 */
export function artifactInstallScript(
  spec: Pick<ServiceUserData, 'artifactBucket' | 'artifactKey' | 'artifactSha256'>,
  dir = '/opt/trading',
): string {
  return `install -d -m 0755 ${shellQuote(dir)}
${verifiedCopyScript(spec.artifactBucket, spec.artifactKey, spec.artifactSha256, `${dir}/server.js`)}`;
}

/** Copy one object to `target` only if its SHA-256 is the planned one (else exit 1, nothing installed). */
export function verifiedCopyScript(bucket: string, key: string, sha256: string, target: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a SHA-256 hex digest: ${sha256}`);
  const download = `${target}.download`;
  return `"\${AWS_CLI:-aws}" s3 cp ${shellQuote(`s3://${bucket}/${key}`)} ${shellQuote(download)}
if ! echo ${shellQuote(`${sha256}  ${download}`)} | sha256sum --check --status; then
  echo ${shellQuote(`${key}: SHA-256 mismatch, refusing to install it`)} >&2
  rm -f ${shellQuote(download)}
  exit 1
fi
mv -f ${shellQuote(download)} ${shellQuote(target)}`;
}

/**
 * An Environment= value for systemd, kept as data: whitespace, quotes and backslashes as C escapes
 * (`\\xNN`, which systemd unquotes), `%` doubled (specifiers: systemd.unit(5) "Specifiers", `%%` is
 * a single percent). `$` has no special meaning to Environment= (systemd.exec(5) "Environment=":
 * "Variable expansion is not performed inside the strings, and $ has no special meaning"; man page
 * text since systemd commit 0ae9c92a), and the unit file is written through
 * a quoted heredoc, so the shell expands nothing either: `$(...)` and backticks stay text.
 */
function systemdValue(value: string): string {
  return value.replace(/[\s"'\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).replace(/%/g, '%%');
}

export function serviceUserData(spec: ServiceUserData): string {
  const env = Object.entries(spec.environment)
    .map(([key, value]) => {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(key)) throw new Error(`invalid environment variable name: ${key}`);
      return `Environment=${key}=${systemdValue(value)}`;
    })
    .join('\n');
  return `#!/bin/bash
# Trading service bootstrap (Amazon Linux 2023). Re-runs safely on reboot.
set -euo pipefail
dnf install -y nodejs${spec.nodeMajor}
NODE_BIN=$(command -v node-${spec.nodeMajor} || command -v node)
# The bundle comes through the VPC's S3 gateway endpoint (as do the AL2023 repositories): nothing
# outside the VPC's endpoints is reachable from here.
${artifactInstallScript(spec)}
# The service's Node at a fixed path, so the unit below needs no shell expansion.
ln -sf "$NODE_BIN" /opt/trading/node
# Quoted heredoc: the unit is written as is; no configured value is ever run or expanded by bash.
cat > /etc/systemd/system/trading.service <<'UNIT'
[Unit]
Description=Trading order API
After=network-online.target
Wants=network-online.target

[Service]
DynamicUser=yes
ExecStart=/opt/trading/node /opt/trading/server.js
Restart=always
RestartSec=2
Environment=PORT=${spec.port}
${env}

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now trading.service
`;
}
