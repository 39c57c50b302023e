import { buildPlatform, loadSettings } from './lib/program';

// Config is validated before the first resource exists; the exports are the stack outputs.
export = buildPlatform(loadSettings());
