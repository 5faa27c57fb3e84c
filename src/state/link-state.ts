/**
 * The device's own link attributes a record saves, each with the type its
 * parser checks. Their reading and setting (netlink) is the table in
 * src/apply/link-attributes.ts, which must cover every field here (a unit test
 * says so): adding an attribute is this one line and its table entry.
 */
export const LINK_STATE_FIELDS = {
  mtu: 'u32',
  mac: 'mac',
  gsoMaxSize: 'u32',
  groMaxSize: 'u32',
  gsoIPv4MaxSize: 'u32',
  groIPv4MaxSize: 'u32',
  promisc: 'bool',
  allmulti: 'bool',
  noarp: 'bool',
  txqlen: 'u32',
  /** '' when the device had no alias. */
  ifalias: 'string',
  group: 'u32',
} as const;

export type FieldKind = (typeof LINK_STATE_FIELDS)[keyof typeof LINK_STATE_FIELDS];
type Ts<K extends FieldKind> = K extends 'u32' ? number : K extends 'bool' ? boolean : string;

export type LinkState = { -readonly [K in keyof typeof LINK_STATE_FIELDS]?: Ts<(typeof LINK_STATE_FIELDS)[K]> };
