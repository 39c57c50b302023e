/** The dev deployment the failover orchestrator's tests stand in for: one global cluster across two regions. */
export const GLOBAL_CLUSTER_ID = 'aurora-global-dev';
export const PRIMARY_CLUSTER_ARN = 'arn:aws:rds:us-east-1:123456789012:cluster:aurora-use1-dev';
export const SECONDARY_CLUSTER_ARN = 'arn:aws:rds:eu-west-1:123456789012:cluster:aurora-euw1-dev';
const ENDPOINT_GROUPS = 'arn:aws:globalaccelerator::123456789012:accelerator/a/listener/l/endpoint-group/';
export const PRIMARY_ENDPOINT_GROUP_ARN = `${ENDPOINT_GROUPS}use1`;
export const SECONDARY_ENDPOINT_GROUP_ARN = `${ENDPOINT_GROUPS}euw1`;
export const FAILOVER_TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:sns-failover-euw1-dev';
export const FAILOVER_FUNCTION_NAME = 'fn-failover-euw1-dev';
