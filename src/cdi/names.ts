/**
 * CDI names (container-device-interface pkg/parser): our kind is
 * `oci-netdevices.io/netdev`; a device name may hold letters, digits and
 * `_ - . :`, and must begin and end with a letter or digit. A CDI device of
 * ours is a host interface, so its name must also be a valid interface name.
 */
import { isIfname } from '../state/state-dir.js';

export const CDI_VENDOR = 'oci-netdevices.io';
export const CDI_CLASS = 'netdev';
export const CDI_KIND = `${CDI_VENDOR}/${CDI_CLASS}`;

const ALNUM = /^[A-Za-z0-9]$/;
const INNER = /^[A-Za-z0-9_.:-]$/;

/** Why `name` cannot be a CDI device name of ours, or undefined when it can. */
export function cdiNameProblem(name: string): string | undefined {
  if (name === '') return 'a CDI device name must not be empty';
  const chars = [...name];
  if (!ALNUM.test(chars[0]!)) return `CDI device name ${JSON.stringify(name)} must begin with a letter or digit`;
  if (!ALNUM.test(chars[chars.length - 1]!)) return `CDI device name ${JSON.stringify(name)} must end with a letter or digit`;
  const bad = chars.find((c) => !INNER.test(c));
  if (bad !== undefined) return `CDI device name ${JSON.stringify(name)} holds ${JSON.stringify(bad)}; only letters, digits and "_", "-", ".", ":" are allowed`;
  if (!isIfname(name)) return `CDI device name ${JSON.stringify(name)} is not a network interface name (at most 15 bytes, no ":")`;
  return undefined;
}

/** `oci-netdevices.io/netdev=<name>`, as `podman run --device` and CRI's CDI_devices take it. */
export function qualifiedName(name: string): string {
  return `${CDI_KIND}=${name}`;
}
