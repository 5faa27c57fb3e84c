/**
 * The user documentation of the interface's scalar fields, written from their
 * one description (src/config/interface-fields.ts) and the link-attribute
 * table that applies them: the rows of README.md's NetworkConfig table and
 * the rule list of spec/README.md, each between
 * `<!-- generated: interface-fields ... -->` and `<!-- end generated -->`.
 *
 * `npm run docs` rewrites the blocks (node dist/src/build/field-docs.js);
 * test/unit/field-docs.test.ts fails while a block is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { linkKey } from '../apply/apply-interface.js';
import { LINK_ATTRIBUTES } from '../apply/link-attributes.js';
import { type FieldDescription, INTERFACE_FIELD_NAMES, INTERFACE_FIELDS, type InterfaceField } from '../config/interface-fields.js';
import { packageRoot } from '../package-root.js';

export interface DocBlock {
  /** Relative to the repository root. */
  file: string;
  name: string;
  /** Where the markers and the lines sit (a block inside a list item is indented). */
  indent: string;
  render(): string;
}

function rule(f: InterfaceField): string {
  const d: FieldDescription = INTERFACE_FIELDS[f];
  const parts = [d.kind === 'integer' ? `${d.min}..${d.max}` : 'a MAC'];
  if (d.rule !== undefined) parts.push(d.rule);
  if (d.tsoBounded === true) parts.push("at most the device's TSO limit (`IFLA_TSO_MAX_SIZE`)");
  if (d.needs !== undefined) parts.push(`needs \`${d.needs.attribute}\` (${d.needs.since}); a kernel whose link dump lacks it is refused before any change`);
  return parts.join(', ');
}

function step(f: InterfaceField): string {
  const attribute = LINK_ATTRIBUTES.find((a) => a.keys.includes(linkKey(f)));
  return `after the move and rename, in the step \`set ${attribute!.what}\``;
}

function name(f: InterfaceField): string {
  const d: FieldDescription = INTERFACE_FIELDS[f];
  return `\`${f}\`${d.extension === true ? " (ours, not DraNet's)" : ''}`;
}

export const FIELD_DOC_BLOCKS: readonly DocBlock[] = [
  {
    file: 'README.md',
    name: 'interface-fields table',
    indent: '',
    // The header is inside the block: an HTML comment between a table's lines ends the table.
    render: () => ['| field | rule | applied | at teardown |', '| --- | --- | --- | --- |']
      .concat(INTERFACE_FIELD_NAMES.map((f) => `| ${name(f)} | ${rule(f)} | ${step(f)}; undone on rollback | back to the host's value |`))
      .join('\n'),
  },
  {
    file: 'spec/README.md',
    name: 'interface-fields rules',
    indent: '  ',
    render: () => INTERFACE_FIELD_NAMES.map((f) => `- ${name(f)}: ${rule(f)}.`).join('\n'),
  },
];

const begin = (b: DocBlock): string => `<!-- generated: ${b.name} (npm run docs; from src/config/interface-fields.ts) -->`;
const END = '<!-- end generated -->';

/** The file's text with the block rewritten; throws if the file has no such block. */
export function withBlock(text: string, b: DocBlock): string {
  const start = text.indexOf(begin(b));
  const end = start < 0 ? -1 : text.indexOf(END, start);
  if (start < 0 || end < 0) throw new Error(`${b.file}: no block "${begin(b)}" ... "${END}"`);
  const lines = b.render().split('\n').map((l) => `${b.indent}${l}`).join('\n');
  return `${text.slice(0, start)}${begin(b)}\n${lines}\n${b.indent}${text.slice(end)}`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = packageRoot();
  for (const b of FIELD_DOC_BLOCKS) {
    const path = join(root, b.file);
    const before = readFileSync(path, 'utf8');
    const after = withBlock(before, b);
    if (after !== before) writeFileSync(path, after);
    process.stdout.write(`${b.file}: ${b.name} ${after === before ? 'up to date' : 'rewritten'}\n`);
  }
}
