/**
 * The check's answer if it comes within `timeoutMs`, else false; a check that throws counts as false.
 * A readiness probe must answer in time whatever its dependency does: a stalled Redis accepts the
 * connection and never replies, and a PING without a deadline would hold the probe until the TCP stack
 * gives up.
 */
export async function withinTime(check: Promise<boolean>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([check.catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
