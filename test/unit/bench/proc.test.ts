import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseCpuModel,
  parseCpuTimes,
  parseKbField,
  parseLoadAverage,
  parseStatCpuTicks,
} from '../../../bench/lib/proc.js';

describe('bench /proc parsing', () => {
  it('adds utime and stime of /proc/<pid>/stat, even with spaces and parentheses in the name', () => {
    const rest = 'S 1 2 3 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 11 0 5000 100000000 20000';
    assert.equal(parseStatCpuTicks(`4242 (node) ${rest}`), 1234 + 567);
    assert.equal(parseStatCpuTicks(`4242 (my (odd) name) ${rest}`), 1234 + 567);
    assert.throws(() => parseStatCpuTicks('garbage'));
  });

  it('reads kB fields of /proc/<pid>/status and /proc/meminfo in bytes', () => {
    const status = 'Name:\tnode\nVmPeak:\t 2000000 kB\nVmRSS:\t  123456 kB\nThreads:\t11\n';
    assert.equal(parseKbField(status, 'VmRSS'), 123456 * 1024);
    assert.equal(parseKbField('MemTotal:       24608768 kB\n', 'MemTotal'), 24608768 * 1024);
    assert.equal(parseKbField(status, 'VmSwap'), null);
  });

  it('takes the first CPU model name and the three load averages', () => {
    const cpuinfo =
      'processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n';
    assert.equal(parseCpuModel(cpuinfo), 'AMD EPYC 7B13');
    assert.equal(parseCpuModel(''), 'unknown');
    assert.deepEqual(parseLoadAverage('1.52 0.98 0.40 3/512 12345\n'), [1.52, 0.98, 0.4]);
  });

  it("counts all CPUs' ticks but idle and iowait as busy", () => {
    const stat = 'cpu  100 5 50 800 20 3 2 10 0 0\ncpu0 50 2 25 400 10 1 1 5 0 0\nintr 1\n';
    assert.deepEqual(parseCpuTimes(stat), { busy: 100 + 5 + 50 + 3 + 2 + 10, total: 990 });
    assert.throws(() => parseCpuTimes('intr 1\n'), /no "cpu" line/);
  });
});
