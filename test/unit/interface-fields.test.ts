/**
 * The interface field table (src/config/interface-fields.ts) against the two
 * things it must agree with: the published schema (kind and range of each
 * field) and the link-attribute table (every field sets a saved link field,
 * so its undo and its restore at teardown exist).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { linkKey } from '../../src/apply/apply-interface.js';
import { LINK_ATTRIBUTES } from '../../src/apply/link-attributes.js';
import { type FieldDescription, INTERFACE_FIELD_NAMES, INTERFACE_FIELDS } from '../../src/config/interface-fields.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const schema = JSON.parse(readFileSync(resolve(ROOT, 'spec/schema/network-config.schema.json'), 'utf8')) as {
  properties: { interface: { properties: Record<string, { type?: string; minimum?: number; maximum?: number; description?: string }> } };
};

test('every interface field is in the schema with the range its reader accepts', () => {
  const props = schema.properties.interface.properties;
  for (const f of INTERFACE_FIELD_NAMES) {
    const d: FieldDescription = INTERFACE_FIELDS[f];
    const s = props[f];
    assert.ok(s !== undefined, `${f} is not in network-config.schema.json`);
    if (d.kind === 'mac') assert.equal(s.type, 'string', f);
    else assert.deepEqual([s.type, s.minimum, s.maximum], ['integer', d.min, d.max], f);
    // Our own fields say so where a DraNet user reads the schema.
    assert.equal(s.description?.startsWith('oci-netdevices extension') === true, d.extension === true, `${f}: extension marking`);
  }
});

test('every interface field sets a saved link field the link-attribute table sets and restores', () => {
  for (const f of INTERFACE_FIELD_NAMES) {
    const owners = LINK_ATTRIBUTES.filter((a) => a.keys.includes(linkKey(f)));
    assert.equal(owners.length, 1, `${f} -> ${linkKey(f)}`);
  }
});
