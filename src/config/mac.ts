/** MAC address parsing: `aa:bb:cc:dd:ee:ff` or `aa-bb-...`, any case. */
export function parseMac(text: string): { mac?: string; error?: string } {
  if (!/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/.test(text)) return { error: `${JSON.stringify(text)} is not a 6-byte MAC address` };
  const bytes = text.split(/[:-]/).map((h) => parseInt(h, 16));
  if (bytes.every((b) => b === 0)) return { error: 'the all-zero MAC address is not allowed' };
  if ((bytes[0]! & 1) !== 0) return { error: `${text} is a multicast address; a unicast MAC is required` };
  return { mac: bytes.map((b) => b.toString(16).padStart(2, '0')).join(':') };
}
