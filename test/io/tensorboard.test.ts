// TensorBoard event files read back by an independent reader: a Python script written from the format
// (TFRecord framing, masked CRC-32C computed bit by bit, protobuf wire format), sharing no code with the
// writer. Where the `tensorboard` Python package is installed, TensorBoard's own loader reads them too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c, runLogScalars, writeRunEvents } from '../../src/io/tensorboard.js';
import type { RunLogRecord } from '../../src/experiments/run-log.js';
import { tempDir } from '../experiments/helpers.js';

const READER = String.raw`
import json, struct, sys

def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF

def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF

def varint(b, i):
    shift = result = 0
    while True:
        x = b[i]; i += 1
        result |= (x & 0x7F) << shift
        shift += 7
        if not x & 0x80:
            return result, i

def fields(b):
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, i = varint(b, i)
        elif wire == 1:
            v = b[i:i+8]; i += 8
        elif wire == 2:
            n, i = varint(b, i); v = b[i:i+n]; i += n
        elif wire == 5:
            v = b[i:i+4]; i += 4
        else:
            raise ValueError("wire type %d" % wire)
        yield num, wire, v

data = open(sys.argv[1], "rb").read()
pos, events = 0, []
while pos < len(data):
    header = data[pos:pos+8]
    (length,) = struct.unpack("<Q", header)
    (hcrc,) = struct.unpack("<I", data[pos+8:pos+12])
    assert hcrc == masked(header), "length crc"
    body = data[pos+12:pos+12+length]
    (bcrc,) = struct.unpack("<I", data[pos+12+length:pos+16+length])
    assert bcrc == masked(body), "data crc"
    pos += 16 + length
    ev = {"scalars": []}
    for num, wire, v in fields(body):
        if num == 1: ev["wall_time"] = struct.unpack("<d", v)[0]
        elif num == 2: ev["step"] = v
        elif num == 3: ev["file_version"] = v.decode()
        elif num == 5:
            for n2, w2, val in fields(v):
                assert n2 == 1
                tag, simple = None, None
                for n3, w3, x in fields(val):
                    if n3 == 1: tag = x.decode()
                    elif n3 == 2: simple = struct.unpack("<f", x)[0]
                ev["scalars"].append([tag, simple])
    events.append(ev)
assert pos == len(data)
out = {"events": events}
try:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(sys.argv[1]); acc.Reload()
    out["tensorboard"] = {t: [[s.step, s.value] for s in acc.Scalars(t)] for t in acc.Tags()["scalars"]}
except ImportError:
    pass
print(json.dumps(out))
`;

/** FSMTL_PYTHON: a Python with the tensorboard package, to read the files with TensorBoard's own loader too. */
const PYTHON = process.env.FSMTL_PYTHON ?? 'python3';
const hasPython = spawnSync(PYTHON, ['--version']).status === 0;

test('CRC-32C matches the standard check value', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
});

const records: RunLogRecord[] = [
  { type: 'epoch', key: 'k', epoch: 1, epochs: 2, loss: { digits: 2.25, fashion: 1.5 }, seconds: 0.5, elapsed: 0.5, masksUpdated: false, masks: null, rssBytes: 1, time: 1700000000.25 },
  { type: 'epoch', key: 'k', epoch: 2, epochs: 2, loss: { digits: 1.75, fashion: 1.25 }, seconds: 0.75, elapsed: 1.25, masksUpdated: true, masks: { density: { digits: 0.5, fashion: 0.5 }, union: 0.7, meanOverlap: 0.625 }, rssBytes: 1, time: 1700000001 },
  {
    type: 'result',
    key: 'k',
    epochs: 2,
    test: { digits: { accuracy: 0.75, f1: 0.5 }, fashion: { accuracy: 0.625, f1: null as unknown as number } },
    validation: null,
    average: { accuracy: 0.6875 },
    timings: {} as never,
    time: 1700000002,
  },
];

test('event files read back with an independent reader: CRCs, file version, every scalar with its step', { skip: hasPython ? false : 'python3 is not installed' }, () => {
  const dir = tempDir('fsmtl-tb-');
  const file = writeRunEvents(dir, 'run-a', records);
  assert.match(file, /run-a[\\/]events\.out\.tfevents\.1700000000\./);
  const r = spawnSync(PYTHON, ['-c', READER, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const read = JSON.parse(r.stdout) as { events: { wall_time: number; step?: number; file_version?: string; scalars: [string, number][] }[]; tensorboard?: Record<string, [number, number][]> };
  assert.equal(read.events[0].file_version, 'brain.Event:2');
  const got = read.events.flatMap((e) => e.scalars.map(([tag, v]) => ({ tag, step: e.step ?? 0, value: v, wallTime: e.wall_time })));
  const expected = [
    ['loss/digits', 1, 2.25],
    ['loss/fashion', 1, 1.5],
    ['time/epoch_seconds', 1, 0.5],
    ['loss/digits', 2, 1.75],
    ['loss/fashion', 2, 1.25],
    ['masks/density/digits', 2, 0.5],
    ['masks/density/fashion', 2, 0.5],
    ['masks/overlap', 2, 0.625],
    ['time/epoch_seconds', 2, 0.75],
    ['test/digits/accuracy', 2, 0.75],
    ['test/digits/f1', 2, 0.5],
    ['test/fashion/accuracy', 2, 0.625],
    ['test/average/accuracy', 2, 0.6875],
  ];
  const key = (x: { tag: string; step: number; value: number }) => `${x.tag}@${x.step}=${x.value}`;
  assert.deepEqual(got.map(key).sort(), expected.map(([tag, step, value]) => key({ tag: tag as string, step: step as number, value: value as number })).sort());
  assert.equal(got.find((g) => g.tag === 'loss/digits' && g.step === 1)!.wallTime, 1700000000.25);
  assert.ok(!got.some((g) => g.tag === 'test/fashion/f1'), 'a missing metric is left out, not written as 0');
  if (read.tensorboard) assert.deepEqual(read.tensorboard['loss/digits'], [[1, 2.25], [2, 1.75]]);
  else process.stderr.write('note: the tensorboard Python package is not installed; read back with the independent reader only\n');

  // One flipped bit in a record's data: the reader's CRC check catches it.
  const bytes = readFileSync(file);
  bytes[bytes.length - 10] ^= 0x01;
  writeFileSync(file, bytes);
  const bad = spawnSync(PYTHON, ['-c', READER, file], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /data crc/);
});

test('writing a run again replaces its event file; scalars come from the run log', () => {
  const dir = tempDir('fsmtl-tb-');
  writeRunEvents(dir, 'r', records);
  writeRunEvents(dir, 'r', [{ ...records[0], time: 1800000000 }]);
  assert.deepEqual(readdirSync(join(dir, 'r')).length, 1);
  assert.equal(runLogScalars(records).length, 13);
});
