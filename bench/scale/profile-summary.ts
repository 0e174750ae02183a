// Summarises V8 .cpuprofile files (from --cpu-prof) by self and inclusive time per function, so a profile
// of the scale bench can be read without a browser. Inclusive time counts a function once per sample even
// when it recurses. A third table charges each sample to the nearest function of this repository on its
// stack, so time spent in libraries and natives (pg, fs, JSON) shows up under the code that asked for it.
// Usage: node bench/scale/profile-summary.ts [--top N] [--ours] [--from S] [--to S] FILE...
//   --ours      keep only functions from this repository (not node_modules, not node: internals) in the
//               inclusive table; the self table always lists everything, since GC and natives are real costs.
//   --from/--to only samples this many seconds after the profile's start (e.g. one phase of a scan).
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const args = process.argv.slice(2);
let top = 40;
let ours = false;
let from = 0;
let to = Infinity;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--top') top = Number(args[++i]);
  else if (args[i] === '--ours') ours = true;
  else if (args[i] === '--from') from = Number(args[++i]) * 1e6;
  else if (args[i] === '--to') to = Number(args[++i]) * 1e6;
  else files.push(args[i]!);
}
if (files.length === 0 || !Number.isInteger(top) || top < 1 || Number.isNaN(from) || Number.isNaN(to)) {
  console.error(
    'usage: node bench/scale/profile-summary.ts [--top N] [--ours] [--from S] [--to S] FILE.cpuprofile...',
  );
  process.exit(2);
}

const root = new URL('../../', import.meta.url).href;
function label(frame: ProfileNode['callFrame']): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  const url = frame.url.startsWith(root) ? frame.url.slice(root.length) : frame.url;
  return `${name} ${url}:${frame.lineNumber + 1}`;
}
function isOurs(frame: ProfileNode['callFrame']): boolean {
  return frame.url.startsWith(root) && !frame.url.includes('/node_modules/');
}

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const nearest = new Map<string, number>();
let total = 0;
let idle = 0;
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  // The stack of each node as its distinct labels, computed once per node rather than per sample.
  const stacks = new Map<number, string[]>();
  const nearestOf = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (isOurs(frame)) return label(frame);
    }
    return '(no function of ours on the stack)';
  };
  const stackOf = (id: number): string[] => {
    let stack = stacks.get(id);
    if (stack) return stack;
    const labels = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (!ours || isOurs(frame)) labels.add(label(frame));
    }
    stack = [...labels];
    stacks.set(id, stack);
    return stack;
  };
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    at += profile.timeDeltas[i] ?? 0;
    if (at < from || at > to) continue;
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const frame = byId.get(id)!.callFrame;
    total += ms;
    if (frame.functionName === '(idle)') {
      idle += ms;
      continue;
    }
    const key = label(frame);
    self.set(key, (self.get(key) ?? 0) + ms);
    for (const key of stackOf(id)) inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
    const owner = nearestOf(id);
    nearest.set(owner, (nearest.get(owner) ?? 0) + ms);
  }
}

const busy = total - idle;
const print = (title: string, map: Map<string, number>): void => {
  console.log(`\n${title}`);
  for (const [key, ms] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `${(ms / 1000).toFixed(2).padStart(8)} s ${((100 * ms) / busy).toFixed(1).padStart(5)} %  ${key}`,
    );
  }
};
console.log(
  `${files.length} profile(s): ${(total / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy`,
);
print('self time', self);
print(ours ? 'inclusive time, this repository only' : 'inclusive time', inclusive);
print('self time charged to the nearest function of this repository', nearest);
