// What a reindex under a running workload needs around it: inserts, updates and deletes on a
// customers table (one every ~15 ms), and a reader comparing what the sink serves with Postgres'
// row count every 100 ms, across the switch and for two seconds after it.
import { postgres } from './stack.js';

export interface Sample {
  readonly stored: number;
  readonly pg: number;
}

export interface WorkloadOutcome<T> {
  readonly result: T;
  readonly done: { inserts: number; updates: number; deletes: number };
  /** Rows deleted while `during` ran. */
  readonly deletesDuring: number;
  readonly samples: readonly Sample[];
  /** What the reader could not read (an error, a missing index or collection). */
  readonly failures: readonly string[];
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function whileWorkloadRuns<T>(
  customers: string,
  run: string,
  readStored: () => Promise<number>,
  during: () => Promise<T>,
): Promise<WorkloadOutcome<T>> {
  const workloadPg = await postgres();
  const samplerPg = await postgres();
  let running = true;
  const done = { inserts: 0, updates: 0, deletes: 0 };
  const workload = (async () => {
    for (let step = 0; running; step++) {
      const kind = step % 3;
      if (kind === 0) {
        await workloadPg.query(
          `INSERT INTO ${customers} (first_name, last_name, email) VALUES ('Live', 'Insert', $1)`,
          [`${run}-live-${step}@example.com`],
        );
        done.inserts++;
      } else if (kind === 1) {
        const { rowCount } = await workloadPg.query(
          `UPDATE ${customers} SET last_name = 'Updated ' || $1 WHERE id = (SELECT id FROM ${customers} ORDER BY random() LIMIT 1)`,
          [step],
        );
        done.updates += rowCount ?? 0;
      } else {
        const { rowCount } = await workloadPg.query(
          `DELETE FROM ${customers} WHERE id = (SELECT id FROM ${customers} ORDER BY random() LIMIT 1)`,
        );
        done.deletes += rowCount ?? 0;
      }
      await pause(15);
    }
  })();
  const samples: Sample[] = [];
  const failures: string[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const [stored, pgCount] = await Promise.allSettled([
        readStored(),
        samplerPg.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${customers}`),
      ]);
      if (stored.status === 'rejected') failures.push(String((stored.reason as Error).message));
      else if (pgCount.status === 'fulfilled')
        samples.push({ stored: stored.value, pg: Number(pgCount.value.rows[0]!.n) });
      await pause(100);
    }
  })();
  try {
    const deletesBefore = done.deletes;
    const result = await during();
    const deletesDuring = done.deletes - deletesBefore;
    // Readers keep sampling after the switch.
    await pause(2000);
    return { result, done, deletesDuring, samples, failures };
  } finally {
    running = false;
    await workload;
    sampling = false;
    await sampler;
    await workloadPg.end();
    await samplerPg.end();
  }
}

/** The sample where the sink was furthest below Postgres. */
export function worstSample(samples: readonly Sample[]): Sample {
  return samples.reduce((low, sample) => (sample.stored - sample.pg < low.stored - low.pg ? sample : low));
}
