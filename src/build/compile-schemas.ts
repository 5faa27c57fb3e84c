/**
 * Build step: compiles spec/schema/*.schema.json into standalone validator
 * code, so the hook never compiles a schema at run time (ajv compile costs
 * tens of milliseconds on every container start).
 * Run by `npm run build` after tsc: node dist/src/build/compile-schemas.js; writes
 * dist/src/config/generated/validators.cjs, next to the schema-check module that loads it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const schemaDir = join(root, 'spec', 'schema');
export const SCHEMA_BASE = 'https://oci-netdevices.io/schema/';

const files = ['network-config', 'netdevices-array', 'netdevices-map', 'nri-annotation', 'devices-annotation', 'policy', 'cni-annotation'];

const Ajv = AjvModule.default;
const standaloneCode = standaloneModule.default;
// verbose: errors carry the offending value and its schema, so messages can say what was given and what is allowed.
// CommonJS output: the validators are loaded synchronously (createRequire) and only when a config asks for devices;
// extractDevices() is synchronous, and Node 20 cannot require() an ES module.
const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true, code: { source: true, esm: false } });
for (const f of files) ajv.addSchema(JSON.parse(readFileSync(join(schemaDir, `${f}.schema.json`), 'utf8')) as object);
const code = standaloneCode(ajv, {
  arrayForm: `${SCHEMA_BASE}netdevices-array.schema.json`,
  mapForm: `${SCHEMA_BASE}netdevices-map.schema.json`,
  networkConfig: `${SCHEMA_BASE}network-config.schema.json`,
  nri: `${SCHEMA_BASE}nri-annotation.schema.json`,
  policy: `${SCHEMA_BASE}policy.schema.json`,
  cni: `${SCHEMA_BASE}cni-annotation.schema.json`,
});
const out = join(here, '..', 'config', 'generated', 'validators.cjs');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, code);
