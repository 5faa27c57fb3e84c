/**
 * Runs the ahead-of-time compiled JSON Schema validators (see build/compile-schemas.ts).
 * Nothing is compiled at run time; the generated module is loaded on first use,
 * so a config that asks for no device never loads it.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

export interface SchemaError {
  /** JSON pointer inside the validated value, e.g. `/0/properties/mtu`. */
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  /** The offending value (the validators are built with ajv's `verbose`). */
  data?: unknown;
  /** The schema holding the failed keyword. */
  parentSchema?: Record<string, unknown>;
}

type Validator = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

interface Validators {
  arrayForm: Validator;
  mapForm: Validator;
  networkConfig: Validator;
  nri: Validator;
  policy: Validator;
  cni: Validator;
}

/** The generated validators are missing or broken: a build fault, not bad input (so not a ValidationError). */
export class SchemaLoadError extends Error {
  override name = 'SchemaLoadError';
}

let validators: Validators | undefined;

/** Where `npm run build` writes the generated validators. */
export function validatorsPath(): string {
  return join(packageRoot(), 'dist', 'src', 'config', 'generated', 'validators.cjs');
}

function load(): Validators {
  if (validators !== undefined) return validators;
  const path = validatorsPath();
  try {
    // Through the launchers' code-cache loader: its cache holds the validators compiled (~5 ms cold).
    const loader = createRequire(import.meta.url)(join(packageRoot(), 'bin', 'load-bundle.cjs')) as { load(file: string): unknown };
    validators = loader.load(path) as Validators;
  } catch (e) {
    // A build fault, not bad input: an internal error, not a ValidationError.
    throw new SchemaLoadError(`cannot load the JSON Schema validators ${path} (run \`npm run build\`): ${(e as Error).message}`);
  }
  return validators;
}

export function checkSchema(which: keyof Validators, data: unknown): SchemaError[] {
  const v = load()[which];
  return v(data) ? [] : [...(v.errors ?? [])];
}
