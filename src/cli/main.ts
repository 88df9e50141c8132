// The `vm` command line.
import { Command } from 'commander';
import { isVmError } from '../errors/registry.ts';
import { registerServeCommand } from './serve.ts';
import { registerDirectoryCommands } from './directory.ts';
import { registerTokenCommand } from './token.ts';
import { registerDemoCommand } from './demo.ts';
import { registerSimulateCommand } from '../sim/index.ts';
import { registerTailCommand } from './tail.ts';
import { registerSoundCommands } from './sounds.ts';

const program = new Command('vm')
  .description('Voice Management: real-time contact-center notifications')
  .showHelpAfterError();
registerServeCommand(program);
registerDemoCommand(program);
registerDirectoryCommands(program);
registerTokenCommand(program);
registerSimulateCommand(program);
registerTailCommand(program);
registerSoundCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (isVmError(e)) console.error(`vm: ${e.code}: ${e.message}`);
  else console.error(`vm: ${(e as Error).message}`);
  process.exit(2);
}
