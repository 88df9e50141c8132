// @ts-check
// The media worker's entry: loads worker.ts through tsx (a worker thread does not inherit
// the loader of the thread that starts it, nor vitest's), as bin/vm.js does for the CLI.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
