/**
 * Command line. Every command loads its modules only when it runs: a hook sits
 * on the critical path of each container start.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { reportError } from './error-sink.js';
import { GLOBAL_OPTIONS, type GlobalOptions } from './global-options.js';

function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** The global options given as flags, not taken from their environment variables. */
function givenOnCommandLine(cmd: Command): Record<string, string> {
  const all = globals(cmd);
  const out: Record<string, string> = {};
  for (const o of GLOBAL_OPTIONS) {
    const v = all[o.key];
    if (v !== undefined && cmd.getOptionValueSourceWithGlobals(o.key) === 'cli') out[o.key] = v;
  }
  return out;
}

export function buildProgram(): Command {
  const program = new Command('oci-netdevices')
    .description('Move host network interfaces into OCI containers (linux.netDevices)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  for (const o of GLOBAL_OPTIONS) {
    const option = new Option(`--${o.flag} ${o.arg}`, o.help).env(o.env);
    program.addOption(o.choices !== undefined ? option.choices(o.choices) : option);
  }

  const hook = program.command('hook').description('run as an OCI runtime hook (state JSON on stdin)');
  for (const [stage, what] of [
    ['createRuntime', 'move and configure the devices the container asks for'],
    ['poststop', 'return the devices to the host under their original names'],
  ] as const) {
    hook
      .command(stage)
      .description(what)
      .option('--cdi-device <name>', 'a CDI device of kind oci-netdevices.io/netdev (the entry `cdi generate` writes): this host interface is asked for too', (v: string, prev: string | undefined) => {
        if (prev !== undefined) throw new InvalidArgumentError('give --cdi-device once per hook entry (one entry per CDI device)');
        return v;
      })
      .action(async (o: { cdiDevice?: string }, cmd: Command) => {
        const { runHookStage, writeOutcome } = await import('./run-hook.js');
        const cdi: Record<string, string> = o.cdiDevice !== undefined ? { cdiDevice: o.cdiDevice } : {};
        const outcome = await runHookStage(stage, { ...globals(cmd), ...cdi, given: { ...givenOnCommandLine(cmd), ...cdi } });
        if (outcome !== undefined) writeOutcome(outcome);
      });
  }

  program
    .command('recover')
    .argument('[container-id]', 'only this container (also when its hook finished)')
    .option('--all', 'also containers whose hook finished (their devices come home now)')
    .description('return devices left behind by a hook that died (SIGKILL, power loss) to the host')
    .action(async (id: string | undefined, o: { all?: boolean }, cmd: Command) => {
      const { runRecover } = await import('./run-recover.js');
      process.exitCode = runRecover(globals(cmd).stateDir, id, o.all === true);
    });

  program
    .command('status')
    .argument('[container-id]', 'one container (default: all)')
    .option('-o, --output <format>', 'json or yaml', 'json')
    .description('what each container got: conditions and networkData as a ResourceClaim status.devices entry')
    .action(async (id: string | undefined, o: { output: string }, cmd: Command) => {
      const { runStatus } = await import('./run-status.js');
      process.exitCode = runStatus(globals(cmd).stateDir, id, o.output);
    });

  program
    .command('cni')
    .description('CNI attachments (annotation oci-netdevices.io/cni)')
    .command('check')
    .argument('<container-id>', 'a container whose attachments are set up')
    .description('run CNI CHECK for each attachment of the container and report one line each')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const { runCniCheck } = await import('./run-cni-check.js');
      process.exitCode = runCniCheck(globals(cmd).stateDir, id);
    });

  program
    .command('install-hook')
    .option('--dir <dir>', 'hooks.d directory', '/etc/containers/oci/hooks.d')
    .option('--print', 'print the files instead of writing them')
    .description('write hooks.d files so podman and CRI-O run our hooks for annotated containers')
    .action(async (o: { dir?: string; print?: boolean }, cmd: Command) => {
      const { runInstallHook } = await import('./run-install-hook.js');
      const g = globals(cmd);
      process.exitCode = runInstallHook({ ...o, ...(g.stateDir !== undefined ? { stateDir: g.stateDir } : {}), ...(g.logFile !== undefined ? { logFile: g.logFile } : {}) });
    });

  program
    .command('daemon')
    .option('--socket <path>', 'unix socket to serve (default: daemon.sock in the state directory)')
    .description('keep the engine resident: bin/oci-netdevices-hook forwards hook stages to it (without it they run in Node)')
    .action(async (o: { socket?: string }, cmd: Command) => {
      const { runDaemon } = await import('./run-daemon.js');
      await runDaemon(globals(cmd), o.socket);
    });

  // --- NRI plugin (issue 16) ---
  program
    .command('nri')
    .option('--socket <path>', "the runtime's NRI socket", '/var/run/nri/nri.sock')
    .option('--name <name>', 'plugin name', 'oci-netdevices')
    .option('--index <nn>', 'plugin index (plugins are called in ascending order)', '10')
    .description('run as an NRI plugin: devices move into pod sandboxes asking for them and come home when the pod stops')
    .action(async (o: { socket: string; name: string; index: string }, cmd: Command) => {
      const { runNri } = await import('./run-nri.js');
      await runNri({ ...globals(cmd), ...o });
    });
  // --- end NRI plugin ---

  program
    .command('cdi')
    .description('CDI (Container Device Interface) specs: podman run --device oci-netdevices.io/netdev=<ifname>')
    .command('generate')
    .option('--output <file>', 'write here (.json or .yaml, e.g. /etc/cdi/oci-netdevices.yaml) instead of stdout (JSON)')
    .option('--cdi-version <v>', '0.5.0 (default: podman 4.3 reads up to 0.5.0, containerd 2.1 up to 0.6.0), 0.6.0, or 1.1.0 (adds containerEdits.netDevices)')
    .option('--devices <glob>', 'only host interfaces whose name matches (e.g. "ens1f*")')
    .description('a CDI spec of kind oci-netdevices.io/netdev: one device per host interface the policy allows, whose edits add our hooks')
    .action(async (o: { output?: string; cdiVersion?: string; devices?: string }, cmd: Command) => {
      const { runCdiGenerate } = await import('./run-cdi.js');
      process.exitCode = await runCdiGenerate({ ...globals(cmd), ...o });
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
  // `... | head` closing our stdout is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
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
