// The `vm` command line. Only the invoked command's module is loaded (each is compiled by
// tsx as it loads: `vm token` or `vm import` need not load the server); without a known
// command (help, a typo) every one is, so commander can list them and suggest.
import { Command } from 'commander';
import { isVmError } from '../errors/registry.ts';

type Register = (program: Command) => void;

/** Command name → the module that registers it. */
const COMMANDS: Record<string, () => Promise<Register>> = {
  serve: async () => (await import('./serve.ts')).registerServeCommand,
  demo: async () => (await import('./demo.ts')).registerDemoCommand,
  import: async () => (await import('./directory.ts')).registerDirectoryCommands,
  export: async () => (await import('./directory.ts')).registerDirectoryCommands,
  token: async () => (await import('./token.ts')).registerTokenCommand,
  simulate: async () => (await import('../sim/index.ts')).registerSimulateCommand,
  tail: async () => (await import('./tail.ts')).registerTailCommand,
  sounds: async () => (await import('./sounds.ts')).registerSoundCommands,
};

const program = new Command('vm')
  .description('Voice Management: real-time contact-center notifications')
  .showHelpAfterError();

try {
  const name = process.argv[2];
  const load = name !== undefined && Object.hasOwn(COMMANDS, name) ? [COMMANDS[name]!] : [...new Set(Object.values(COMMANDS))];
  const registers = new Set(await Promise.all(load.map((l) => l())));
  for (const register of registers) register(program);
  await program.parseAsync(process.argv);
} catch (e) {
  if (isVmError(e)) console.error(`vm: ${e.code}: ${e.message}`);
  else console.error(`vm: ${(e as Error).message}`);
  process.exit(2);
}
