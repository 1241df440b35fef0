// Summarises a V8 .cpuprofile (node --cpu-prof): self time aggregated by function and script, and
// by package or source file, so the costliest parts of the service stand out.

export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
    readonly columnNumber?: number;
  };
  readonly hitCount?: number;
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface SelfTimeEntry {
  readonly functionName: string;
  /** Script, relative to the repository (node_modules/…, src/…) or a node: / V8 name. */
  readonly url: string;
  readonly selfMs: number;
  /** Share of the profile's busy time (everything but "(idle)"). */
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly idleMs: number;
  readonly busyMs: number;
  readonly functions: SelfTimeEntry[];
  /** Self time by package (node_modules/<name>), source file (src/…) or runtime part. */
  readonly groups: Array<{ readonly group: string; readonly selfMs: number; readonly share: number }>;
}

/** file:///abs/repo/node_modules/x/y.js -> node_modules/x/y.js; relative to `root` when inside it. */
export function shortUrl(url: string, root: string): string {
  let path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  const rootSlash = root.endsWith('/') ? root : `${root}/`;
  if (path.startsWith(rootSlash)) path = path.slice(rootSlash.length);
  const modules = path.lastIndexOf('node_modules/');
  if (modules > 0) path = path.slice(modules);
  return path;
}

/** node_modules/@scope/name or node_modules/name, src/<file>, node:internal, or the V8 label. */
export function groupOf(functionName: string, url: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node (runtime JS)';
  return url;
}

export function summariseProfile(profile: CpuProfile, root: string, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0 && deltas.length === samples.length) {
    // Sample i lasts until the next one: its duration is the next delta (the last gets the mean).
    const mean = (profile.endTime - profile.startTime) / samples.length;
    samples.forEach((id, index) => {
      const duration = index + 1 < deltas.length ? deltas[index + 1]! : mean;
      selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, duration));
    });
  } else {
    const total = profile.endTime - profile.startTime;
    const hits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0) || 1;
    for (const node of profile.nodes) selfUs.set(node.id, ((node.hitCount ?? 0) * total) / hits);
  }
  const functions = new Map<string, { functionName: string; url: string; us: number }>();
  const groups = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    totalUs += us;
    const functionName = node.callFrame.functionName || '(anonymous)';
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const url = shortUrl(node.callFrame.url, root);
    const key = `${functionName}\u0000${url}`;
    const entry = functions.get(key) ?? { functionName, url, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    const group = groupOf(functionName, url);
    groups.set(group, (groups.get(group) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs || 1;
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    busyMs: (totalUs - idleUs) / 1000,
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((entry) => ({
        functionName: entry.functionName,
        url: entry.url,
        selfMs: entry.us / 1000,
        share: entry.us / busyUs,
      })),
    groups: [...groups]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([group, us]) => ({ group, selfMs: us / 1000, share: us / busyUs })),
  };
}
