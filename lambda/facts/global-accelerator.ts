/** Global Accelerator's API is served from us-west-2 only: fencing never depends on us-east-1. */
export const GLOBAL_ACCELERATOR_API_REGION = 'us-west-2';
