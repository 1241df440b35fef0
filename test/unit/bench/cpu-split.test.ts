import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CpuSplitMeter,
  parseProcStat,
  parseSchedstat,
  threadSeconds,
  treeOf,
  type CpuSplit,
  type ProcStat,
} from '../../../bench/lib/cpu-split.js';
import { cpuPerEventTable, renderCpuSplit } from '../../../bench/lib/report.js';

const rest = (ppid: number, utime: number, stime: number, cutime = 0, cstime = 0) =>
  `S ${ppid} 2 3 0 -1 4194560 100 0 0 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 11 0 5000 100000000 20000`;

/** A 2-core split of `seconds`, with the named processes' CPU seconds. */
const splitOf = (
  seconds: number,
  machineBusySeconds: number,
  processes: Record<string, number>,
): CpuSplit => ({
  seconds,
  cpus: 2,
  machineBusySeconds,
  processes: Object.entries(processes).map(([name, cpuSeconds]) => ({ name, cpuSeconds })),
});

describe('bench CPU split', () => {
  it('reads pid, parent pid and the CPU of the process and its reaped children, whatever its name holds', () => {
    assert.deepEqual(parseProcStat(`4242 (java) ${rest(1, 300, 20)}`), { pid: 4242, ppid: 1, ticks: 320 });
    assert.deepEqual(parseProcStat(`77 (a ) (b) ${rest(4242, 5, 5)}`), { pid: 77, ppid: 4242, ticks: 10 });
    // A reaped child's CPU stays in its parent's count (cutime + cstime).
    assert.deepEqual(parseProcStat(`4242 (node) ${rest(1, 300, 20, 700, 40)}`), {
      pid: 4242,
      ppid: 1,
      ticks: 1060,
    });
    assert.throws(() => parseProcStat('garbage'), /stat/);
  });

  it('finds a process and all its descendants, not its parent or siblings', () => {
    const stats: ProcStat[] = [
      { pid: 1, ppid: 0, ticks: 1000 },
      { pid: 10, ppid: 1, ticks: 100 }, // the postmaster
      { pid: 11, ppid: 10, ticks: 20 }, // a backend
      { pid: 12, ppid: 10, ticks: 3 },
      { pid: 13, ppid: 11, ticks: 4 }, // a grandchild
      { pid: 20, ppid: 1, ticks: 500 }, // another component
    ];
    const pids = (root: number) =>
      treeOf(stats, root)
        .map((stat) => stat.pid)
        .sort((a, b) => a - b);
    assert.deepEqual(pids(10), [10, 11, 12, 13]);
    assert.deepEqual(pids(20), [20]);
    assert.deepEqual(pids(99), [], 'a process that is gone counts nothing');
  });

  it('prints each process per unit, the rest of the machine, and both ceilings', () => {
    const out: string[] = [];
    renderCpuSplit(
      out,
      splitOf(10, 19, { 'cdc-fanout': 5, mongo: 8, kafka: 2 }),
      100_000,
      'event',
      'cdc-fanout',
    );
    const text = out.join('\n');
    assert.match(text, /\| cdc-fanout +\| +5\.0 \| +0\.50 \| +50\.0 \|/);
    assert.match(text, /\| mongo +\| +8\.0 \| +0\.80 \| +80\.0 \|/);
    assert.match(
      text,
      /\| the rest of the machine \(other processes, the kernel\) +\| +4\.0 \| +0\.40 \| +40\.0 \|/,
    );
    assert.match(text, /\| machine, 2 cores, 10\.0 s +\| +19\.0 \| +1\.90 \| +190\.0 \|/);
    // 2 cores = 2e6 µs/s: over 150 µs/event for all three, over 100 without the service.
    assert.match(
      text,
      /at most 13,333 events\/s for the named processes together, and 20,000 events\/s if cdc-fanout cost nothing/,
    );
  });

  it('sets runs side by side per event, with a dash where a run had no such process', () => {
    const table = cpuPerEventTable([
      {
        label: 'cdc-fanout, mongodb alone (2a)',
        sink: 'mongodb',
        events: 1_000_000,
        split: splitOf(60, 100, { 'cdc-fanout': 54, connect: 2, mongo: 38 }),
      },
      {
        label: 'mongo-kafka-connect',
        sink: 'mongodb',
        events: 500_000,
        split: splitOf(120, 150, { bench: 10, connect: 90, mongo: 40 }),
      },
    ]);
    const [header, , own, peer] = table.split('\n');
    assert.match(
      header!,
      /\| run +\| sink +\| +events \| cdc-fanout \| connect \| mongo \| bench \| the rest of the machine \| machine \|/,
    );
    assert.match(own!, /\| +54\.0 \| +2\.0 \| +38\.0 \| +– \| +6\.0 \| +100\.0 \|$/);
    assert.match(peer!, /\| +– \| +180\.0 \| +80\.0 \| +20\.0 \| +20\.0 \| +300\.0 \|$/);
  });

  it('reads run time and run-queue wait of a schedstat line', () => {
    assert.deepEqual(parseSchedstat('123456789 98765 42\n'), { runNs: 123_456_789, waitNs: 98_765 });
    assert.throws(() => parseSchedstat(''), /schedstat/);
    assert.throws(() => parseSchedstat('12 x 3'), /schedstat/);
  });

  it("counts each thread's run and wait since the first snapshot, a new thread from its start", () => {
    const first = new Map([
      ['10/10', { runNs: 5e9, waitNs: 1e9 }],
      ['10/11', { runNs: 2e9, waitNs: 2e9 }],
      ['10/12', { runNs: 9e9, waitNs: 9e9 }], // gone by the second snapshot
    ]);
    const last = new Map([
      ['10/10', { runNs: 8e9, waitNs: 1.5e9 }],
      ['10/11', { runNs: 3e9, waitNs: 2.5e9 }],
      ['10/13', { runNs: 0.5e9, waitNs: 0.25e9 }], // started within the window
    ]);
    assert.deepEqual(threadSeconds(first, last), { runSeconds: 4.5, waitSeconds: 1.25 });
    assert.deepEqual(
      threadSeconds(first, last, (thread) => thread === '10/10'),
      { runSeconds: 3, waitSeconds: 0.5 },
    );
  });

  it('meters a busy main thread of a real process: its run time, and its wait against the CPU seconds', async () => {
    const meter = new CpuSplitMeter(new Map([['self', process.pid]]), 'self');
    await meter.start();
    const until = performance.now() + 300;
    while (performance.now() < until); // busy on the main thread
    const split = await meter.stop();
    const main = split.mainThread;
    assert.ok(main, 'no main thread: /proc/<pid>/task/<tid>/schedstat unreadable');
    assert.equal(main.name, 'self');
    assert.ok(main.runSeconds > 0.1 && main.runSeconds <= split.seconds + 0.01, `ran ${main.runSeconds} s`);
    const self = split.processes.find((share) => share.name === 'self');
    assert.ok(self?.waitSeconds !== undefined && self.waitSeconds >= main.waitSeconds);
    // /proc/<pid>/stat's ticks of the same process (10 ms each) cover the busy main thread.
    assert.ok(
      self.cpuSeconds >= main.runSeconds - 0.05,
      `${self.cpuSeconds} CPU s, ${main.runSeconds} run s`,
    );
  });

  it("prints each process's wait for a CPU and the main thread's run, wait and idle shares", () => {
    const out: string[] = [];
    renderCpuSplit(
      out,
      {
        ...splitOf(10, 19, {}),
        processes: [
          { name: 'cdc-fanout', cpuSeconds: 8, waitSeconds: 3.5 },
          { name: 'mongo', cpuSeconds: 7, waitSeconds: 7.25 },
        ],
        mainThread: { name: 'cdc-fanout', runSeconds: 6.5, waitSeconds: 2.5 },
      },
      100_000,
      'event',
      'cdc-fanout',
    );
    const text = out.join('\n');
    assert.match(text, /\| µs per event \| waiting for a CPU, s \|/);
    assert.match(text, /\| cdc-fanout +\| +8\.0 \| +0\.80 \| +80\.0 \| +3\.5 \|/);
    assert.match(text, /\| mongo +\| +7\.0 \| +0\.70 \| +70\.0 \| +7\.3 \|/);
    assert.match(text, /cdc-fanout's main thread ran 65 % of the window, waited for a CPU 25 % .*idle 10 %/);
  });

  it('prints no wait column nor main thread for a split recorded without them', () => {
    const out: string[] = [];
    renderCpuSplit(out, splitOf(10, 19, { 'cdc-fanout': 5 }), 100_000, 'event', 'cdc-fanout');
    const text = out.join('\n');
    assert.doesNotMatch(text, /waiting for a CPU|main thread/);
  });
});
