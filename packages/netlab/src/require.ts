import { execFileSync } from 'node:child_process';
import { FRR_INSTALL_HINT, frrInstalled } from './frr.ts';
import { GOBGP_INSTALL_HINT, gobgpInstalled } from './gobgp.ts';

export interface LabNeeds {
  /** FRR's zebra, bgpd, bfdd and vtysh. */
  frr?: boolean;
  /** gobgpd and gobgp. */
  gobgp?: boolean;
}

function hasIp(): boolean {
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why a lab with these needs cannot run here, or undefined when it can. */
export function labUnavailableReason(needs: LabNeeds = {}): string | undefined {
  const missing: string[] = [];
  if (process.platform !== 'linux') missing.push('Linux (network namespaces)');
  else {
    if (process.getuid?.() !== 0) missing.push('root (run the tests as root, e.g. sudo)');
    if (!hasIp()) missing.push('iproute2 (`apt-get install -y iproute2`)');
    if (needs.frr && !frrInstalled()) missing.push(FRR_INSTALL_HINT);
    if (needs.gobgp && !gobgpInstalled()) missing.push(GOBGP_INSTALL_HINT);
  }
  return missing.length ? `interop lab needs ${missing.join('; ')}` : undefined;
}

/**
 * For a whole test file or describe block: returns the reason to skip (print it and pass it to
 * `describe.skipIf`), or undefined when the lab can run. Under `CI` it throws instead: CI must run
 * interop tests.
 *
 *     const skip = labSkipReason({ frr: true });
 *     describe.skipIf(skip)('interop with FRR', () => { … });
 */
export function labSkipReason(needs: LabNeeds = {}): string | undefined {
  const reason = labUnavailableReason(needs);
  if (reason === undefined) return undefined;
  if (process.env.CI) throw new Error(`${reason} (CI is set, so interop tests must run, not be skipped)`);
  process.stderr.write(`skipping interop tests: ${reason}\n`);
  return reason;
}

/** What `requireLab` needs of vitest's test context. */
export interface SkipContext {
  skip(note?: string): unknown;
}

/**
 * For one test: skips it (with the reason as vitest's skip note) when the lab cannot run, or throws
 * under `CI`. Use as `it('…', async (ctx) => { requireLab(ctx, { frr: true }); … })`.
 */
export function requireLab(ctx: SkipContext, needs: LabNeeds = {}): void {
  const reason = labSkipReason(needs);
  if (reason !== undefined) ctx.skip(reason);
}
