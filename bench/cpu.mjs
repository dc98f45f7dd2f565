// Shared by bench/register-cpu.mjs and bench/as-api.mjs: workerd's CPU time from /proc, for the
// Miniflare instances this node process started (plain workerd, no wrangler, no inspector).
import fs from 'node:fs';

export const TICKS = 100; // USER_HZ on Linux

/** The pids of workerd processes below this node process. */
export function workerdPids() {
  const children = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      children.set(Number(d), { ppid, comm });
    } catch { /* gone */ }
  }
  const mine = new Set([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, { ppid }] of children) if (mine.has(ppid) && !mine.has(pid)) { mine.add(pid); grew = true; }
  }
  return [...mine].filter((p) => children.get(p)?.comm.startsWith('workerd'));
}

/** utime + stime of `pids`, in clock ticks. */
export function cpuTicks(pids) {
  let t = 0;
  for (const p of pids) {
    const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    t += Number(f[11]) + Number(f[12]); // utime, stime
  }
  return t;
}

/** ms of CPU per request of `pids` over `n` sequential `send()`s; each must answer below 300. */
export async function cpuPerRequest(pids, n, send, what) {
  const before = cpuTicks(pids);
  for (let i = 0; i < n; i++) {
    const r = await send();
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`);
  }
  return ((cpuTicks(pids) - before) / TICKS) * 1000 / n;
}

export const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
