/**
 * Build step (npm run build, after tsc): bundles each process entry into one
 * CommonJS file under dist/bundle, so a hook start loads one file through
 * Node's lean CommonJS loader instead of dozens of ES modules:
 *   entry.js          bin/oci-netdevices: hook stages and the CLI dispatch (main.js loaded on demand)
 *   main.js           the full CLI (commander)
 *   runtime-entry.js  bin/oci-netdevices-runtime
 * dist/bundle/package.json marks the directory CommonJS; `import.meta.url`
 * becomes the bundle file's own URL.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, type Plugin, build } from 'esbuild';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(dist, 'bundle');

/**
 * Inside a bundle, createRequire(import.meta.url) is the bundle's own require (import.meta.url is
 * the bundle's file: the banner below), and that is all the code asks of node:module. Loading
 * node:module itself would load Node's ESM loader and source-map support with it: 0.3 ms of every
 * cold start.
 */
const bundleRequire: Plugin = {
  name: 'bundle-require',
  setup(b) {
    b.onResolve({ filter: /^node:module$/ }, () => ({ path: 'node:module', namespace: 'bundle-require' }));
    b.onLoad({ filter: /.*/, namespace: 'bundle-require' }, () => ({ contents: 'export const createRequire = () => require;', loader: 'js' }));
  },
};

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minifySyntax: true,
  minifyWhitespace: true,
  logLevel: 'warning',
  banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': 'importMetaUrl' },
  // import() becomes require(): bin/load-bundle.cjs runs the bundles as vm scripts, which have no
  // dynamic-import callback; every bundle is CommonJS, so require() loads the same file.
  supported: { 'dynamic-import': false },
  plugins: [bundleRequire],
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await Promise.all([
  build({ ...common, entryPoints: [join(dist, 'src', 'cli', 'entry.js')], outfile: join(out, 'entry.js'), external: ['./main.js'] }),
  build({ ...common, entryPoints: [join(dist, 'src', 'cli', 'main.js')], outfile: join(out, 'main.js') }),
  build({ ...common, entryPoints: [join(dist, 'src', 'runtime', 'entry.js')], outfile: join(out, 'runtime-entry.js') }),
]);
writeFileSync(join(out, 'package.json'), '{"type": "commonjs"}\n');
