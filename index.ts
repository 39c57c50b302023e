import { program } from './lib/program';

// Stack outputs: endpoints, ARNs and IDs of both regions and the global layer.
export = program();
