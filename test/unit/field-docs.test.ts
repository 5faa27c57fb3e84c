/**
 * The documentation of the interface's link fields is written from their one
 * description (src/build/field-docs.ts): a field added to
 * src/config/interface-fields.ts without `npm run docs` fails here, naming
 * the stale file.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIELD_DOC_BLOCKS, withBlock } from '../../src/build/field-docs.js';
import { packageRoot } from '../../src/package-root.js';
import { INTERFACE_FIELD_NAMES } from '../../src/config/interface-fields.js';

for (const block of FIELD_DOC_BLOCKS) {
  test(`${block.file}: the ${block.name} block is up to date (run npm run docs)`, () => {
    const text = readFileSync(join(packageRoot(), block.file), 'utf8');
    assert.equal(withBlock(text, block), text, `${block.file} is stale: run npm run docs`);
    for (const f of INTERFACE_FIELD_NAMES) assert.ok(block.render().includes(`\`${f}\``), `${block.file} lacks ${f}`);
  });
}

test('a missing block is an error naming the file and the marker', () => {
  const block = FIELD_DOC_BLOCKS[0]!;
  assert.throws(() => withBlock('no markers here\n', block), new RegExp(`${block.file}: no block`));
});

test('a stale block is rewritten between its markers and the rest kept', () => {
  const block = FIELD_DOC_BLOCKS[1]!;
  const begin = `${block.indent}<!-- generated: ${block.name} (npm run docs; from src/config/interface-fields.ts) -->`;
  const stale = `before\n${begin}\n${block.indent}- \`mtu\`: old text\n${block.indent}<!-- end generated -->\nafter\n`;
  const fresh = withBlock(stale, block);
  assert.ok(fresh.startsWith(`before\n${begin}\n`));
  assert.ok(fresh.endsWith(`${block.indent}<!-- end generated -->\nafter\n`));
  assert.ok(!fresh.includes('old text'));
  assert.equal(withBlock(fresh, block), fresh);
});
