import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Namer } from '../config/naming';
import { NetworkStack } from './network-stack';

export interface PeeringSide {
  readonly network: NetworkStack;
  readonly provider: aws.Provider;
  readonly region: string;
}

export interface VpcPeeringArgs {
  /** Requester side (the primary region). */
  readonly requester: PeeringSide;
  /** Accepter side (the secondary region). */
  readonly accepter: PeeringSide;
  readonly name: Namer;
}

/**
 * Cross-region VPC peering: requested from the primary, accepted in the secondary, with DNS
 * resolution across it and, in every private route table of both VPCs, a route to each of the
 * peer's private subnets only (database traffic is all that crosses; public subnets never do).
 */
export class VpcPeering extends pulumi.ComponentResource {
  readonly connectionId: pulumi.Output<string>;

  constructor(name: string, args: VpcPeeringArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:network:VpcPeering', name, {}, opts);
    const { requester, accepter, name: n } = args;

    const connection = new aws.ec2.VpcPeeringConnection(
      n('peering'),
      {
        vpcId: requester.network.vpc.id,
        peerVpcId: accepter.network.vpc.id,
        peerRegion: accepter.region,
        // Cross-region peering cannot be auto-accepted by the requester; the accepter does it.
        autoAccept: false,
        tags: { Name: n('peering'), Side: 'requester' },
      },
      { parent: this, provider: requester.provider },
    );
    const accepted = new aws.ec2.VpcPeeringConnectionAccepter(
      n('peering'),
      { vpcPeeringConnectionId: connection.id, autoAccept: true, tags: { Name: n('peering'), Side: 'accepter' } },
      { parent: connection, provider: accepter.provider },
    );

    // Options can only be set once the connection is active, hence the dependency on the accepter.
    new aws.ec2.PeeringConnectionOptions(
      n('peering', 'requester'),
      { vpcPeeringConnectionId: accepted.id, requester: { allowRemoteVpcDnsResolution: true } },
      { parent: connection, provider: requester.provider },
    );
    new aws.ec2.PeeringConnectionOptions(
      n('peering', 'accepter'),
      { vpcPeeringConnectionId: accepted.id, accepter: { allowRemoteVpcDnsResolution: true } },
      { parent: connection, provider: accepter.provider },
    );

    const routeToPeer = (side: PeeringSide, peer: PeeringSide, label: string) =>
      side.network.privateRouteTables.forEach((table, i) =>
        peer.network.privateSubnetCidrs.forEach(
          (cidr, j) =>
            new aws.ec2.Route(
              n('peering', `${label}-rt${i}-${j}`),
              { routeTableId: table.id, destinationCidrBlock: cidr, vpcPeeringConnectionId: accepted.id },
              { parent: connection, provider: side.provider },
            ),
        ),
      );
    routeToPeer(requester, accepter, 'requester');
    routeToPeer(accepter, requester, 'accepter');

    this.connectionId = connection.id;
    this.registerOutputs({ connectionId: this.connectionId });
  }
}
