/**
 * One conflist through its plugins, as libcni runs it: ADD in order, each
 * plugin getting the previous one's result as `prevResult`; DEL in reverse
 * order, each getting the saved result of the whole list (or none: a DEL
 * with the config alone, after a crash); CHECK in order with the saved
 * result. Every plugin's config gets the list's `name` and `cniVersion`;
 * everything else (`capabilities` included) is passed as written: we have
 * no capability arguments, so no `runtimeConfig` is added.
 */
import { type CniAttachment, type CniVerb, type NetConfList, type Obj, pluginType } from './model.js';
import { CniPluginError, type PluginCall, execPlugin } from './plugin-exec.js';
import { type CniResult, CniResultError, parseResultText } from './result.js';

/** What a conflist run needs besides the list: the container and the plugins' home. */
export interface RunContext {
  containerId: string;
  netns: string;
  args: ReadonlyArray<[string, string]>;
  cniPath: readonly string[];
  /** PATH for the plugins (PluginCall.path). */
  path?: string;
  timeoutMs?: number;
  /** Runs one plugin (tests replace it); by default execPlugin. */
  exec?: typeof execPlugin;
}

/** Which plugin of which list failed, and the plugin's words. */
export class CniListError extends Error {
  override name = 'CniListError';
  constructor(
    readonly network: string,
    readonly plugin: string,
    readonly position: number,
    readonly pluginMessage: string,
    readonly code?: number,
  ) {
    super(`network ${JSON.stringify(network)}, plugin ${JSON.stringify(plugin)} (#${position + 1}): ${pluginMessage}${code !== undefined ? ` (CNI error code ${code})` : ''}`);
  }
}

/** The config one plugin reads on stdin. */
export function pluginConfig(list: NetConfList, plugin: Obj, prevResult: Obj | undefined): string {
  const conf: Obj = { ...plugin, cniVersion: list.cniVersion, name: list.name };
  if (prevResult !== undefined) conf.prevResult = prevResult;
  else delete conf.prevResult;
  return JSON.stringify(conf);
}

function call(verb: CniVerb, a: CniAttachment, ctx: RunContext): PluginCall {
  return { verb, containerId: ctx.containerId, netns: ctx.netns, ifName: a.ifName, args: ctx.args, cniPath: ctx.cniPath, ...(ctx.path !== undefined ? { path: ctx.path } : {}), ...(ctx.timeoutMs !== undefined ? { timeoutMs: ctx.timeoutMs } : {}) };
}

function runOne(verb: CniVerb, a: CniAttachment, position: number, prev: Obj | undefined, ctx: RunContext): string {
  const plugin = a.config.plugins[position]!;
  const type = pluginType(plugin);
  try {
    return (ctx.exec ?? execPlugin)(type, pluginConfig(a.config, plugin, prev), call(verb, a, ctx));
  } catch (e) {
    if (e instanceof CniPluginError) throw new CniListError(a.config.name, type, position, e.message, e.code);
    throw e;
  }
}

/** ADD through the whole list; the last plugin's result. */
export function addList(a: CniAttachment, ctx: RunContext): CniResult {
  let prev: CniResult | undefined;
  a.config.plugins.forEach((plugin, i) => {
    const out = runOne('ADD', a, i, prev?.raw, ctx);
    try {
      prev = parseResultText(out, 'result');
    } catch (e) {
      if (e instanceof CniResultError) throw new CniListError(a.config.name, pluginType(plugin), i, `ADD printed an invalid result: ${e.message}`);
      throw e;
    }
  });
  return prev!;
}

/** DEL through the list in reverse, every plugin tried; the failures (none: all gone). */
export function delList(a: CniAttachment, saved: Obj | undefined, ctx: RunContext): CniListError[] {
  const errors: CniListError[] = [];
  for (let i = a.config.plugins.length - 1; i >= 0; i--) {
    try {
      runOne('DEL', a, i, saved, ctx);
    } catch (e) {
      if (!(e instanceof CniListError)) throw e;
      errors.push(e);
    }
  }
  return errors;
}

/** CHECK through the list in order; the first failure stops it (as libcni). */
export function checkList(a: CniAttachment, saved: Obj, ctx: RunContext): void {
  a.config.plugins.forEach((_p, i) => runOne('CHECK', a, i, saved, ctx));
}
