/** The port the trading service listens on (EC2); the ALB reaches it only there. */
export const SERVICE_PORT = 8080;
/** The health path every checker probes: target groups, Global Accelerator, Route 53, the failover canary. */
export const HEALTH_PATH = '/health';
/** Order API paths the ALB sends to the trading Lambda; everything else goes to EC2. */
export const LAMBDA_PATHS = ['/orders', '/orders/*'];
