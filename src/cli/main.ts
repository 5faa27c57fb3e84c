/**
 * Command line. Every command loads its modules only when it runs: a hook sits
 * on the critical path of each container start.
 */
import { Command } from 'commander';
import { reportError } from './error-sink.js';

interface GlobalOptions {
  logFile?: string;
  stateDir?: string;
}

function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

export function buildProgram(): Command {
  const program = new Command('oci-netdevices')
    .description('Move host network interfaces into OCI containers (linux.netDevices)')
    .option('--log-file <path>', 'JSON log file (env OCI_NETDEVICES_LOG; "off" disables)')
    .option('--state-dir <dir>', 'state directory (env OCI_NETDEVICES_STATE_DIR)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });

  const hook = program.command('hook').description('run as an OCI runtime hook (state JSON on stdin)');
  hook
    .command('createRuntime')
    .description('move and configure the devices the container asks for')
    .action(async (_o, cmd: Command) => {
      const { runCreateRuntime } = await import('./run-hook.js');
      await runCreateRuntime(globals(cmd));
    });

  program
    .command('validate')
    .argument('<config>', 'path to a config.json')
    .description('check a config.json offline and print every problem found')
    .action(async (path: string) => {
      const { runValidate } = await import('./run-validate.js');
      process.exitCode = runValidate(path);
    });
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv as string[]);
  } catch (e) {
    if (isCommanderExit(e)) {
      process.exitCode = e.exitCode;
      return;
    }
    process.exitCode = reportError(e);
  }
}

function isCommanderExit(e: unknown): e is { exitCode: number; code: string } {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' && (e as { code: string }).code.startsWith('commander.');
}
