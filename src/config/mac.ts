/** MAC address parsing: `aa:bb:cc:dd:ee:ff` or `aa-bb-cc-dd-ee-ff` (one separator throughout), any case. */
export type MacResult = { mac: string } | { error: string };

export function parseMac(text: string): MacResult {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text) && !/^[0-9a-fA-F]{2}(-[0-9a-fA-F]{2}){5}$/.test(text)) {
    return { error: `${JSON.stringify(text)} is not a 6-byte MAC address (expected six hex pairs separated by ":" or "-", e.g. 02:00:00:00:00:01)` };
  }
  const bytes = text.split(/[:-]/).map((h) => parseInt(h, 16));
  if (bytes.every((b) => b === 0)) return { error: 'the all-zero MAC address 00:00:00:00:00:00 is not allowed' };
  if ((bytes[0]! & 1) !== 0) return { error: `${text} is a multicast address (low bit of the first octet set); a unicast MAC is required` };
  return { mac: bytes.map((b) => b.toString(16).padStart(2, '0')).join(':') };
}
