import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { RegionRole, Settings } from '../config';
import { Namer, regionCode } from '../config/naming';

export { apiHostNames, regionalName } from './api-hosts';

export interface DomainRegion {
  readonly role: RegionRole;
  readonly region: string;
  /** Where that region's certificate must be issued: ACM certificates are regional. */
  readonly provider: aws.Provider;
  /** With `tls: provided`: the certificate given for it. */
  readonly certificateArn?: string;
}

export interface DomainArgs {
  readonly settings: Settings;
  readonly name: Namer;
  readonly regions: readonly DomainRegion[];
}

/**
 * The platform's DNS zone and, with TLS, the certificate each region's ALB serves. It comes
 * before the application: the ALB listeners need a validated certificate, and ACM validates
 * through a record in this zone.
 *
 * The trap with `tls: acm`: ACM looks the validation record up in public DNS, so it finds it
 * only once the parent domain delegates to this zone (NS records with the `hostedZoneNameServers`
 * output). Until then validation waits, and `pulumi up` with it, for up to
 * `certificateValidationTimeout`, then fails. First deploy: create the zone, delegate, then up.
 */
export class Domain extends pulumi.ComponentResource {
  readonly zone: aws.route53.Zone;
  /** Per region, the certificate its HTTPS listener serves (validated, with `acm`); none without TLS. */
  readonly certificates: Partial<Record<RegionRole, pulumi.Output<string>>> = {};

  constructor(name: string, args: DomainArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:global:Domain', name, {}, opts);
    const { settings, name: n } = args;
    this.zone = new aws.route53.Zone(
      n('hostedZone'),
      { name: settings.domainName, comment: `Trading platform ${settings.environmentSuffix}`, forceDestroy: true },
      { parent: this },
    );

    for (const r of args.regions) {
      if (settings.tls === 'provided') {
        this.certificates[r.role] = pulumi.output(r.certificateArn!);
      } else if (settings.tls === 'acm') {
        this.certificates[r.role] = this.issue(r, args);
      }
    }
    this.registerOutputs({ zoneId: this.zone.zoneId, nameServers: this.zone.nameServers });
  }

  /** A certificate for the domain and every name under it (api., read., global., use1.), DNS-validated. */
  private issue(r: DomainRegion, { settings, name: n }: DomainArgs): pulumi.Output<string> {
    const code = regionCode(r.region);
    const certificate = new aws.acm.Certificate(
      n('certificate', code),
      {
        domainName: settings.domainName,
        subjectAlternativeNames: [`*.${settings.domainName}`],
        validationMethod: 'DNS',
      },
      { parent: this, provider: r.provider },
    );
    // The domain and its wildcard share one validation record.
    const option = certificate.domainValidationOptions.apply((options) =>
      options.find((o) => o.domainName === settings.domainName)!,
    );
    const record = new aws.route53.Record(
      n('hostedZone', `acm-${code}`),
      {
        zoneId: this.zone.zoneId,
        name: option.resourceRecordName,
        type: option.resourceRecordType,
        records: [option.resourceRecordValue],
        ttl: 300,
        // ACM asks for the same record in every region for one domain and account.
        allowOverwrite: true,
      },
      { parent: this.zone },
    );
    const validation = new aws.acm.CertificateValidation(
      n('certificate', code),
      { certificateArn: certificate.arn, validationRecordFqdns: [record.fqdn] },
      {
        parent: certificate,
        provider: r.provider,
        // Waits until public DNS resolves the record: see the class comment.
        customTimeouts: { create: settings.certificateValidationTimeout },
      },
    );
    return validation.certificateArn;
  }
}
