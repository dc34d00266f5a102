// The bench's timer: commands run in interleaved rounds (each round runs every command once, the
// first one rotating), input through a pipe and output drained through a pipe, as kustomize and
// kpt run a function. For each command it keeps every run's wall time and its CPU time (user +
// system, from the kernel's count of this process's waited-for children in /proc/self/stat).
//
// CPU time is the headline for short runs: on a shared machine a start-up wall ratio wanders by
// 0.1-0.3 between runs, the CPU ratio by 0.05. The kernel reports children's CPU time in clock
// ticks (10 ms), so a single run's figure is coarse; the sum over all rounds is exact to one tick,
// so CPU is reported as the mean over the rounds, wall time as the median.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ: 100 on every Linux ABI Node supports
const procStat = existsSync('/proc/self/stat');

/** CPU time (ms) of this process's waited-for children so far: cutime + cstime. */
function childrenCpuMs() {
  if (!procStat) return Number.NaN;
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * TICK_MS; // fields 16 and 17 of stat(5)
}

/**
 * One run of a command: wall ms, CPU ms, and peak RSS (KB) when asked for and /usr/bin/time is
 * there. `input` is a Buffer or a file path read once by the caller.
 */
export function runOnce({ cmd, args = [], input = '', env, rss = false }) {
  const timed = rss && existsSync('/usr/bin/time');
  const cpu0 = childrenCpuMs();
  const started = process.hrtime.bigint();
  const r = spawnSync(timed ? '/usr/bin/time' : cmd, timed ? ['-f', '%M', cmd, ...args] : args, {
    input,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 1 << 30,
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = childrenCpuMs() - cpu0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  const rssKb = timed ? Number(String(r.stderr).trim().split('\n').at(-1)) : Number.NaN;
  return { wall, cpu, rss: rssKb, stdout: r.stdout };
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

/** p25-p75 of the same-round wall ratios of two results of one interleave() run. */
export function spread(a, b) {
  const ratios = a.walls.map((w, k) => w / b.walls[k]);
  return [quantile(ratios, 0.25), quantile(ratios, 0.75)];
}

/**
 * Runs every command `rounds` times in interleaved rounds after `warmups` rounds that are thrown
 * away. Returns, per command: median wall, mean CPU, peak RSS, every run's wall time, and against
 * the first command the ratio of CPU means, the ratio of wall medians and the p25-p75 of the
 * same-round wall ratios.
 */
export function interleave(commands, { rounds, warmups = 1 }) {
  const runs = commands.map(() => []);
  for (let round = -warmups; round < rounds; round++) {
    for (let k = 0; k < commands.length; k++) {
      const i = (k + Math.max(round, 0)) % commands.length;
      const r = runOnce(commands[i]);
      if (round >= 0) runs[i].push(r);
    }
  }
  const results = commands.map((c, i) => {
    const walls = runs[i].map((r) => r.wall);
    const cpus = runs[i].map((r) => r.cpu);
    return { name: c.name, walls, wall: median(walls), cpu: mean(cpus), rss: Math.max(...runs[i].map((r) => r.rss)) };
  });
  const [base] = results;
  return results.map((r) => ({
    ...r,
    cpuRatio: r.cpu / base.cpu,
    wallRatio: r.wall / base.wall,
    sameRound: spread(r, base),
  }));
}
