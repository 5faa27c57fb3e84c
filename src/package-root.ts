/**
 * The package's root directory, found from this module's own location so it
 * holds both for the compiled tree (dist/src/...) and for the bundle (dist/bundle/).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'binding.gyp'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the oci-netdevices package root (binding.gyp)');
    dir = up;
  }
  root = dir;
  return dir;
}
