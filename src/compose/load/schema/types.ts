/**
 * The vocabulary of Slipway's own compose schema. Values are checked after interpolation, so
 * types are strict where the official JSON schema must accept any string (`replicas: two`).
 * Every key of an object is either supported (with a value schema) or refused by name, so no
 * key is ever silently ignored.
 */

export type Schema =
  | StringSchema
  | { t: "int"; min?: number; max?: number }
  | { t: "number"; min?: number }
  | { t: "bool" }
  /** Go duration syntax (`1m30s`, `500ms`), as compose-go parses it. */
  | { t: "duration" }
  /** Byte size: an integer or `512m`, `1.5g`, `2gb` (docker's units.RAMInBytes). */
  | { t: "bytes" }
  | ObjectSchema
  /** A mapping whose keys are chosen by the user (service names, label keys). */
  | { t: "map"; values: Schema; keyPattern?: RegExp; keyRule?: string }
  | { t: "list"; items: Schema; minItems?: number }
  /** One of several shapes; chosen by what the YAML node is (scalar, sequence, mapping). */
  | { t: "union"; options: Schema[] }
  | { t: "null" }
  /** Driver options and the like: free-form scalars. */
  | { t: "scalar" };

export interface StringSchema {
  t: "string";
  enum?: readonly string[];
  /** Extra check of the value; returns a message when the value is wrong. */
  check?: (value: string) => string | undefined;
  /** Numbers are accepted as their text (ports `published: 8080`, `expose: 80`). */
  acceptNumber?: boolean;
}

export interface ObjectSchema {
  t: "object";
  /** Human name used in messages ("service", "healthcheck"). */
  name: string;
  fields: Record<string, Field>;
  required?: readonly string[];
  /** Whether `x-*` extension keys are allowed here (they are wherever the official schema allows them). */
  extensions?: boolean;
}

export type Field =
  | { status: "supported"; schema: Schema; warning?: string }
  | { status: "refused"; reason?: string };

export const str = (opts: Omit<StringSchema, "t"> = {}): StringSchema => ({ t: "string", ...opts });
export const strEnum = (...values: string[]): StringSchema => ({ t: "string", enum: values });
export const int = (min?: number, max?: number): Schema => ({ t: "int", ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) });
export const num = (min?: number): Schema => ({ t: "number", ...(min === undefined ? {} : { min }) });
export const bool: Schema = { t: "bool" };
export const duration: Schema = { t: "duration" };
export const bytes: Schema = { t: "bytes" };
export const nul: Schema = { t: "null" };
export const anyScalar: Schema = { t: "scalar" };
export const list = (items: Schema, minItems?: number): Schema => ({ t: "list", items, ...(minItems === undefined ? {} : { minItems }) });
export const map = (values: Schema, keyPattern?: RegExp, keyRule?: string): Schema => ({
  t: "map",
  values,
  ...(keyPattern ? { keyPattern } : {}),
  ...(keyRule ? { keyRule } : {}),
});
export const union = (...options: Schema[]): Schema => ({ t: "union", options });
export const obj = (name: string, fields: Record<string, Field>, more: { required?: readonly string[]; extensions?: boolean } = {}): ObjectSchema => ({
  t: "object",
  name,
  fields,
  extensions: more.extensions ?? true,
  ...(more.required ? { required: more.required } : {}),
});

export const ok = (schema: Schema, warning?: string): Field => ({ status: "supported", schema, ...(warning ? { warning } : {}) });
export const refused = (reason?: string): Field => ({ status: "refused", ...(reason ? { reason } : {}) });
