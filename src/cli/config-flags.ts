// Command-line flags made from the train config's schema (src/train/config.ts), so that a field is
// declared once: its type, range, default, help and choices (from the registries) live in the schema,
// and every field with `help` meta becomes a flag. Fields of the option blocks (fs, mr, se,
// weightingOptions) become flags too, kebab-cased (fs.annealEpochs → --anneal-epochs) unless their
// meta names the flag. The values are parsed here only as far as the shell needs (a number, a list);
// parseTrainConfig then checks them with the same rules as a config file, and names the field.
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { z } from 'zod';
import { trainConfigObject } from '../train/config.js';

interface FieldMeta {
  help?: string;
  /** Flag name without dashes (default: the field name in kebab case). */
  flag?: string;
  /** Name of the flag's argument in --help. */
  arg?: string;
  /** For option blocks: put before the help of each of its fields. */
  helpPrefix?: string;
}

export interface ConfigFlag {
  /** Path in the config: ['keep'] or ['fs', 'warmupEpochs']. */
  path: string[];
  option: Option;
}

type Schema = z.ZodType & { def: { type: string }; unwrap?: () => Schema; meta(): unknown };

/** The schema under optional/default wrappers, and the first meta found on the way. */
function unwrap(schema: Schema): { inner: Schema; meta: FieldMeta } {
  let inner = schema;
  let meta: FieldMeta = {};
  for (;;) {
    const m = inner.meta() as FieldMeta | undefined;
    if (m && !Object.keys(meta).length) meta = m;
    if ((inner.def.type === 'default' || inner.def.type === 'optional') && inner.unwrap) inner = inner.unwrap();
    else return { inner, meta };
  }
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Decimal notation only: Number() would also read '0x10' as 16, '0b1' and '' as numbers. */
const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

export function parseNumber(flag: string, integer = false) {
  return (v: string) => {
    const n = Number(v);
    if (!DECIMAL.test(v) || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`${flag} must be ${integer ? 'an integer' : 'a number'}, got '${v}'`);
    }
    return n;
  };
}

function optionFor(flag: string, schema: Schema, meta: FieldMeta, help: string): Option {
  const type = schema.def.type;
  const arg = meta.arg ?? flag;
  if (type === 'boolean') return new Option(`--${flag}`, help);
  const option = new Option(`--${flag} <${arg}>`, help);
  if (type === 'enum') return option.choices((schema as unknown as { options: string[] }).options);
  if (type === 'number') return option.argParser(parseNumber(`--${flag}`, (schema as unknown as { isInt: boolean }).isInt));
  if (type === 'array') {
    const element = unwrap((schema as unknown as { element: Schema }).element).inner;
    const parse: (x: string) => number | string = element.def.type === 'number' ? parseNumber(`--${flag}`, (element as unknown as { isInt: boolean }).isInt) : (x) => x;
    return option.argParser((v: string) =>
      v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
        .map((x) => parse(x)),
    );
  }
  return option;
}

/** Every flag of the train config, in the schema's order. */
export function configFlags(): ConfigFlag[] {
  const flags: ConfigFlag[] = [];
  for (const [name, field] of Object.entries(trainConfigObject.shape)) {
    const { inner, meta } = unwrap(field as unknown as Schema);
    if (inner.def.type === 'object') {
      const prefix = meta.helpPrefix ?? '';
      for (const [sub, subField] of Object.entries((inner as unknown as { shape: Record<string, Schema> }).shape)) {
        const u = unwrap(subField);
        if (!u.meta.help) continue;
        const flag = u.meta.flag ?? kebab(sub);
        flags.push({ path: [name, sub], option: optionFor(flag, u.inner, u.meta, prefix + u.meta.help) });
      }
    } else if (meta.help) {
      flags.push({ path: [name], option: optionFor(meta.flag ?? kebab(name), inner, meta, meta.help) });
    }
  }
  return flags;
}

/** Adds the config's flags to a command, but those in `except` (top-level field names the command defines its own way). */
export function addConfigFlags(cmd: Command, except: string[] = []): Command {
  for (const f of configFlags()) if (!except.includes(f.path[0])) cmd.addOption(f.option);
  return cmd;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * The config a command's parsed flags give, over a config file's settings (flags win). An option block
 * from the file that is not an object is passed on unmerged, so that the schema names it.
 */
export function configFromFlags(flags: Record<string, unknown>, file: Record<string, unknown> = {}, except: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = { ...file };
  for (const f of configFlags()) {
    if (except.includes(f.path[0])) continue;
    const value = flags[f.option.attributeName()];
    if (value === undefined) continue;
    if (f.path.length === 1) {
      out[f.path[0]] = value;
    } else {
      const [block, field] = f.path;
      const current = out[block];
      if (current !== undefined && !isObject(current)) continue;
      out[block] = { ...(current as Record<string, unknown> | undefined), [field]: value };
    }
  }
  return out;
}

/**
 * Where a config field's value came from, for errors: the flag that set it (--epochs), else the config
 * file's field (exp.json: fs.samples), else the default (config.epochs).
 */
export function configSource(flags: Record<string, unknown>, file?: string, except: string[] = []): (path: PropertyKey[]) => string {
  const given = configFlags().filter((f) => !except.includes(f.path[0]) && flags[f.option.attributeName()] !== undefined);
  return (path) => {
    const p = path.map(String);
    const flag = given.find((f) => f.path.every((part, i) => p[i] === part));
    if (flag) return flag.option.long!;
    const field = p.join('.');
    if (file) return field ? `${file}: ${field}` : file;
    return field ? `config.${field}` : 'config';
  };
}
