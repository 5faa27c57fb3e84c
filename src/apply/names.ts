/** Does an interface name match a container-side name, which may be a `%d` template? */
export function matchesTemplate(name: string, wanted: string): boolean {
  const at = wanted.indexOf('%d');
  if (at < 0) return name === wanted;
  const head = wanted.slice(0, at);
  const tail = wanted.slice(at + 2);
  if (!name.startsWith(head) || !name.endsWith(tail) || name.length <= head.length + tail.length) return false;
  return /^[0-9]+$/.test(name.slice(head.length, name.length - tail.length));
}
