import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { numericColumn, parseCsv, readCsvFile } from '../../src/data/csv.js';
import { expectFsmtlError, tempDir } from './helpers.js';

test('header row and named columns; quotes, embedded commas and newlines, CRLF, BOM, blank lines', () => {
  const text = '\ufeffid,name,score\r\n1,"Smith, J.",3.5\r\n\r\n2,"two\nlines",-1e2\r\n3,plain, 7 \r\n';
  const t = parseCsv(text, 'data/a.csv');
  assert.deepEqual(t.columns, ['id', 'name', 'score']);
  assert.equal(t.rows, 3);
  assert.deepEqual(t.column('name'), ['Smith, J.', 'two\nlines', 'plain']);
  assert.deepEqual(t.column('id'), ['1', '2', '3']);
  // Lines as an editor shows them: the blank line 3 counts, a quoted newline moves the next row down.
  assert.deepEqual([t.line(0), t.line(1), t.line(2)], [2, 4, 6]);
  assert.deepEqual([...numericColumn(t, 'score')], [3.5, -100, 7]);
  assert.equal(parseCsv('a;b\n1;2\n', 's.csv', { delimiter: ';' }).column('b')[0], '2');
  // A header alone is a table with no rows.
  const h = parseCsv('x,y\n', 'h.csv');
  assert.equal(h.rows, 0);
  assert.deepEqual(numericColumn(h, 'y'), new Float64Array(0));
});

test('numericColumn: decimal numbers only; empty cells are NaN when missing values are allowed', () => {
  const t = parseCsv('a,b\n1,\n-2.5, 3 \n+.5e1,4\n', 'n.csv');
  assert.deepEqual([...numericColumn(t, 'a')], [1, -2.5, 5]);
  const b = numericColumn(t, 'b', { allowMissing: true });
  assert.ok(Number.isNaN(b[0]));
  assert.deepEqual([...b.subarray(1)], [3, 4]);
  expectFsmtlError(() => numericColumn(t, 'b'), 'n.csv', 'line 2', "column 'b'", 'empty cell');
  for (const bad of ['abc', '0x10', 'Infinity', '1e999', '1,5', '2-3', 'NaN']) {
    const u = parseCsv(`a,b\n1,2\n3,"${bad}"\n`, 'bad.csv');
    expectFsmtlError(() => numericColumn(u, 'b', { allowMissing: true }), 'bad.csv', 'line 3', "column 'b'", `"${bad}" is not a number`);
  }
});

test('ragged rows name the line and both field counts', () => {
  expectFsmtlError(() => parseCsv('a,b,c\n1,2,3\n4,5\n', 'r.csv'), 'r.csv', 'line 3', '2 fields', 'has 3');
  expectFsmtlError(() => parseCsv('a,b\n1,2\n\n3,4,5\n', 'r.csv'), 'r.csv', 'line 4', '3 fields', 'has 2');
});

test('duplicate, empty and unknown column names', () => {
  expectFsmtlError(() => parseCsv('x,y,x\n1,2,3\n', 'd.csv'), 'd.csv', 'line 1', "duplicate column name 'x'", 'columns 1 and 3');
  expectFsmtlError(() => parseCsv('\n\nx, y ,y\n1,2,3\n', 'd.csv'), 'd.csv', 'line 3', "duplicate column name 'y'");
  expectFsmtlError(() => parseCsv('x,,z\n1,2,3\n', 'e.csv'), 'e.csv', 'column 2 of the header has no name');
  const t = parseCsv('x,y\n1,2\n', 'u.csv');
  expectFsmtlError(() => t.column('z'), 'u.csv', "no column 'z'", 'columns: x, y');
  expectFsmtlError(() => numericColumn(t, 'Y'), 'u.csv', "no column 'Y'");
});

test('syntax errors and empty files', () => {
  expectFsmtlError(() => parseCsv('a,b\n1,"open\n2,3\n', 'q.csv'), 'q.csv', 'bad CSV', 'Quote Not Closed', 'line');
  expectFsmtlError(() => parseCsv('a,b\n1,"x"y\n', 'q.csv'), 'q.csv', 'bad CSV', 'line 2');
  expectFsmtlError(() => parseCsv('', 'empty.csv'), 'empty.csv', 'empty file');
  expectFsmtlError(() => parseCsv('\n\n', 'empty.csv'), 'empty.csv', 'empty file');
});

test('readCsvFile names the path', () => {
  const dir = tempDir();
  const p = join(dir, 'table.csv');
  writeFileSync(p, 'a,b\n1,2\n3,x\n');
  const t = readCsvFile(p);
  assert.equal(t.name, p);
  assert.deepEqual([...numericColumn(t, 'a')], [1, 3]);
  expectFsmtlError(() => numericColumn(t, 'b'), p, 'line 3', "column 'b'", '"x" is not a number');
  expectFsmtlError(() => readCsvFile(join(dir, 'none.csv')), join(dir, 'none.csv'), 'file not found');
});
