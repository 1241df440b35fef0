// Peak RSS against CPU per event: the compiled service, as the image starts it or with other Node
// flags, reads the bench backlog (bench.inventory.*, filled by `npm run bench`) from the beginning
// with fresh groups for a fixed window, then is stopped and its run's indices, database and groups
// removed. Windows with different flags run back to back, in turn, so that the machine's load
// drifts over all of them alike. Prints a line per window; figures only, no verdict.
//
//   npm run build && tsx bench/memory-window.ts [--seconds 90] [--rounds 2] [--sinks elasticsearch,mongodb]
//       --variant image --variant='--max-semi-space-size=4 --heap-growing-percent=20' ...
//   'image' is the Dockerfile CMD's flags; any other variant replaces them. A variant may start
//   with settings for the service, e.g. 'KAFKA_PARTITIONS_CONCURRENCY=9 image'.
import { parseArgs } from 'node:util';
import { serviceEnv } from './lib/fanout.js';
import { loadAverage, UsageSampler, readUsage } from './lib/proc.js';
import { sumOf } from './lib/prom.js';
import { BenchService, imageNodeFlags, runIds, SINKS, type BenchSink } from './lib/service.js';
import { describeSource } from './lib/source.js';
import { elasticsearch, kafka, mongodb, sleep } from './lib/stack.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '90' },
    rounds: { type: 'string', default: '2' },
    sinks: { type: 'string', default: SINKS.join(',') },
    variant: { type: 'string', multiple: true, default: ['image'] },
  },
});
const seconds = Number(values.seconds);
const sinks = values.sinks.split(',') as BenchSink[];
const source = describeSource('isolated');

interface Peak {
  rssMiB: number;
  heapTotalMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
}

async function window(variant: string, round: number): Promise<void> {
  const words = variant.split(/\s+/).filter(Boolean);
  const settings = Object.fromEntries(
    words.filter((word) => /^[A-Z_]+=/.test(word)).map((word) => word.split(/=(.*)/s).slice(0, 2)),
  );
  const nodeFlags = words.filter((word) => !/^[A-Z_]+=/.test(word));
  const flags = nodeFlags.length === 1 && nodeFlags[0] === 'image' ? await imageNodeFlags() : nodeFlags;
  const ids = runIds(`memory-${round}`);
  const service = new BenchService({ ...serviceEnv(source, ids, sinks), ...settings }, [], flags);
  const loadStart = await loadAverage();
  await service.start();
  const sampler = new UsageSampler(service.pid, 250);
  sampler.start();
  const peak: Peak = { rssMiB: 0, heapTotalMiB: 0, heapUsedMiB: 0, externalMiB: 0 };
  const deadline = Date.now() + seconds * 1000;
  let consumed = new Map<string, number>();
  while (Date.now() < deadline) {
    const [usage, samples] = await Promise.all([readUsage(service.pid), service.metrics().catch(() => null)]);
    if (samples) {
      consumed = new Map(
        sinks.map((sink) => [sink, sumOf(samples, 'cdc_fanout_events_consumed_total', { sink })]),
      );
      const rssMiB = (usage?.rssBytes ?? 0) / 2 ** 20;
      if (rssMiB > peak.rssMiB) {
        peak.rssMiB = rssMiB;
        peak.heapTotalMiB = sumOf(samples, 'cdc_fanout_nodejs_heap_size_total_bytes') / 2 ** 20;
        peak.heapUsedMiB = sumOf(samples, 'cdc_fanout_nodejs_heap_size_used_bytes') / 2 ** 20;
        peak.externalMiB = sumOf(samples, 'cdc_fanout_nodejs_external_memory_bytes') / 2 ** 20;
      }
    }
    await sleep(500);
  }
  await sampler.stop();
  const loadEnd = await loadAverage();
  await service.stop();
  await cleanUp(ids);
  const events = [...consumed.values()].reduce((sum, n) => sum + n, 0);
  const row = {
    variant,
    round,
    peakRssMiB: Math.round(sampler.peakRssBytes / 2 ** 20),
    atPeak: `heap ${peak.heapTotalMiB.toFixed(0)} / used ${peak.heapUsedMiB.toFixed(0)} / external ${peak.externalMiB.toFixed(0)} MiB`,
    consumed: Object.fromEntries(consumed),
    cpuSeconds: Number(sampler.cpuSeconds.toFixed(1)),
    cpuMicrosPerEvent: Math.round((sampler.cpuSeconds * 1e6) / Math.max(events, 1)),
    load: `${loadStart.map((n) => n.toFixed(2)).join(' / ')} -> ${loadEnd.map((n) => n.toFixed(2)).join(' / ')}`,
  };
  console.log(JSON.stringify(row));
}

async function cleanUp(ids: ReturnType<typeof runIds>): Promise<void> {
  const es = elasticsearch();
  const indices = (await es.cat.indices({ index: `${ids.indexPrefix}*`, format: 'json' })) as Array<{
    index?: string;
  }>;
  const names = indices.map((entry) => entry.index).filter((name): name is string => !!name);
  if (names.length > 0) await es.indices.delete({ index: names });
  await es.close();
  const mongo = await mongodb();
  await mongo.db(ids.mongoDatabase).dropDatabase();
  await mongo.close();
  const admin = kafka().admin();
  await admin.connect();
  await admin.deleteGroups(sinks.map((sink) => `${ids.groupBase}.${sink}`)).catch(() => undefined);
  if ((await admin.listTopics()).includes(ids.deadLetterTopic))
    await admin.deleteTopics({ topics: [ids.deadLetterTopic] });
  await admin.disconnect();
}

for (let round = 1; round <= Number(values.rounds); round++) {
  for (const variant of values.variant) await window(variant, round);
}
