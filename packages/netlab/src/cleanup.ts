// Exit-time cleanup shared by everything netlab starts (labs, control planes): on process exit,
// SIGINT, SIGTERM and SIGHUP every tracked resource is torn down synchronously, so Ctrl-C in a demo
// or a test run leaves no namespace or process behind.

/** Something that can be torn down synchronously (SIGKILL by PID, delete, remove). */
export interface SyncCloseable {
  closeSync(): void;
}

const open = new Set<SyncCloseable>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

function onExit(): void {
  for (const r of [...open].reverse()) {
    try {
      r.closeSync();
    } catch {
      // best effort at exit
    }
  }
  open.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  onExit();
  uninstall();
  // Nobody else handles it: die of the signal as the default action would have.
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/**
 * Tear `resource` down (closeSync) if the process exits or gets SIGINT, SIGTERM or SIGHUP while it is
 * tracked. Returns the function that stops tracking it (call it once the resource is closed); the
 * handlers are removed when nothing is tracked any more, so a process with nothing open keeps
 * the default signal behaviour.
 */
export function closeOnExit(resource: SyncCloseable): () => void {
  open.add(resource);
  install();
  return () => {
    open.delete(resource);
    if (open.size === 0) uninstall();
  };
}
