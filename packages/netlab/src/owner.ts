import fs from 'node:fs';

// Owner records: a process's PID and start time (clock ticks since boot, from /proc/PID/stat), so
// a later run can tell a live owner from a dead one whose PID was reused.

/** Start time of a process (field 22 of /proc/PID/stat), or undefined when it does not exist. */
function procStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** `"<pid> <start time>\n"` for this process. */
export function ownerRecord(): string {
  return `${process.pid} ${procStart(process.pid) ?? ''}\n`;
}

/** Whether the process an owner record names still runs (same PID, same start time). */
export function ownerRecordAlive(record: string): boolean {
  const [pid, start] = record.trim().split(' ');
  return pid !== undefined && start !== undefined && start !== '' && procStart(Number(pid)) === start;
}

/** The command line of a process (NUL-separated arguments), or '' when it is gone. */
export function procCmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}
