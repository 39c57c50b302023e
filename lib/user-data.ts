/** EC2 user data for the trading service: pure, so the script is tested as text. */

export interface ServiceUserData {
  /** Node.js major version (the Lambda runtime's), installed from the Amazon Linux 2023 repos. */
  readonly nodeMajor: number;
  readonly artifactBucket: string;
  readonly artifactKey: string;
  /** Key of the RDS CA bundle in the same bucket (shipped with the artifact, never downloaded). */
  readonly caBundleKey: string;
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

export function serviceUserData(spec: ServiceUserData): string {
  const env = Object.entries(spec.environment)
    .map(([key, value]) => {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(key)) throw new Error(`invalid environment variable name: ${key}`);
      return `Environment=${key}=${value.replace(/[\s"\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}`;
    })
    .join('\n');
  return `#!/bin/bash
# Trading service bootstrap (Amazon Linux 2023). Re-runs safely on reboot.
set -euo pipefail
dnf install -y nodejs${spec.nodeMajor}
NODE_BIN=$(command -v node-${spec.nodeMajor} || command -v node)
install -d -m 0755 /opt/trading
# Everything comes through the VPC's S3 gateway endpoint (the AL2023 repositories are in S3
# too): this runs with natStrategy none, where nothing else outside the VPC is reachable.
aws s3 cp ${shellQuote(`s3://${spec.artifactBucket}/${spec.artifactKey}`)} /opt/trading/server.js
# RDS certificates for verify-full TLS, shipped with the artifact.
aws s3 cp ${shellQuote(`s3://${spec.artifactBucket}/${spec.caBundleKey}`)} /opt/trading/rds-ca.pem
cat > /etc/systemd/system/trading.service <<UNIT
[Unit]
Description=Trading order API
After=network-online.target
Wants=network-online.target

[Service]
DynamicUser=yes
ExecStart=$NODE_BIN /opt/trading/server.js
Restart=always
RestartSec=2
Environment=PORT=${spec.port}
Environment=NODE_EXTRA_CA_CERTS=/opt/trading/rds-ca.pem
${env}

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now trading.service
`;
}
