/**
 * Parses the structure of a WebAssembly module: enough to validate it against the sandbox's
 * rules and to instrument it, keeping every byte range so unchanged parts are copied verbatim.
 */
import { UnsupportedFeatureError, UnsupportedImportError } from "../errors.ts";
import { OP, readInstruction, readValtype } from "./opcodes.ts";
import { Reader } from "./reader.ts";

export type FuncType = { params: number[]; results: number[] };
export type Limits = { min: number; max?: number };
export type Import = { module: string; field: string; kind: number; typeIndex: number };
export type Export = { name: string; kind: number; index: number };
export type Section = { id: number; start: number; end: number };
export type Body = { start: number; end: number };

export const SECTION = { custom: 0, type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6, export: 7, start: 8, element: 9, code: 10, data: 11, datacount: 12, tag: 13 } as const;
export const EXTERN = { func: 0, table: 1, memory: 2, global: 3, tag: 4 } as const;
const EXTERN_NAMES = ["function", "table", "memory", "global", "tag"];

/** Canonical order of sections; custom sections may appear anywhere. */
export const SECTION_ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];

export type ParsedModule = {
  bytes: Uint8Array;
  sections: Section[];
  types: FuncType[];
  imports: Import[];
  /** Type index of every function, imported ones first. */
  funcTypes: number[];
  importedFuncs: number;
  tables: { limits: Limits; start: number; end: number }[];
  memories: { limits: Limits; start: number; end: number }[];
  globalCount: number;
  exports: Export[];
  start?: number;
  bodies: Body[];
};

function readLimits(r: Reader, what: string): Limits {
  const flags = r.u8();
  if (flags === 0x02 || flags === 0x03) throw new UnsupportedFeatureError("shared memory (threads)", what);
  if (flags >= 0x04 && flags <= 0x07) throw new UnsupportedFeatureError("64-bit memories or tables", what);
  if (flags > 0x01) r.fail(`bad limits flag 0x${flags.toString(16)} in ${what}`);
  const min = r.u32();
  return flags === 0x01 ? { min, max: r.u32() } : { min };
}

/** Skips a constant expression (global init, segment offsets) up to its `end`. */
function skipConstExpr(r: Reader, typeCount: number): void {
  for (;;) if (readInstruction(r, typeCount) === OP.end) return;
}

export function parseModule(bytes: Uint8Array): ParsedModule {
  const r = new Reader(bytes);
  const magic = r.take(4);
  if (magic[0] !== 0x00 || magic[1] !== 0x61 || magic[2] !== 0x73 || magic[3] !== 0x6d) r.fail("no \\0asm magic");
  const version = r.take(4);
  if (version[0] !== 1 || version[1] !== 0 || version[2] !== 0 || version[3] !== 0) {
    throw new UnsupportedFeatureError("a non-core binary (component model or unknown version)", "header");
  }
  const m: ParsedModule = {
    bytes, sections: [], types: [], imports: [], funcTypes: [], importedFuncs: 0,
    tables: [], memories: [], globalCount: 0, exports: [], bodies: [],
  };
  let last = 0;
  while (!r.done) {
    const id = r.u8();
    const size = r.u32();
    const start = r.pos;
    r.skip(size);
    const end = r.pos;
    m.sections.push({ id, start, end });
    if (id === SECTION.custom) continue;
    const order = SECTION_ORDER.indexOf(id);
    if (order < 0) r.fail(`unknown section id ${id}`);
    if (order <= last && last !== 0) r.fail(`section ${id} out of order`);
    last = order;
    const s = new Reader(bytes, start, end);
    parseSection(m, id, s);
    if (!s.done) s.fail(`section ${id} has trailing bytes`);
  }
  const defined = m.funcTypes.length - m.importedFuncs;
  if (defined !== m.bodies.length) r.fail(`${defined} functions declared but ${m.bodies.length} bodies`);
  return m;
}

function parseSection(m: ParsedModule, id: number, s: Reader): void {
  switch (id) {
    case SECTION.type: {
      const n = s.u32();
      for (let i = 0; i < n; i++) {
        const form = s.u8();
        if (form !== 0x60) throw new UnsupportedFeatureError("garbage collection types", `type ${i}`);
        const params = Array.from({ length: s.u32() }, () => readValtype(s, `type ${i}`));
        const results = Array.from({ length: s.u32() }, () => readValtype(s, `type ${i}`));
        m.types.push({ params, results });
      }
      return;
    }
    case SECTION.import: {
      const n = s.u32();
      for (let i = 0; i < n; i++) {
        const module = s.name();
        const field = s.name();
        const kind = s.u8();
        if (kind !== EXTERN.func) {
          throw new UnsupportedImportError(module, field, `is a ${EXTERN_NAMES[kind] ?? "unknown kind"}; the sandbox provides functions only`);
        }
        const typeIndex = s.u32();
        if (typeIndex >= m.types.length) s.fail(`import type ${typeIndex} out of range`);
        m.imports.push({ module, field, kind, typeIndex });
        m.funcTypes.push(typeIndex);
        m.importedFuncs++;
      }
      return;
    }
    case SECTION.function: {
      const n = s.u32();
      for (let i = 0; i < n; i++) {
        const t = s.u32();
        if (t >= m.types.length) s.fail(`function type ${t} out of range`);
        m.funcTypes.push(t);
      }
      return;
    }
    case SECTION.table: {
      const n = s.u32();
      for (let i = 0; i < n; i++) {
        const start = s.pos;
        if (s.bytes[s.pos] === 0x40) throw new UnsupportedFeatureError("table initialisers (typed references)", `table ${i}`);
        const t = s.u8();
        if (t !== 0x70 && t !== 0x6f) throw new UnsupportedFeatureError("typed references / GC types", `table ${i}`);
        const limits = readLimits(s, `table ${i}`);
        m.tables.push({ limits, start, end: s.pos });
      }
      return;
    }
    case SECTION.memory: {
      const n = s.u32();
      if (n > 1) throw new UnsupportedFeatureError("multiple memories", "memory section");
      for (let i = 0; i < n; i++) {
        const start = s.pos;
        const limits = readLimits(s, `memory ${i}`);
        m.memories.push({ limits, start, end: s.pos });
      }
      return;
    }
    case SECTION.tag:
      throw new UnsupportedFeatureError("exception handling", "tag section");
    case SECTION.global: {
      const n = s.u32();
      for (let i = 0; i < n; i++) {
        readValtype(s, `global ${i}`);
        if (s.u8() > 1) s.fail(`global ${i} has a bad mutability flag`);
        skipConstExpr(s, m.types.length);
      }
      m.globalCount = n;
      return;
    }
    case SECTION.export: {
      const n = s.u32();
      for (let i = 0; i < n; i++) m.exports.push({ name: s.name(), kind: s.u8(), index: s.u32() });
      return;
    }
    case SECTION.start:
      m.start = s.u32();
      return;
    case SECTION.code: {
      const n = s.u32();
      for (let i = 0; i < n; i++) {
        const size = s.u32();
        const start = s.pos;
        s.skip(size);
        m.bodies.push({ start, end: s.pos });
      }
      return;
    }
    default:
      s.pos = s.end; // element, data, datacount: copied verbatim, validated by the engine
  }
}
