/**
 * The scalar fields of `networkConfig.interface`, each described once: the
 * key (in the Entry, the DeviceSpec and the input, all the same), what the
 * reader accepts (the JSON Schema reports everything else; a unit test checks
 * the two agree), and the saved link-state field it sets. Setting it, its
 * undo and its restore at teardown are that field's entry in
 * src/apply/link-attributes.ts; the apply step for it is generated from both
 * tables (src/apply/apply-interface.ts), in link-attributes.ts's order.
 *
 * Reading, merging (one value per device; a second, different one is a
 * contradiction) and applying walk this table. Checks that are a field's own
 * (the MTU against the device's range, SLAAC's minimum MTU, the MAC in the
 * device's identity) stay where they are.
 */
import { GRO_MAX, GSO_MAX, MTU_MAX, MTU_MIN } from './limits.js';

interface IntegerField {
  kind: 'integer';
  min: number;
  max: number;
}

interface MacField {
  /** A 6-byte unicast MAC, normalised to lower-case colon form (`aa:bb:cc:dd:ee:ff`). */
  kind: 'mac';
}

export type FieldDescription = (IntegerField | MacField) & {
  /** The saved link-state field (src/state/link-state.ts) the value is written to. */
  link: string;
  /** Older kernels lack the attribute: the rtnetlink name and the first kernel that has it (checked before the move). */
  needs?: { attribute: string; since: string };
  /** Ours, not in DraNet's NetworkConfig: its schema description says so ("oci-netdevices extension"). */
  extension?: true;
  /** Also at most the device's TSO limit (IFLA_TSO_MAX_SIZE). */
  tsoBounded?: true;
};

export const INTERFACE_FIELDS = {
  mtu: { kind: 'integer', min: MTU_MIN, max: MTU_MAX, link: 'mtu' },
  hardwareAddr: { kind: 'mac', link: 'mac' },
  gsoMaxSize: { kind: 'integer', min: 1, max: GSO_MAX, link: 'gsoMaxSize', needs: { attribute: 'IFLA_GSO_MAX_SIZE', since: 'Linux 4.16' }, tsoBounded: true },
  groMaxSize: { kind: 'integer', min: 1, max: GRO_MAX, link: 'groMaxSize', needs: { attribute: 'IFLA_GRO_MAX_SIZE', since: 'Linux 5.19' } },
  gsoIPv4MaxSize: { kind: 'integer', min: 1, max: GSO_MAX, link: 'gsoIPv4MaxSize', needs: { attribute: 'IFLA_GSO_IPV4_MAX_SIZE', since: 'Linux 6.3' }, tsoBounded: true },
  groIPv4MaxSize: { kind: 'integer', min: 1, max: GRO_MAX, link: 'groIPv4MaxSize', needs: { attribute: 'IFLA_GRO_IPV4_MAX_SIZE', since: 'Linux 6.3' } },
  txQueueLen: { kind: 'integer', min: 0, max: 0xffffffff, link: 'txqlen', extension: true },
} as const satisfies Record<string, FieldDescription>;

export type InterfaceField = keyof typeof INTERFACE_FIELDS;
export type InterfaceValue<K extends InterfaceField> = (typeof INTERFACE_FIELDS)[K]['kind'] extends 'mac' ? string : number;
/** The fields as a DeviceSpec holds them (each optional: only the given ones are set). */
export type InterfaceScalars = { [K in InterfaceField]?: InterfaceValue<K> };

/** In the table's order (the order they are read, so the order their issues are reported). */
export const INTERFACE_FIELD_NAMES = Object.keys(INTERFACE_FIELDS) as InterfaceField[];

/** Whether `v` is a value the reader takes for `field` as it is (a MAC is parsed by its reader). */
export function inRange(field: InterfaceField, v: unknown): v is number {
  const d: FieldDescription = INTERFACE_FIELDS[field];
  return d.kind === 'integer' && typeof v === 'number' && Number.isInteger(v) && v >= d.min && v <= d.max;
}
