/**
 * Who moves the devices when the real runtime knows `linux.netDevices`
 * itself (runc >= 1.4, crun >= 1.22): the runtime moves what it understands
 * (the spec's map form `{"<hostif>": {"name": ...}}`) and our createRuntime
 * hook finds those devices already inside, under the expected name, and only
 * configures them (addresses, routes, MTU, MAC, ethtool) and reports status.
 *
 * Our array form (`[{name, properties, networkConfig}]`) is no spec shape: a
 * native runtime would refuse to decode config.json. For such a runtime the
 * wrapper hands the array to our hook instead, through the
 * `oci-netdevices.io/devices` annotation (which takes either shape), and
 * removes it from `linux`: those devices are then moved by our hook.
 */
import { DEVICES_ANNOTATION } from '../config/annotations.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go's JSON decoder matches keys case-insensitively: both spellings reach a native runtime. */
const KEYS = ['netDevices', 'netdevices'] as const;

export function hasArrayForm(config: Obj): boolean {
  return isObj(config.linux) && KEYS.some((k) => Array.isArray((config.linux as Obj)[k]));
}

/**
 * Moves an array-form request into the annotation; true when changed. Refuses
 * (throws) when the annotation is already set: merging two documents is the
 * hook's business, and it could not tell them apart afterwards.
 */
export function arrayFormToAnnotation(config: Obj): boolean {
  if (!hasArrayForm(config)) return false;
  const linux = config.linux as Obj;
  const annotations: Obj = isObj(config.annotations) ? config.annotations : {};
  if (annotations[DEVICES_ANNOTATION] !== undefined) {
    throw new Error(`linux.netDevices is an array, which the runtime cannot read, and annotation ${DEVICES_ANNOTATION} is set too: use one of them`);
  }
  const arrays = KEYS.filter((k) => Array.isArray(linux[k]));
  if (arrays.length > 1) throw new Error('both linux.netDevices and linux.netdevices are set');
  const key = arrays[0]!;
  annotations[DEVICES_ANNOTATION] = JSON.stringify(linux[key]);
  delete linux[key];
  config.annotations = annotations;
  return true;
}
