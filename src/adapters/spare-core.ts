/**
 * What the host can spare for optional side work. The stages ask here instead of reading the
 * operating system themselves.
 */
import { availableParallelism, loadavg } from 'node:os';

/**
 * Whether a core is likely idle for the whole run: 3 or more CPUs, and a 1-minute load average
 * that leaves one and a half of them free. On 2 cores the run's own threads (parsing, hashing)
 * already share the second one, and under load an extra thread cost more than it saved.
 */
export function coreToSpare(): boolean {
  const cpus = availableParallelism();
  return cpus >= 3 && loadavg()[0] < cpus - 1.5;
}
