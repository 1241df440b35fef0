// Runs peers once on the topics as they are and prints each PeerResult as a JSON line.
//   node --import tsx bench/peers/try.ts [peer-name...] [--topics a,b] [--timeout 600] [--keep]
// Default: every peer, topics cdc.inventory.customers,cdc.inventory.orders, expectedEvents = the
// records in those topics now, timeout 600 s; cleanup (connector, group, index/database) after
// each peer unless --keep.
import { PEERS } from './index.js';
import { endpoints } from './support/endpoints.js';
import { countEvents } from './support/progress.js';

const args = process.argv.slice(2);
const option = (flag: string) => {
  const at = args.indexOf(flag);
  if (at < 0) return undefined;
  const [value] = args.splice(at, 2).slice(1);
  return value;
};
const topics = (option('--topics') ?? 'cdc.inventory.customers,cdc.inventory.orders').split(',');
const timeoutMs = Number(option('--timeout') ?? 600) * 1000;
const keepAt = args.indexOf('--keep');
const keep = keepAt >= 0;
if (keep) args.splice(keepAt, 1);
const peers = args.length ? PEERS.filter((p) => args.includes(p.name)) : PEERS;
if (peers.length === 0) {
  console.error(`no such peer; known: ${PEERS.map((p) => p.name).join(', ')}`);
  process.exit(2);
}

let failures = 0;
for (const peer of peers) {
  const runId = `try${Date.now().toString(36)}`;
  const expectedEvents = await countEvents(endpoints(), topics);
  console.error(`[try] ${peer.name}: ${expectedEvents} events in ${topics.join(',')}, run ${runId}`);
  try {
    console.log(JSON.stringify(await peer.run({ runId, topics, expectedEvents, timeoutMs })));
  } catch (error) {
    failures++;
    console.log(JSON.stringify({ peer: peer.name, sink: peer.sink, error: (error as Error).message }));
  } finally {
    if (!keep)
      await peer.cleanup(runId).catch((error) => console.error(`[try] cleanup ${peer.name}: ${error}`));
  }
}
process.exit(failures ? 1 : 0);
