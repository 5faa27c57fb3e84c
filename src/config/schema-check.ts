/** Runs the ahead-of-time compiled JSON Schema validators (see compile-schemas.ts). */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

export interface SchemaError {
  /** JSON pointer inside the validated value, e.g. `/0/properties/mtu`. */
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

type Validator = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

interface Validators {
  arrayForm: Validator;
  mapForm: Validator;
  networkConfig: Validator;
  nri: Validator;
  policy: Validator;
}

let validators: Validators | undefined;

function load(): Validators {
  validators ??= createRequire(import.meta.url)(join(packageRoot(), 'dist', 'src', 'config', 'generated', 'validators.cjs')) as Validators;
  return validators;
}

export function checkSchema(which: keyof Validators, data: unknown): SchemaError[] {
  const v = load()[which];
  return v(data) ? [] : [...(v.errors ?? [])];
}
