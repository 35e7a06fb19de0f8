// CSV with a header row, read into named string columns (parsing by csv-parse: quotes, embedded
// delimiters and newlines, CRLF, byte-order mark). parseCsv works on text and can run in a browser;
// readCsvFile adds the file access. Errors give the line number a spreadsheet or editor would show.
import { parse } from 'csv-parse/sync';
import { FsmtlError } from '../util/errors.js';
import { readText } from './cache.js';

export interface CsvTable {
  /** The file name used in error messages. */
  name: string;
  /** Column names from the header row, in file order. */
  columns: string[];
  /** Number of data rows (the header excluded). */
  rows: number;
  /** The cells of a column, one per data row; an unknown name is an FsmtlError. */
  column(name: string): string[];
  /** The 1-based line of the file where data row `row` (0-based) starts. */
  line(row: number): number;
}

export interface CsvOptions {
  /** Field delimiter (default ','). */
  delimiter?: string;
}

interface Parsed {
  record: string[];
  info: { lines: number };
}

const NEWLINES = /\r\n|\r|\n/g;

/** Line where a record starts: csv-parse reports where it ends, which differs when quoted fields hold newlines. */
function startLine(p: Parsed): number {
  let inside = 0;
  for (const f of p.record) inside += f.match(NEWLINES)?.length ?? 0;
  return p.info.lines - inside;
}

/** Parses CSV text whose first non-empty line is the header. `name` (usually the path) prefixes every error message. */
export function parseCsv(text: string, name: string, opts: CsvOptions = {}): CsvTable {
  let parsed: Parsed[];
  try {
    parsed = parse(text, {
      delimiter: opts.delimiter ?? ',',
      bom: true,
      info: true,
      skip_empty_lines: true,
      // Ragged rows are reported below, with our wording and the row's own line.
      relax_column_count: true,
    }) as unknown as Parsed[];
  } catch (e) {
    // csv-parse's messages name the line already (e.g. "Quote Not Closed: ... at line 3").
    throw new FsmtlError(`${name}: bad CSV: ${String((e as Error).message).split('\n')[0]}`);
  }
  if (parsed.length === 0) throw new FsmtlError(`${name}: empty file, expected a header row`);
  const header = parsed[0];
  const columns = header.record.map((c) => c.trim());
  const headerLine = startLine(header);
  const index = new Map<string, number>();
  columns.forEach((c, j) => {
    if (c === '') throw new FsmtlError(`${name}: line ${headerLine}: column ${j + 1} of the header has no name`);
    const prev = index.get(c);
    if (prev !== undefined) {
      throw new FsmtlError(`${name}: line ${headerLine}: duplicate column name '${c}' (columns ${prev + 1} and ${j + 1})`);
    }
    index.set(c, j);
  });
  const data = parsed.slice(1);
  const lines = data.map(startLine);
  data.forEach((p, i) => {
    if (p.record.length !== columns.length) {
      throw new FsmtlError(`${name}: line ${lines[i]}: ${p.record.length} fields, the header (line ${headerLine}) has ${columns.length}`);
    }
  });
  const cache = new Map<string, string[]>();
  return {
    name,
    columns,
    rows: data.length,
    column(col: string): string[] {
      const j = index.get(col);
      if (j === undefined) throw new FsmtlError(`${name}: no column '${col}' (columns: ${columns.join(', ')})`);
      let cells = cache.get(col);
      if (cells === undefined) {
        cells = data.map((p) => p.record[j]);
        cache.set(col, cells);
      }
      return cells;
    },
    line(row: number): number {
      if (!Number.isInteger(row) || row < 0 || row >= data.length) throw new RangeError(`row ${row} out of range [0, ${data.length})`);
      return lines[row];
    },
  };
}

/** Reads and parses a CSV file; errors name the path. */
export function readCsvFile(path: string, opts: CsvOptions = {}): CsvTable {
  return parseCsv(readText(path), path, opts);
}

// Decimal numbers only: Number() would also take '0x1f', 'Infinity' and turn '' or ' ' into 0.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A cell's value when it is a finite decimal number (surrounding spaces ignored), else NaN. */
export function parseDecimal(cell: string): number {
  const s = cell.trim();
  const v = NUMBER.test(s) ? Number(s) : NaN;
  return Number.isFinite(v) ? v : NaN;
}

/**
 * A column as numbers. Surrounding spaces are ignored. Empty cells become NaN when allowMissing,
 * otherwise they are errors, like any cell that is not a finite decimal number.
 */
export function numericColumn(table: CsvTable, col: string, opts: { allowMissing?: boolean } = {}): Float64Array {
  const cells = table.column(col);
  const out = new Float64Array(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const s = cells[i].trim();
    if (s === '') {
      if (!opts.allowMissing) throw new FsmtlError(`${table.name}: line ${table.line(i)}, column '${col}': empty cell (missing values are not allowed here)`);
      out[i] = NaN;
      continue;
    }
    const v = parseDecimal(s);
    if (Number.isNaN(v)) {
      throw new FsmtlError(`${table.name}: line ${table.line(i)}, column '${col}': ${JSON.stringify(cells[i])} is not a number`);
    }
    out[i] = v;
  }
  return out;
}
